import 'reflect-metadata';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { INestApplicationContext, Logger, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CliCommandsService, CliError } from './cli/cli-commands.service';
import { CliModule } from './cli/cli.module';
import { loadConfig } from './config/app-config';
import { runMigrations } from './database/migrate';
import { demoSeedSummary, DemoSeedService } from './demo/demo-seed.service';
import { findImageHdu, FitsError, fitsInfo, imageHeaderOf, parseWcs, readFitsHeaders } from './fits';
import { startEmbeddedPostgres } from './infrastructure/embedded-postgres';
import { redactUrl, startInfrastructure } from './infrastructure/infrastructure';
import { UsersService } from './users/users.service';
import { PipelineCliModule, PipelineCliService } from './pipeline-runs/pipeline-cli.service';
import { isWorkflow, PipelineRegistryService } from './pipeline-registry/pipeline-registry.service';
import { workflowStepsView } from './api/api-presenters';

const USAGE = `Usage: npm run cli -- <command> [options]      (the same: node dist/src/cli.js <command> [options])

Commands:
  user:create --username U [--password P] --role admin|teacher|student [--display-name N]
                                                                 create an account; without --password a passphrase
                                                                 is generated, printed once, and must be changed at
                                                                 the first login
  user:password --username U --password P                        set a new password; the account's sessions and
                                                                 open live pages end
  user:list [--json]                                             accounts: username, role, display name, active, created
  user:deactivate --username U                                   deactivate an account: it cannot log in, its sessions
                                                                 end and its API tokens stop
  user:activate --username U                                     let a deactivated account log in again
  class:create --teacher U --name N [--json]                     a class taught by U; prints its id and join code
  class:import --class ID [--json] FILE.csv                      a roster for the class (the /classes page's format);
                                                                 new students get accounts (passwords printed once),
                                                                 existing ones are enrolled; any bad row: nothing made
  target:import [--as USER] [--visibility private|class|public] [--class ID] [--json] FILE.csv
                                                                 targets from a CSV in TOM Toolkit's format, owned by
                                                                 USER (default: the first admin), private unless
                                                                 --visibility/--class say; any bad line: nothing made
  migrate                                                        run pending database migrations
  seed:demo                                                      seed the demo (only on an empty database)
  pipeline:list [--json]                                         the registered pipelines
  fits:info FILE [--json]                                        every HDU: type, shape, header, statistics, WCS
  fits:pix2world FILE X Y [--hdu N] [--json]                     FITS 1-based pixel -> RA, Dec (degrees)
  fits:world2pix FILE RA DEC [--hdu N] [--json]                  RA, Dec (degrees) -> FITS 1-based pixel
  pipeline:run --pipeline NAME --target NAME [--flag name=true ...] [--param name=value ...] [--as USER] [--json] FILE...
                                                                 run a pipeline here on local files; they are added
                                                                 to the target first, outputs saved as on the web

The fits: commands only read the file (no database).
Uses DATABASE_URL, or the embedded database in DATA_DIR (stop the portal first: one process per data directory).`;

const FITS_COMMANDS = ['fits:info', 'fits:pix2world', 'fits:world2pix'];
const DATABASE_COMMANDS = ['user:create', 'user:password', 'user:list', 'user:deactivate', 'user:activate', 'class:create', 'class:import', 'target:import', 'migrate', 'seed:demo'];
const HELP_HINT = ' (npm run cli -- help lists the commands)';

/** The options each database command needs; checked before the database is opened, so a typo costs nothing. */
const REQUIRED_OPTIONS: Record<string, string[]> = {
  'user:create': ['username', 'role'],
  'user:password': ['username', 'password'],
  'user:deactivate': ['username'],
  'user:activate': ['username'],
  'class:create': ['teacher', 'name'],
  'class:import': ['class'],
};

/**
 * Nest's own lines would bury the answer: warnings are shown, errors are not, because whatever fails is thrown
 * and printed once, as one line, by main's catch.
 */
