import 'reflect-metadata';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { HttpException, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, loadConfig } from './config/app-config';
import { runMigrations } from './database/migrate';
import { typeormOptions } from './database/typeorm-options';
import { DemoModule } from './demo/demo.module';
import { DemoSeedService } from './demo/demo-seed.service';
import { findImageHdu, FitsError, fitsInfo, imageHeaderOf, parseWcs, readFitsHeaders } from './fits';
import { startEmbeddedPostgres } from './infrastructure/embedded-postgres';
import { StorageModule } from './storage/storage.module';
import { USER_ROLES, UserRole } from './users/user.entity';
import { UsersModule } from './users/users.module';
import { UsersService } from './users/users.service';
import { startInfrastructure } from './infrastructure/infrastructure';
import { PipelineCliModule, PipelineCliService } from './pipelines/pipeline-cli.service';
import { BUILTIN_PIPELINES } from './pipelines/sdk/builtins';
import { loadPipelineRegistry } from './pipelines/sdk/pipeline-registry';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  user:create --username U --password P --role teacher|student   create an account
  user:password --username U --password P                        set a new password
  user:list                                                      list accounts
  migrate                                                        run pending database migrations
  seed:demo                                                      seed the demo (only on an empty database)
  pipeline:list [--json]                                         the registered pipelines
  fits:info FILE [--json]                                        every HDU: type, shape, header, statistics, WCS
  fits:pix2world FILE X Y [--hdu N] [--json]                     FITS 1-based pixel -> RA, Dec (degrees)
  fits:world2pix FILE RA DEC [--hdu N] [--json]                  RA, Dec (degrees) -> FITS 1-based pixel
  pipeline:run --pipeline NAME --target NAME [--flag name=true ...] [--as USER] [--json] FILE...
                                                                 run a pipeline here on local files; they are added
                                                                 to the target first, outputs saved as on the web

