import { ForbiddenException, Inject, Injectable, Logger, NotFoundException, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Repository } from 'typeorm';
import { checkText } from '../common/text';
import { canonicalJson } from '../pipeline-registry/pipeline-config.loader';
import { PipelineRegistryService, RegisteredWorkflow } from '../pipeline-registry/pipeline-registry.service';
import { PIPELINE_REDIS_URL, pubSubPrefix } from '../pipeline-runs/pipeline.tokens';
import { SessionUser } from '../users/user.entity';
import { checkWorkflow, CheckedWorkflow, storedSteps } from './workflow-definition';
import { WorkflowVersion } from './workflow-version.entity';

/** A save the composer refuses: one message per field (`name`, `steps.2.params.apertureRadius`, …). */
export class WorkflowRefusedError extends Error {
  constructor(readonly problems: Record<string, string>) {
    super(Object.entries(problems).map(([field, problem]) => `${field}: ${problem}`).join('; '));
    this.name = 'WorkflowRefusedError';
  }
}

/** What the composer sends: the display name, and the workflow as checkWorkflow reads it. */
export interface WorkflowDraft {
  name: unknown;
  shortName: unknown;
  description?: unknown;
  steps: unknown;
}

const changedChannel = (redisUrl: string) => `${pubSubPrefix(redisUrl)}:workflows-changed`;

/**
 * Workflows in Postgres (workflow_versions, written only here): the config file's, stored as a new version when
 * their declaration changes, and those teachers compose. Keeps the registry's list of current versions true in
 * every process: at boot, after a save here, and when another process says it saved one (Redis pub/sub).
 */
