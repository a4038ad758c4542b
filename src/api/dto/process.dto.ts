import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { StrictInput } from '../../common/validation';
import { PIPELINE_STATES } from '../../pipelines/pipeline-run.entity';
import { VISIBILITIES } from '../../sharing/visibility';
import { PaginationQueryDto } from '../pagination';
import { ShareDto } from './sharing.dto';

@StrictInput()
export class StartProcessDto {
  @ApiProperty({ example: 1 })
  @IsInt()
  @Min(1)
  targetId: number;

  @ApiProperty({ example: 'FITS header summary', description: 'a pipeline name from GET /api/pipelines' })
  @IsString()
  @MaxLength(100)
  pipeline: string;

  @ApiProperty({ type: [Number], example: [3, 4], description: 'data products of the target to run on' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsInt({ each: true })
  @Min(1, { each: true })
  inputIds: number[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'boolean' }, example: { verbose: true }, description: 'flags not given take their defaults' })
  @IsOptional()
  @IsObject()
  flags?: Record<string, boolean>;

  @ApiPropertyOptional({ description: 'a preset of this pipeline; its matching values are recorded as coming from it' })
  @IsOptional()
  @IsInt()
  @Min(1)
  presetId?: number;
}

export class ProcessQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'target id' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  target?: number;

  @ApiPropertyOptional({ enum: PIPELINE_STATES })
  @IsOptional()
  @IsIn(PIPELINE_STATES)
  state?: string;

  @ApiPropertyOptional({ description: 'pipeline name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  pipeline?: string;

  @ApiPropertyOptional({ description: 'only the runs you started (true), not those shared with you' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' || value === '1' || value === true ? true : value === 'false' || value === '0' || value === false ? false : value))
  @IsBoolean()
  mine?: boolean;
}

/** PATCH /api/processes/:id: share a run and its outputs (output group, output products, light-curve points). */
@StrictInput()
export class ShareProcessDto extends ShareDto {}

@StrictInput()
export class LogQueryDto {
  @ApiPropertyOptional({ default: 0, description: 'only lines after this sequence number' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after: number = 0;
}

export class ProcessDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'header_summary_1_20260101T120000Z' }) identifier: string;
  @ApiProperty() pipeline: string;
  @ApiProperty() targetId: number;
  @ApiProperty({ type: [Number] }) inputIds: number[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' } }) flags: Record<string, boolean>;
  @ApiProperty({ enum: PIPELINE_STATES }) state: string;
  @ApiProperty() status: string;
  @ApiProperty({ type: String, nullable: true }) failureMessage: string | null;
  @ApiProperty({ type: Number, nullable: true }) outputGroupId: number | null;
  @ApiProperty({ type: String, nullable: true }) requestedBy: string | null;
  @ApiProperty({ enum: VISIBILITIES, description: 'who may see the run and its outputs besides you' }) visibility: string;
  @ApiProperty({ type: Number, nullable: true, description: 'the class it is shared with (visibility "class")' }) classroomId: number | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: String, nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, nullable: true }) finishedAt: string | null;
}

class LogLineDto {
  @ApiProperty() seq: number;
  @ApiProperty() time: string;
  @ApiProperty({ enum: ['debug', 'info', 'warning', 'error'] }) level: string;
  @ApiProperty() text: string;
}

export class LogLinesDto {
  @ApiProperty({ enum: PIPELINE_STATES }) state: string;
  @ApiProperty({ type: [LogLineDto] }) lines: LogLineDto[];
  @ApiProperty({ description: 'the last line\'s seq (or `after` when there are none): pass it as `after` next time' }) lastSeq: number;
}