The fits: commands only read the file (no database).
Uses DATABASE_URL, or the embedded database in DATA_DIR (stop the portal first: one process per data directory).`;

class CliError extends Error {}

const FITS_COMMANDS = ['fits:info', 'fits:pix2world', 'fits:world2pix'];

function numberArgument(text: string | undefined, name: string): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value)) throw new CliError(`${name} must be a number, not ${JSON.stringify(text ?? '')}\n\n${USAGE}`);
  return value;
}

function fitsArguments(args: string[]): [string[], { json?: boolean; hdu?: string }] {
  const positionals: string[] = [];
  const values: { json?: boolean; hdu?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') values.json = true;
    else if (arg === '--hdu') values.hdu = args[++i];
    else if (arg.startsWith('--hdu=')) values.hdu = arg.slice('--hdu='.length);
    else if (arg === '--') continue;
    else if (arg.startsWith('-') && !/^-\d|^-\./.test(arg)) throw new CliError(`Unknown option ${arg}\n\n${USAGE}`);
    else positionals.push(arg);
  }
  return [positionals, values];
}

/** fits:info, fits:pix2world and fits:world2pix: read the file, print, no database. */
async function runFitsCommand(command: string, args: string[], values: { json?: boolean; hdu?: string }): Promise<void> {
  const [file] = args;
  if (!file) throw new CliError(`Name a FITS file\n\n${USAGE}`);
  try {
    if (command === 'fits:info') {
      const info = await fitsInfo(file);
      if (values.json) return console.log(JSON.stringify(info, null, 2));
      for (const hdu of info) {
        const parts = [`HDU ${hdu.index} ${hdu.type}`, `BITPIX ${hdu.bitpix}`, hdu.shape.length ? hdu.shape.join('×') : 'no data'];
        if (hdu.stats) parts.push(`min ${hdu.stats.min} max ${hdu.stats.max} mean ${hdu.stats.mean} median ${hdu.stats.median}`);
        if (hdu.wcs) parts.push(hdu.wcs.celestial && hdu.wcs.center ? `WCS ${hdu.wcs.ctype.join('/')} centre RA ${hdu.wcs.center.ra.toFixed(6)} Dec ${hdu.wcs.center.dec.toFixed(6)}` : `WCS ${hdu.wcs.ctype.join('/')} (not celestial)`);
        console.log(parts.join('  '));
      }
      return;
    }
    const a = numberArgument(args[1], command === 'fits:pix2world' ? 'X' : 'RA');
    const b = numberArgument(args[2], command === 'fits:pix2world' ? 'Y' : 'DEC');
    const headers = await readFitsHeaders(file);
    const hdu = values.hdu !== undefined ? headers[numberArgument(values.hdu, '--hdu')] : findImageHdu(headers);
    if (!hdu) throw new CliError(values.hdu !== undefined ? `${file} has no HDU ${values.hdu}` : `${file} has no image HDU`);
    const wcs = parseWcs(imageHeaderOf(hdu).cards);
    if (!wcs) throw new CliError(`${path.basename(file)}, HDU ${hdu.index}: no WCS in the header`);
    if (!wcs.celestial) throw new CliError(`${path.basename(file)}, HDU ${hdu.index}: the WCS is not celestial (${wcs.reason ?? wcs.ctype.join(', ')}); it has no RA/Dec`);
    if (command === 'fits:pix2world') {
      const { ra, dec } = wcs.pixToWorld(a, b);
      console.log(values.json ? JSON.stringify({ ra, dec }) : `${ra.toFixed(8)} ${dec.toFixed(8)}`);
    } else {
      const { x, y } = wcs.worldToPix(a, b);
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new CliError(`RA ${a}, Dec ${b} is on the far side of the sky from this image`);
      console.log(values.json ? JSON.stringify({ x, y }) : `${x.toFixed(6)} ${y.toFixed(6)}`);
    }
  } catch (error) {
    if (error instanceof FitsError) throw new CliError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`No such file: ${file}`);
    throw error;
  }
}

@Module({})
class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string) {
    return {
      module: CliModule,
      global: true,
      imports: [TypeOrmModule.forRoot(typeormOptions(databaseUrl)), StorageModule, UsersModule, DemoModule],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || !value) throw new CliError(`Missing --${name}\n\n${USAGE}`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  // Coordinates may be negative (Dec -2.5), which parseArgs would take for options: read these by hand.
  if (FITS_COMMANDS.includes(command)) return runFitsCommand(command, ...fitsArguments(rest));
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      username: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      pipeline: { type: 'string' },
      target: { type: 'string' },
      flag: { type: 'string', multiple: true },
      as: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const known = ['user:create', 'user:password', 'user:list', 'migrate', 'seed:demo', 'pipeline:list', 'pipeline:run', ...FITS_COMMANDS];
  if (!known.includes(command)) throw new CliError(`Unknown command "${command}"\n\n${USAGE}`);
  if (command.startsWith('pipeline:')) return runPipelineCommand(command, values, positionals);

  const config = loadConfig();
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir);
  const databaseUrl = config.databaseUrl || embedded!.url;
  try {
    const ran = await runMigrations(databaseUrl);
    if (ran.length) console.log(`Applied migrations: ${ran.join(', ')}`);
    if (command === 'migrate') return;
    const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, databaseUrl), { logger: ['error'] });
    try {
      const users = app.get(UsersService);
      if (command === 'user:create') {
        const role = required(values, 'role');
        if (!USER_ROLES.includes(role as UserRole)) throw new CliError(`--role must be one of: ${USER_ROLES.join(', ')}`);
        const user = await users.create(required(values, 'username'), required(values, 'password'), role as UserRole);
        console.log(`Created ${user.role} "${user.username}"`);
      } else if (command === 'user:password') {
        await users.setPassword(required(values, 'username'), required(values, 'password'));
        console.log(`Password changed for "${values.username}"`);
      } else if (command === 'user:list') {
        for (const user of await users.list()) console.log(`${user.username}\t${user.role}\t${user.createdAt.toISOString()}`);
      } else if (command === 'seed:demo') {
        const seeded = await app.get(DemoSeedService).seedIfEmpty();
        if (!seeded) console.log('The database already has users; nothing seeded.');
        else for (const a of seeded.accounts) console.log(`Demo account: ${a.username} / ${a.password} (${a.role})`);
      }
    } finally {
      await app.close();
    }
  } finally {
    await embedded?.close();
  }
}

/** pipeline:list and pipeline:run, on the full pipeline stack with this process as the worker. */
async function runPipelineCommand(
  command: string,
  values: { pipeline?: string; target?: string; flag?: string[]; as?: string; json?: boolean },
  files: string[],
): Promise<void> {
  const config = loadConfig();
  if (command === 'pipeline:list') {
    const registry = loadPipelineRegistry(config.pipelinesConfig, BUILTIN_PIPELINES);
    const list = [...registry.values()].map((p) => ({ name: p.name, key: p.key, shortName: p.shortName, flags: p.flags, allowedSuffixes: p.allowedSuffixes }));
    if (values.json) console.log(JSON.stringify(list));
    else for (const p of list) console.log(`${p.name} (${p.shortName}): takes ${p.allowedSuffixes.join(', ') || 'any file'}; flags ${Object.keys(p.flags).join(', ') || 'none'}`);
    return;
  }
  const pipelineName = required(values, 'pipeline');
  const targetName = required(values, 'target');
  if (!files.length) throw new CliError(`Name at least one FILE to run ${pipelineName} on`);
  const flags: Record<string, unknown> = {};
  for (const item of values.flag ?? []) {
    const [name, value = 'true'] = item.split('=');
    if (!['true', 'false'].includes(value)) throw new CliError(`--flag ${item}: write name=true or name=false`);
    flags[name] = value === 'true';
  }
  // Quiet: --json output must stay parseable, and the log lines are the point.
  const infrastructure = await startInfrastructure(config, { log: () => undefined } as unknown as Logger);
  let exitCode = 1;
  try {
    await runMigrations(infrastructure.databaseUrl);
    const app = await NestFactory.createApplicationContext(
      PipelineCliModule.forRoot(config, infrastructure.databaseUrl, infrastructure.redisUrl),
      { logger: ['error'] },
    );
    try {
      exitCode = await app.get(PipelineCliService).run({ pipelineName, targetName, flags, files, as: values.as, json: Boolean(values.json) });
    } finally {
      await app.close();
    }
  } finally {
    await infrastructure.close();
  }
  process.exitCode = exitCode;
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    if (error instanceof CliError || error instanceof HttpException || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`Error: ${error.message}`);
    } else {
      new Logger('cli').error(error instanceof Error ? error.message : error);
    }
    process.exit(1);
  },
);