@Injectable()
export class WorkflowsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Workflows');
  private subscriber?: Redis;
  private publisher?: Redis;

  constructor(
    @InjectRepository(WorkflowVersion) private readonly versions: Repository<WorkflowVersion>,
    private readonly registry: PipelineRegistryService,
    @Inject(PIPELINE_REDIS_URL) private readonly redisUrl: string,
  ) {}

  async onModuleInit() {
    for (const { name, workflow } of this.registry.configWorkflows) await this.storeIfChanged(name, workflow, 'config', null);
    await this.reload();
    this.subscriber = new Redis(this.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    this.subscriber.on('error', (error) => this.logger.warn(`Workflow updates: ${error.message}`));
    this.subscriber.on('message', () => void this.reload().catch((error) => this.logger.error(`Reloading workflows: ${error.message}`)));
    await this.subscriber.connect();
    await this.subscriber.subscribe(changedChannel(this.redisUrl));
  }

  onApplicationShutdown() {
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
  }

  /** Reads every workflow's latest version into the registry; a version whose steps no longer check is left out. */
  async reload(): Promise<void> {
    const latest: WorkflowVersion[] = await this.versions
      .createQueryBuilder('w')
      .distinctOn(['w.name'])
      .orderBy('w.name')
      .addOrderBy('w.version', 'DESC')
      .getMany();
    const registered: RegisteredWorkflow[] = [];
    for (const version of latest) {
      const entry = this.registered(version);
      if (entry) registered.push(entry);
    }
    this.registry.setWorkflows(registered);
  }

  /** A stored version as the registry lists it, or null (with a warning) when its steps name a pipeline no longer there. */
  registered(version: WorkflowVersion): RegisteredWorkflow | null {
    const checked = checkWorkflow({ shortName: version.shortName, description: version.description, steps: version.steps }, (name) => this.registry.findPipeline(name));
    if (checked.problems) {
      this.logger.warn(`Workflow "${version.name}" v${version.version} cannot run here: ${Object.values(checked.problems).join('; ')}`);
      return null;
    }
    return {
      ...checked.workflow,
      kind: 'workflow',
      name: version.name,
      key: version.name,
      version: String(version.version),
      versionId: version.id,
      source: version.source,
      createdById: version.createdById,
      flags: {},
    };
  }

  /** Every version of a workflow, newest first. */
  history(name: string): Promise<WorkflowVersion[]> {
    // Only the saver's name: the rest of their account stays out of the pages' reach.
    return this.versions
      .createQueryBuilder('w')
      .leftJoin('w.createdBy', 'u')
      .addSelect(['u.id', 'u.username'])
      .where('w.name = :name', { name })
      .orderBy('w.version', 'DESC')
      .getMany();
  }

  findVersion(id: number): Promise<WorkflowVersion | null> {
    return this.versions.findOne({ where: { id } });
  }

  /** The current version of a composed workflow, for its editor: 404 when there is none, 403 for config ones. */
  async editable(name: string, user: SessionUser): Promise<WorkflowVersion> {
    const [current] = await this.history(name);
    if (!current) throw new NotFoundException(`There is no workflow named "${name}"`);
    if (current.source === 'config') throw new ForbiddenException(`"${name}" is declared in the server's pipeline config; it is changed there`);
    if (user.role !== 'admin' && !(await this.versions.exist({ where: { name, createdById: user.id } }))) {
      throw new ForbiddenException('Only the teachers who composed this workflow and admins may change it');
    }
    return current;
  }

  /**
   * Checks a draft as a save would, without saving: the checked workflow, or the problems by field. `editing`:
   * the name of the workflow being changed (its name is then taken by itself).
   */
  check(draft: WorkflowDraft, editing?: string): { name: string; workflow: CheckedWorkflow } | { problems: Record<string, string> } {
    const problems: Record<string, string> = {};
    const name = checkText(draft.name, 'workflowName', { required: true });
    const description = checkText(draft.description ?? '', 'workflowDescription');
    if (name.error !== undefined) problems.name = name.error;
    else if (editing !== undefined && name.value !== editing) problems.name = 'A saved workflow keeps its name; save a new one to rename it';
    else if (this.registry.findPipeline(name.value)) problems.name = 'A pipeline has that name';
    else if (this.registry.configWorkflows.some((workflow) => workflow.name === name.value)) problems.name = "A workflow of the server's config has that name";
    else if (editing === undefined && this.registry.find(name.value)) problems.name = 'A workflow of that name exists: edit it, or choose another name';
    if (description.error !== undefined) problems.description = description.error;
    const checked = checkWorkflow({ shortName: draft.shortName, description: description.value, steps: draft.steps }, (step) => this.registry.findPipeline(step));
    Object.assign(problems, checked.problems ?? {});
    if (checked.workflow && !problems.shortName) {
      const short = checked.workflow.shortName.toLowerCase();
      const clash = this.registry.list().find((entry) => entry.shortName.toLowerCase() === short && entry.name !== (name.value ?? ''));
      if (clash) problems.shortName = `"${clash.name}" has that short name`;
    }
    if (Object.keys(problems).length || !checked.workflow) return { problems };
    return { name: name.value as string, workflow: checked.workflow };
  }

  /** Saves a composed workflow as its next version (the first when new); it can be run at once, in every process. */
  async save(draft: WorkflowDraft, user: SessionUser, editing?: string): Promise<WorkflowVersion> {
    if (editing !== undefined) await this.editable(editing, user);
    const checked = this.check(draft, editing);
    if ('problems' in checked) throw new WorkflowRefusedError(checked.problems);
    // A new name must be free of every version stored (also of a workflow that cannot run here now), and two
    // teachers saving the same new name at once get one workflow: the second insert of version 1 is refused.
    const saved =
      editing === undefined
        ? await this.storeFirst(checked.name, checked.workflow, user.id)
        : await this.storeIfChanged(checked.name, checked.workflow, 'composed', user.id, true);
    await this.reload();
    await this.announce();
    return saved;
  }

  /** Version 1 of a new composed workflow, or a refusal when any version of the name exists. */
  private async storeFirst(name: string, workflow: CheckedWorkflow, userId: string): Promise<WorkflowVersion> {
    const result = await this.versions
      .createQueryBuilder()
      .insert()
      .values({ name, shortName: workflow.shortName, description: workflow.description, steps: storedSteps(workflow), source: 'composed', createdById: userId, version: 1 })
      .orIgnore()
      .returning('id')
      .execute();
    if (!result.raw.length) {
      throw new WorkflowRefusedError({ name: 'A workflow of that name exists: edit it, or choose another name' });
    }
    return this.versions.findOneByOrFail({ id: result.raw[0].id });
  }

  /**
   * Inserts the next version of `name` unless its latest one is the same declaration (`always`: a composed save
   * makes a version even so, as the teacher asked). Two processes storing the same config at once insert it once.
   */
  private async storeIfChanged(name: string, workflow: CheckedWorkflow, source: 'config' | 'composed', userId: string | null, always = false): Promise<WorkflowVersion> {
    const steps = storedSteps(workflow);
    for (let tries = 0; tries < 5; tries++) {
      const [latest] = await this.versions.find({ where: { name }, order: { version: 'DESC' }, take: 1 });
      const same =
        latest &&
        latest.source === source &&
        canonicalJson({ shortName: latest.shortName, description: latest.description, steps: latest.steps }) ===
          canonicalJson({ shortName: workflow.shortName, description: workflow.description, steps });
      if (same && !always) return latest;
      const result = await this.versions
        .createQueryBuilder()
        .insert()
        .values({ name, shortName: workflow.shortName, description: workflow.description, steps, source, createdById: userId, version: (latest?.version ?? 0) + 1 })
        .orIgnore()
        .returning('*')
        .execute();
      if (result.raw.length) return this.versions.findOneByOrFail({ id: result.raw[0].id });
    }
    throw new Error(`Could not store a new version of workflow "${name}": others were saved at the same time`);
  }

  /** Tells the other processes to read the workflows again. */
  private async announce(): Promise<void> {
    this.publisher ??= new Redis(this.redisUrl, { maxRetriesPerRequest: 2 });
    await this.publisher.publish(changedChannel(this.redisUrl), 'changed').catch((error) => this.logger.warn(`Announcing a saved workflow: ${error.message}`));
  }
}
