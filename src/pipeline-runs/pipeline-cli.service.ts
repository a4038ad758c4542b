import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DynamicModule, Injectable, Module } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DataProductsModule } from '../data-products/data-products.module';
import { DataProductsService } from '../data-products/data-products.service';
import { typeormOptions } from '../database/typeorm-options';
import { isFitsFileName } from '../fits';
import { LiveModule } from '../live/live.module';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';
import { FileStorageService } from '../storage/file-storage.service';
import { canViewTarget } from '../targets/target-access';
import { Target } from '../targets/target.entity';
import { UsersService } from '../users/users.service';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { PipelineLogService } from './pipeline-log.service';
import { PipelineRun } from './pipeline-run.entity';
import { PipelineRunnerService } from './pipeline-runner.service';
import { PipelineRunsService } from './pipeline-runs.service';
import { PipelinesModule } from './pipelines.module';

export interface CliRunRequest {
  pipelineName: string;
  targetName: string;
  flags: Record<string, unknown>;
  /** `--param name=value`, as text: checked and converted by the parameter's kind. */
  params: Record<string, string>;
  files: string[];
  as?: string;
  json: boolean;
}

/** `pipeline:run`: adds local files to the target, records a run like the web does, runs it here, prints its log. */
@Injectable()
export class PipelineCliService {
  constructor(
    @InjectRepository(Target) private readonly targets: Repository<Target>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(PipelineRun) private readonly runsRepo: Repository<PipelineRun>,
    private readonly products: DataProductsService,
    private readonly storage: FileStorageService,
    private readonly runs: PipelineRunsService,
    private readonly runner: PipelineRunnerService,
    private readonly logs: PipelineLogService,
    private readonly sessionUsers: UsersService,
  ) {}

  /** Returns the exit status: 0 only when the run succeeded. */
  async run(request: CliRunRequest): Promise<number> {
    const target = await this.targets
      .createQueryBuilder('t')
      .where('lower(t.name) = lower(:name)', { name: request.targetName })
      .orWhere('EXISTS (SELECT 1 FROM unnest(t.aliases) a WHERE lower(a) = lower(:name))', { name: request.targetName })
      .getOne();
    if (!target) throw new Error(`There is no target called "${request.targetName}"`);
    const user = request.as
      ? await this.users.findOne({ where: { username: request.as } })
      : await this.users.findOne({ where: { role: 'admin', active: true }, order: { createdAt: 'ASC' } });
    if (!user) throw new Error(request.as ? `There is no user "${request.as}"` : 'No admin account exists: create one or pass --as USER');
    const sessionUser = await this.sessionUsers.findSessionUser(user.id);
    if (!sessionUser) throw new Error(`The account "${user.username}" is deactivated`);
    // Checked before the files are added to the target: the web's run form has the same rule (the sharing policy).
    if (!canViewTarget(sessionUser, target)) throw new Error(`${user.username} may not see the target "${target.name}"`);

    // Refused values change nothing: checked before the files are added to the target.
    this.runs.checkValues(request.pipelineName, request.flags, request.params);
    const inputIds: number[] = [];
    for (const file of request.files) {
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`No such file: ${file}`);
      // ingest() moves its files into the store, so hand it a copy.
      const temp = path.join(this.storage.tmpDir, `cli-${randomUUID()}`);
      await fs.promises.copyFile(file, temp);
      const result = await this.products.ingest(
        target,
        [{ path: temp, originalName: path.basename(file), size: fs.statSync(temp).size }],
        isFitsFileName(file) ? 'fits_image' : 'other',
        sessionUser,
      ).finally(() => fs.promises.rm(temp, { force: true }));
      inputIds.push(...[...result.created, ...result.duplicates].map((product) => product.id));
    }

    const queued = await this.runs.start(
      sessionUser,
      { pipelineName: request.pipelineName, targetId: target.id, inputIds, flags: request.flags, params: request.params },
      { enqueue: false },
    );
    this.logs.onLine((line) => {
      if (line.runId === queued.id) (request.json ? process.stderr : process.stdout).write(`${line.level === 'info' ? '' : `[${line.level}] `}${line.text}\n`);
    });
    let finished = queued.workflowVersionId ? queued : await this.runner.execute(queued.id);
    // A workflow's steps run here one after another, as the workers would run their jobs.
    for (let step = 1; queued.workflowVersionId && ['queued', 'running'].includes(finished.state); step++) {
      finished = await this.runner.execute(queued.id, step, { enqueueNext: false });
    }
    const outputs = finished.outputGroupId
      ? await this.runsRepo.query(
          `SELECT p.id, p.original_name FROM data_products p JOIN data_product_group_members m ON m.data_product_id = p.id WHERE m.group_id = $1 ORDER BY p.id`,
          [finished.outputGroupId],
        )
      : [];
    // The run's points carry its id (older ones only its identifier as their source name).
    const points = await this.runsRepo.query(
      `SELECT count(*)::int AS n FROM reduced_data WHERE run_id = $1 OR (run_id IS NULL AND target_id = $2 AND source_name = $3)`,
      [finished.id, finished.targetId, finished.identifier],
    );
    const summary = {
      runId: finished.id,
      identifier: finished.identifier,
      state: finished.state,
      failureMessage: finished.failureMessage,
      outputs: [
        ...outputs.map((row: { id: number; original_name: string }) => ({ outputType: 'DataProduct', id: row.id, name: row.original_name })),
        ...(points[0].n ? [{ outputType: 'ReducedDatum', count: points[0].n, sourceName: finished.identifier }] : []),
      ],
    };
    if (request.json) console.log(JSON.stringify(summary));
    else console.log(`${finished.identifier}: ${finished.state}${finished.failureMessage ? ` (${finished.failureMessage})` : ''}; see /pipeline/${finished.id}`);
    return finished.state === 'succeeded' ? 0 : 1;
  }
}

@Module({})
export class PipelineCliModule {
  static forRoot(config: AppConfig, databaseUrl: string, redisUrl: string): DynamicModule {
    return {
      module: PipelineCliModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot(typeormOptions(databaseUrl)),
        TypeOrmModule.forFeature([Target, User, PipelineRun]),
        QueueModule.forRoot(redisUrl),
        StorageModule,
        PipelinesModule.forRoot({ redisUrl, runWorker: false }),
        LiveModule.forRoot(redisUrl),
        DataProductsModule,
        UsersModule,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, PipelineCliService],
      exports: [APP_CONFIG],
    };
  }
}
