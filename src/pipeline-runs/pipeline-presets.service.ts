import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { textOrThrow } from '../common/text-input';
import { SessionUser } from '../users/user.entity';
import { PipelinePreset } from './pipeline-preset.entity';
import { PipelineRegistryService } from '../pipeline-registry/pipeline-registry.service';
import { resolveParams } from '../pipeline-sdk/pipeline-params';
import { resolveFlags } from '../pipeline-sdk/pipeline-process';
import { ParamsRefusedException } from './params-refused.exception';
import { isRowId } from '../common/request-parsing';

/** Teachers' saved flag and parameter sets, offered in the picker of every target page. */
@Injectable()
export class PipelinePresetsService {
  constructor(
    @InjectRepository(PipelinePreset) private readonly presets: Repository<PipelinePreset>,
    private readonly registry: PipelineRegistryService,
  ) {}

  list(): Promise<PipelinePreset[]> {
    return this.presets.find({ order: { pipelineKey: 'ASC', name: 'ASC' } });
  }

  async find(id: number): Promise<PipelinePreset> {
    const preset = isRowId(id) ? await this.presets.findOne({ where: { id } }) : null;
    if (!preset) throw new NotFoundException(`There is no preset with id ${id}`);
    return preset;
  }

  async create(
    pipelineName: string,
    name: string,
    flags: Record<string, unknown>,
    user: Pick<SessionUser, 'id'>,
    params: Record<string, unknown> = {},
  ): Promise<PipelinePreset> {
    const pipeline = this.registry.get(pipelineName);
    const cleanName = textOrThrow(name, 'presetName', { required: true });
    let values: Record<string, boolean>;
    try {
      values = resolveFlags(pipeline.flags, flags).values;
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }
    // Only what differs from the defaults: a preset sets those, and the rest follow the pipeline.
    const resolved = ParamsRefusedException.wrap(() => resolveParams(pipeline.params, params));
    const paramValues = Object.fromEntries(Object.entries(resolved.values).filter(([key]) => resolved.sources[key] !== 'default'));
    if (await this.presets.exist({ where: { pipelineKey: pipeline.key, name: cleanName } })) {
      throw new ConflictException(`${pipeline.name} already has a preset called "${cleanName}"`);
    }
    return this.presets.save(this.presets.create({ pipelineKey: pipeline.key, name: cleanName, flags: values, params: paramValues, createdById: user.id }));
  }

  async remove(id: number): Promise<void> {
    await this.presets.remove(await this.find(id));
  }
}