const QUIET_LOGGER: LoggerService = {
  log: () => undefined,
  error: () => undefined,
  warn: (message: unknown) => console.error(`Warning: ${message}`),
};

function numberArgument(text: string | undefined, name: string): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value)) throw new CliError(`${name} must be a number, not ${JSON.stringify(text ?? '')}${HELP_HINT}`);
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
    else if (arg.startsWith('-') && !/^-\d|^-\./.test(arg)) throw new CliError(`Unknown option ${arg}${HELP_HINT}`);
    else positionals.push(arg);
  }
  return [positionals, values];
}

/** fits:info, fits:pix2world and fits:world2pix: read the file, print, no database. */
async function runFitsCommand(command: string, args: string[], values: { json?: boolean; hdu?: string }): Promise<void> {
  const [file] = args;
  if (!file) throw new CliError(`Name a FITS file${HELP_HINT}`);
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

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || !value) throw new CliError(`Missing --${name}${HELP_HINT}`);
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
      param: { type: 'string', multiple: true },
      as: { type: 'string' },
      json: { type: 'boolean' },
      'display-name': { type: 'string' },
      teacher: { type: 'string' },
      name: { type: 'string' },
      class: { type: 'string' },
      visibility: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const known = [...DATABASE_COMMANDS, 'pipeline:list', 'pipeline:run', ...FITS_COMMANDS];
  if (!known.includes(command)) throw new CliError(`Unknown command "${command}"${HELP_HINT}`);
  if (command.startsWith('pipeline:')) return runPipelineCommand(command, values, positionals);

  for (const name of REQUIRED_OPTIONS[command] ?? []) required(values, name);
  const files = command === 'class:import' || command === 'target:import' ? 1 : 0;
  if (positionals.length !== files) {
    const what = command === 'target:import' ? 'Name one FILE.csv of targets to import' : 'Name one roster FILE.csv to import';
    throw new CliError(files ? `${what}${HELP_HINT}` : `Unexpected argument "${positionals[0]}"${HELP_HINT}`);
  }
  const classId = command === 'class:import' ? Number(values.class) : 0;
  if (!Number.isSafeInteger(classId) || classId < 0) throw new CliError(`--class takes a class id (a whole number), not "${values.class}"`);
  if (command === 'target:import') {
    if (values.class !== undefined && !/^\d{1,10}$/.test(values.class)) throw new CliError(`--class takes a class id (a whole number), not "${values.class}"`);
    if (values.visibility !== undefined && !['private', 'class', 'public'].includes(values.visibility)) {
      throw new CliError(`--visibility must be private, class or public (not "${values.visibility}")`);
    }
  }

  const config = loadConfig();
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir);
  const databaseUrl = config.databaseUrl || embedded!.url;
  try {
    const ran = await runMigrations(databaseUrl).catch((error: Error) => {
      throw new CliError(`The database (${config.databaseUrl ? redactUrl(databaseUrl) : `embedded, in ${config.dataDir}`}): ${error.message}`);
    });
    // On stderr unless migrating is the command, so that --json output stays parseable.
    if (command === 'migrate') return console.log(ran.length ? `Applied migrations: ${ran.join(', ')}` : 'No pending migrations');
    if (ran.length) console.error(`Applied migrations: ${ran.join(', ')}`);
    const queueRedisUrl = command === 'seed:demo' && config.redisUrl ? config.redisUrl : null;
    const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, databaseUrl, queueRedisUrl, { presets: command === 'seed:demo' }), {
      logger: QUIET_LOGGER,
      abortOnError: false,
    });
    try {
      await runDatabaseCommand(app, command, values, positionals, classId, config.dataDir, Boolean(queueRedisUrl));
    } finally {
      await app.close();
    }
  } finally {
    await embedded?.close();
  }
}

/** Left-aligned columns for a person at a terminal. */
function printTable(header: string[], rows: string[][], indent = ''): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log(indent + row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}

