import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BUILTIN_PIPELINES } from '../teaching-pipelines';
import { loadPipelineRegistry, RegisteredPipeline } from './pipeline-config.loader';

/** The pipelines registered in PIPELINES_CONFIG, loaded and validated once at boot (a bad entry stops the app). */
@Injectable()
export class PipelineRegistryService {
  private readonly pipelines: Map<string, RegisteredPipeline>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pipelines = loadPipelineRegistry(config.pipelinesConfig, BUILTIN_PIPELINES);
  }

  list(): RegisteredPipeline[] {
    return [...this.pipelines.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The pipeline registered under this display name, or a 400 naming the known ones. */
  get(name: string): RegisteredPipeline {
    const pipeline = this.pipelines.get(name);
    if (!pipeline) throw new BadRequestException(`Unknown pipeline "${name}". Known: ${[...this.pipelines.keys()].join(', ')}`);
    return pipeline;
  }

  find(name: string): RegisteredPipeline | undefined {
    return this.pipelines.get(name);
  }
}
