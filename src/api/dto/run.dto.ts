import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { IntegerText, IsRowId, IsWholeNumber, StrictInput } from '../../common/validation';
import { LOG_PAGE_LINES, MAX_LOG_PAGE_LINES } from '../../pipeline-runs/pipeline-log.service';
import { PIPELINE_STATES } from '../../pipeline-runs/pipeline-run.entity';
import { STEP_STATES } from '../../pipeline-runs/pipeline-run-step.entity';
import { VISIBILITIES } from '../../sharing/visibility';
import { PaginationQueryDto } from '../pagination';
import { ApiRowId, ApiRowIdOptional, ApiRowIds, ApiWholeNumber } from '../api-schema';
import { IsParamValues, PARAM_VALUES_SCHEMA } from './pipeline.dto';
import { ShareDto } from './sharing.dto';
import { PG_INTEGER_MAX } from '../../common/request-parsing';

@StrictInput()
export class StartRunDto {
  @ApiRowId({ example: 1 })
  @IsRowId()
  targetId: number;

  @ApiProperty({ example: 'FITS header summary', description: 'a pipeline name from GET /api/pipelines' })
  @IsString()
  @MaxLength(100)
  pipeline: string;

  @ApiRowIds({ example: [3, 4], description: 'data products of the target to run on' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsRowId({ each: true })
  inputIds: number[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'boolean' }, example: { verbose: true }, description: 'flags not given take their defaults' })
  @IsOptional()
  @IsObject()
  flags?: Record<string, boolean>;

  @ApiPropertyOptional({
    ...PARAM_VALUES_SCHEMA,
    example: { apertureRadius: 2, apertureUnit: 'fwhm' },
    description:
      "typed parameters' values (GET /api/pipelines lists each pipeline's); a parameter not given takes the preset's value, else its default; refused values answer 400 with `errors` naming `params.<name>`",
  })
  @IsOptional()
  @IsObject()
  @IsParamValues()
  params?: Record<string, number | string | null>;

  @ApiRowIdOptional({ description: "a preset of this pipeline: its parameter values fill in those not given, and matching values are recorded as coming from it" })
  @IsOptional()
  @IsRowId()
  presetId?: number;

  @ApiRowIdOptional({ description: "an assignment of your class this run is for: its target and one of its pipelines; the run is linked to it" })
  @IsOptional()
  @IsRowId()
  assignmentId?: number;
}

export class RunQueryDto extends PaginationQueryDto {
  @ApiRowIdOptional({ description: 'target id: only its runs (404 when there is no such target, 403 when you may not see it)' })
  @IsOptional()
  @IntegerText()
  @IsRowId()
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
export class ShareRunDto extends ShareDto {}

@StrictInput()
export class LogQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: PG_INTEGER_MAX, description: 'only lines after this sequence number (the previous page\'s `lastSeq`)' })
  @IntegerText()
  @IsWholeNumber(0, PG_INTEGER_MAX)
  after: number = 0;

  @ApiPropertyOptional({ type: 'integer', default: LOG_PAGE_LINES, minimum: 1, maximum: MAX_LOG_PAGE_LINES, description: 'lines per page' })
  @IntegerText()
  @IsWholeNumber(1, MAX_LOG_PAGE_LINES)
  limit: number = LOG_PAGE_LINES;
}

class RunStepDto {
  @ApiWholeNumber({ minimum: 1, description: '1 for the first step' }) position: number;
  @ApiProperty({ description: 'the registered pipeline the step runs' }) pipeline: string;
  @ApiProperty({ enum: STEP_STATES }) state: string;
  @ApiProperty() status: string;
  @ApiProperty({ type: String, nullable: true }) failureMessage: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' } }) flags: Record<string, boolean>;
  @ApiProperty(PARAM_VALUES_SCHEMA) params: Record<string, number | string | null>;
  @ApiRowIds() outputIds: number[];
  @ApiWholeNumber() pointCount: number;
  @ApiRowId({ nullable: true, description: 'the run whose step outputs this step reused (run again from a later step)' }) reusedFromRunId: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
}

/** POST /api/processes/:id/rerun: run a workflow again from a step. */
@StrictInput()
export class RerunDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10, description: "the first step to run again; the steps before it reuse this run's outputs" })
  @IsWholeNumber(1, 10)
  fromStep: number;
}

export class RunDto {
  @ApiRowId() id: number;
  @ApiProperty({ example: 'header_summary_1_20260101T120000Z' }) identifier: string;
  @ApiProperty() pipeline: string;
  @ApiRowId() targetId: number;
  @ApiRowIds() inputIds: number[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' } }) flags: Record<string, boolean>;
  @ApiProperty(PARAM_VALUES_SCHEMA) params: Record<string, number | string | null>;
  @ApiProperty({ enum: PIPELINE_STATES }) state: string;
  @ApiProperty() status: string;
  @ApiProperty({ type: String, nullable: true }) failureMessage: string | null;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'how many times a worker has started the run (0 while it waits for its first start)' }) attempt: number;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'how many starts it may have (a worker restarted or stopped counts one)' }) maxAttempts: number;
  @ApiRowId({ nullable: true }) outputGroupId: number | null;
  @ApiProperty({ type: String, nullable: true }) requestedBy: string | null;
  @ApiProperty({ enum: VISIBILITIES, description: 'who may see the run and its outputs besides you' }) visibility: string;
  @ApiRowId({ nullable: true, description: 'the class it is shared with (visibility "class")' }) classroomId: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiRowId({ nullable: true, description: 'a workflow run: the version of the workflow it runs' }) workflowVersionId: number | null;
  @ApiPropertyOptional({ type: [RunStepDto], description: 'a workflow run, read one at a time: its steps in order' }) steps?: RunStepDto[];
}

class LogLineDto {
  @ApiWholeNumber({ minimum: 1 }) seq: number;
  @ApiProperty({ format: 'date-time' }) time: string;
  @ApiProperty({ enum: ['debug', 'info', 'warning', 'error'] }) level: string;
  @ApiProperty() text: string;
}

export class LogLinesDto {
  @ApiProperty({ enum: PIPELINE_STATES }) state: string;
  @ApiProperty({ type: [LogLineDto] }) lines: LogLineDto[];
  @ApiWholeNumber({ description: 'the last line\'s seq (or `after` when there are none): pass it as `after` next time' }) lastSeq: number;
  @ApiProperty({ description: 'whether more lines are stored after `lastSeq` now: ask again with `after=lastSeq` until it is false' }) hasMore: boolean;
}