async function runDatabaseCommand(
  app: INestApplicationContext,
  command: string,
  values: { username?: string; password?: string; role?: string; 'display-name'?: string; teacher?: string; name?: string; json?: boolean; as?: string; visibility?: string; class?: string },
  positionals: string[],
  classId: number,
  dataDir: string,
  queued: boolean,
): Promise<void> {
  const commands = app.get(CliCommandsService);
  if (command === 'user:create') {
    const { user, generatedPassword } = await commands.createUser({
      username: values.username!,
      password: values.password,
      role: values.role!,
      displayName: values['display-name'],
    });
    console.log(`Created ${user.role} "${user.username}"${user.displayName ? ` (${user.displayName})` : ''}`);
    if (generatedPassword) console.log(`Password: ${generatedPassword}   (shown once; it must be changed at the first login)`);
  } else if (command === 'user:password') {
    const { sessionsEnded } = await app.get(UsersService).setPassword(values.username!, values.password!);
    console.log(`Password changed for "${values.username}"; ${sessionsEnded} session(s) ended`);
  } else if (command === 'user:list') {
    const users = await commands.listUsers();
    if (values.json) return console.log(JSON.stringify(users));
    printTable(
      ['username', 'role', 'display name', 'active', 'created'],
      users.map((u) => [u.username, u.role, u.displayName ?? '', u.active ? 'yes' : 'no', u.createdAt]),
    );
  } else if (command === 'user:deactivate') {
    const { alreadyInactive, sessionsEnded } = await commands.deactivateUser(values.username!);
    console.log(`${alreadyInactive ? 'Already deactivated' : 'Deactivated'}: "${values.username}"; ${sessionsEnded} session(s) ended`);
  } else if (command === 'user:activate') {
    const { wasInactive } = await commands.activateUser(values.username!);
    console.log(`${wasInactive ? 'Activated' : 'Already active'}: "${values.username}"`);
  } else if (command === 'class:create') {
    const classroom = await commands.createClass(values.teacher!, values.name!);
    if (values.json) return console.log(JSON.stringify({ id: classroom.id, name: classroom.name, joinCode: classroom.joinCode }));
    console.log(`Created class ${classroom.id} "${classroom.name}", taught by ${values.teacher}`);
    console.log(`Join code: ${classroom.joinCode}   (students join at /classes/join, or sign up at /signup?code=${classroom.joinCode})`);
  } else if (command === 'class:import') {
    const result = await commands.importRoster(classId, positionals[0]);
    if (values.json) return console.log(JSON.stringify(result));
    console.log(`Class ${result.classroom.id} "${result.classroom.name}": ${result.created.length} account(s) created, ${result.enrolled.length} existing student(s) enrolled`);
    if (result.created.length) {
      console.log('New accounts (passwords shown once; each must be changed at the first login):');
      printTable(['username', 'display name', 'password'], result.created.map((a) => [a.username, a.displayName, a.password]), '  ');
    }
    if (result.enrolled.length) {
      console.log('Enrolled:');
      printTable(['username', 'display name'], result.enrolled.map((a) => [a.username, a.displayName]), '  ');
    }
  } else if (command === 'target:import') {
    const result = await commands.importTargets(positionals[0], { as: values.as, visibility: values.visibility, classId: values.class });
    if (values.json) return console.log(JSON.stringify({ owner: result.owner, created: result.created, visibility: result.visibility, classroomId: result.classroomId }));
    console.log(`Imported ${result.created.length} target(s) as ${result.owner}, shared with ${result.shareLabel}:`);
    printTable(['line', 'id', 'name'], result.created.map((t) => [String(t.line), String(t.id), t.name]), '  ');
  } else if (command === 'seed:demo') {
    const seeded = await app.get(DemoSeedService).seedIfEmpty();
    if (!seeded) return console.log('The database already has users; nothing seeded.');
    for (const line of demoSeedSummary(seeded)) console.log(line);
    console.log(`(also saved in ${dataDir}/demo-accounts.txt)`);
    console.log(queued ? 'Thumbnails of the frames are queued for the workers.' : 'Thumbnails of the frames are made when the portal next starts.');
  }
}

