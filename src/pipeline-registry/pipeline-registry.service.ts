import { BadRequestException, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PipelineFlagSpecs } from '../pipeline-sdk/pipeline-process';
import { BUILTIN_PIPELINES } from '../teaching-pipelines';
import { CheckedWorkflow } from '../workflows/workflow-definition';
import { ConfigWorkflow, loadConfigWorkflows, loadPipelineRegistry, RegisteredPipeline } from './pipeline-config.loader';

/** A workflow's current version as the picker, the API and start() see it: beside the pipelines, of kind workflow. */
export interface RegisteredWorkflow extends CheckedWorkflow {
  kind: 'workflow';
  name: string;
  key: string;
  /** The version number, as text like a pipeline's. */
  version: string;
  /** Its row in workflow_versions: what a run records. */
  versionId: number;
  source: 'config' | 'composed';
  createdById: string | null;
  /** Workflows take no flags of their own: each step's are fixed. */
  flags: PipelineFlagSpecs;
}

export type RegisteredEntry = RegisteredPipeline | RegisteredWorkflow;

export const isWorkflow = (entry: RegisteredEntry): entry is RegisteredWorkflow => entry.kind === 'workflow';

/**
 * The pipelines registered in PIPELINES_CONFIG, loaded and validated once at boot (a bad entry stops the app), and
 * the workflows' current versions, which WorkflowsService keeps up to date from Postgres (saved ones run at once).
 */
@Injectable()
export class PipelineRegistryService {
  private readonly logger = new Logger('PipelineRegistry');
  private readonly pipelines: Map<string, RegisteredPipeline>;
  /** The config file's workflows, checked at boot; WorkflowsService stores them as versions. */
  readonly configWorkflows: ConfigWorkflow[];
  private workflows = new Map<string, RegisteredWorkflow>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pipelines = loadPipelineRegistry(config.pipelinesConfig, BUILTIN_PIPELINES);
    // A remote pipeline whose secret is not in this process's environment cannot sign or check anything: it is
    // left out (with the reason in the log) rather than offered to students and failing every run.
    for (const pipeline of [...this.pipelines.values()]) {
      if (pipeline.remote && !process.env[pipeline.remote.secretEnv]) {
        this.pipelines.delete(pipeline.name);
        this.logger.log(`Remote pipeline "${pipeline.name}" is off: set ${pipeline.remote.secretEnv} to the secret its service shares`);
      }
    }
    this.configWorkflows = loadConfigWorkflows(config.pipelinesConfig, this.pipelines);
  }

  /** Pipelines and workflows by name. */
  list(): RegisteredEntry[] {
    return [...this.pipelines.values(), ...this.workflows.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The pipelines alone (what a workflow's steps may be). */
  listPipelines(): RegisteredPipeline[] {
    return [...this.pipelines.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The pipeline or workflow registered under this display name, or a 400 naming the known ones. */
  get(name: string): RegisteredEntry {
    const entry = this.find(name);
    if (!entry) throw new BadRequestException(`Unknown pipeline "${name}". Known: ${this.list().map((known) => known.name).join(', ')}`);
    return entry;
  }

  find(name: string): RegisteredEntry | undefined {
    return this.pipelines.get(name) ?? this.workflows.get(name);
  }

  /** A pipeline (not a workflow) by name, or a 400. */
  getPipeline(name: string): RegisteredPipeline {
    const pipeline = this.pipelines.get(name);
    if (!pipeline) throw new BadRequestException(`Unknown pipeline "${name}". Known: ${[...this.pipelines.keys()].join(', ')}`);
    return pipeline;
  }

  findPipeline(name: string): RegisteredPipeline | undefined {
    return this.pipelines.get(name);
  }

  /** The workflows' current versions (WorkflowsService, at boot and whenever one is saved anywhere). */
  setWorkflows(workflows: RegisteredWorkflow[]): void {
    this.workflows = new Map(workflows.filter((workflow) => !this.pipelines.has(workflow.name)).map((workflow) => [workflow.name, workflow]));
  }
}
