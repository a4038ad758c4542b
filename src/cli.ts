import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { HttpException, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, loadConfig } from './config/app-config';
import { runMigrations } from './database/migrate';
import { typeormOptions } from './database/typeorm-options';
import { DemoModule } from './demo/demo.module';
import { DemoSeedService } from './demo/demo-seed.service';
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
  pipeline:run --pipeline NAME --target NAME [--flag name=true ...] [--as USER] [--json] FILE...
                                                                 run a pipeline here on local files; they are added
                                                                 to the target first, outputs saved as on the web

Uses DATABASE_URL, or the embedded database in DATA_DIR (stop the portal first: one process per data directory).`;

class CliError extends Error {}

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
  const known = ['user:create', 'user:password', 'user:list', 'migrate', 'seed:demo', 'pipeline:list', 'pipeline:run'];
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