/**
 * pipeline:list: the registered pipelines and the workflows' current versions (composed ones are in Postgres, so
 * the database is opened as for pipeline:run).
 */
async function listPipelines(config: ReturnType<typeof loadConfig>, json: boolean): Promise<void> {
  const infrastructure = await startInfrastructure(config, { log: () => undefined } as unknown as Logger);
  try {
    await runMigrations(infrastructure.databaseUrl);
    const app = await NestFactory.createApplicationContext(PipelineCliModule.forRoot(config, infrastructure.databaseUrl, infrastructure.redisUrl), {
      logger: QUIET_LOGGER,
      abortOnError: false,
    });
    try {
      const list = app
        .get(PipelineRegistryService)
        .list()
        .map((p) => ({
          name: p.name,
          key: p.key,
          kind: p.kind,
          shortName: p.shortName,
          version: p.version,
          flags: p.flags,
          params: p.params,
          allowedSuffixes: p.allowedSuffixes,
          ...(isWorkflow(p) ? { steps: workflowStepsView(p) } : {}),
        }));
      if (json) console.log(JSON.stringify(list));
      else {
        for (const p of list) {
          const params = Object.entries(p.params).map(([name, spec]) => `${name} (${spec.kind}, default ${spec.default === null ? 'none' : spec.default})`);
          const steps = p.steps ? `; steps ${p.steps.map((step) => `${step.position}. ${step.pipeline}`).join(', ')}` : '';
          console.log(
            `${p.name} (${p.shortName}${p.kind === 'workflow' ? `, workflow v${p.version}` : ''}): takes ${p.allowedSuffixes.join(', ') || 'any file'}; ` +
              `flags ${Object.keys(p.flags).join(', ') || 'none'}; parameters ${params.join(', ') || 'none'}${steps}`,
          );
        }
      }
    } finally {
      await app.close();
    }
  } finally {
    await infrastructure.close();
  }
}

/** pipeline:run, on the full pipeline stack with this process as the worker. */
async function runPipelineCommand(
  command: string,
  values: { pipeline?: string; target?: string; flag?: string[]; param?: string[]; as?: string; json?: boolean },
  files: string[],
): Promise<void> {
  const config = loadConfig();
  if (command === 'pipeline:list') {
    await listPipelines(config, Boolean(values.json));
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
  const params: Record<string, string> = {};
  for (const item of values.param ?? []) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new CliError(`--param ${item}: write name=value`);
    params[item.slice(0, equals)] = item.slice(equals + 1);
  }
  // Quiet: --json output must stay parseable, and the log lines are the point.
  const infrastructure = await startInfrastructure(config, { log: () => undefined } as unknown as Logger);
  let exitCode = 1;
  try {
    await runMigrations(infrastructure.databaseUrl);
    // The run's own log lines say what went wrong in it; the rest is thrown and printed once below.
    const app = await NestFactory.createApplicationContext(
      PipelineCliModule.forRoot(config, infrastructure.databaseUrl, infrastructure.redisUrl),
      { logger: QUIET_LOGGER, abortOnError: false },
    );
    try {
      exitCode = await app.get(PipelineCliService).run({ pipelineName, targetName, flags, params, files, as: values.as, json: Boolean(values.json) });
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
  // One line (and a roster's bad rows), never a stack: LOG_LEVEL=debug adds it for whoever is debugging the CLI.
  (error) => {
    const message = error instanceof Error ? error.message : String(error);
    // node:util's parseArgs adds a paragraph on positionals starting with "-"; its first sentence is the point.
    const parseError = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`Error: ${parseError ? `${message.replace(/\. To specify .*$/s, '')}${HELP_HINT}` : message}`);
    if (error instanceof CliError) for (const detail of error.details) console.error(`  ${detail}`);
    if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) console.error(error.stack);
    process.exit(1);
  },
);
