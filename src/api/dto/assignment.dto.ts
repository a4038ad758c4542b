import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsISO8601, IsNumber, IsOptional, IsString, MaxLength } from 'class-validator';
import { ASSIGNMENT_STATUSES } from '../../assignments/assignment-status';
import { IsText } from '../../common/text-input';
import { IsRowId, StrictInput } from '../../common/validation';
import { ApiRowId, ApiRowIdOptional, ApiRowIds, ApiWholeNumber } from '../api-schema';

@StrictInput()
export class CreateAssignmentDto {
  @ApiRowId({ description: 'the class it is for (one you teach)' })
  @IsRowId()
  classId: number;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Measure M13' })
  @IsText('assignmentTitle', { required: true })
  title: string;

  @ApiPropertyOptional({ maxLength: 20000, description: 'Markdown (raw HTML is shown as text)' })
  @IsOptional()
  @IsText('instructions')
  instructions?: string;

  @ApiRowId({ description: 'a target the class can open (public, or shared with the class)' })
  @IsRowId()
  targetId: number;

  @ApiRowIdOptional({ nullable: true, description: 'the group to work from; absent or null: students bring their own frames' })
  @IsOptional()
  @IsRowId()
  groupId?: number | null;

  @ApiProperty({ type: [String], example: ['Aperture photometry'], description: 'the pipelines allowed, by name' })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  pipelines: string[];

  @ApiRowIds({ required: false, description: 'presets, at most one per pipeline allowed' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsRowId({ each: true })
  presetIds?: number[];

  @ApiProperty({ format: 'date-time', example: '2026-12-10T18:00:00Z', description: 'ISO 8601; without a zone it is UTC' })
  @IsISO8601()
  dueAt: string;

  @ApiPropertyOptional({ description: 'after the due date, the class sees everyone\'s hand-ins' })
  @IsOptional()
  @IsBoolean()
  shareAfterDue?: boolean;
}

@StrictInput()
export class UpdateAssignmentDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsText('assignmentTitle', { required: true })
  title?: string;

  @ApiPropertyOptional({ maxLength: 20000 })
  @IsOptional()
  @IsText('instructions')
  instructions?: string;

  @ApiRowIdOptional()
  @IsOptional()
  @IsRowId()
  targetId?: number;

  @ApiRowIdOptional({ nullable: true })
  @IsOptional()
  @IsRowId()
  groupId?: number | null;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  pipelines?: string[];

  @ApiRowIds({ required: false })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsRowId({ each: true })
  presetIds?: number[];

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601()
  dueAt?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  shareAfterDue?: boolean;

  @ApiPropertyOptional({ description: 'true closes it (no more runs or hand-ins), false opens it again' })
  @IsOptional()
  @IsBoolean()
  closed?: boolean;
}

@StrictInput()
export class HandInRequestDto {
  @ApiRowId({ description: 'one of your succeeded runs for the assignment' })
  @IsRowId()
  runId: number;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsText('answer')
  answer?: string;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 14.2, description: 'a number the assignment asks for' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  value?: number | null;
}

export class AssignmentPipelineDto {
  @ApiProperty() name: string;
  @ApiRowId({ nullable: true }) presetId: number | null;
}

export class AssignmentDto {
  @ApiRowId() id: number;
  @ApiRowId() classId: number;
  @ApiProperty() className: string;
  @ApiProperty() title: string;
  @ApiProperty({ description: 'Markdown' }) instructions: string;
  @ApiRowId() targetId: number;
  @ApiProperty() targetName: string;
  @ApiRowId({ nullable: true }) groupId: number | null;
  @ApiProperty({ type: [AssignmentPipelineDto] }) pipelines: AssignmentPipelineDto[];
  @ApiProperty({ format: 'date-time' }) dueAt: string;
  @ApiProperty() shareAfterDue: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt: string | null;
  @ApiProperty({ description: 'you teach its class (or are an admin)' }) canTeach: boolean;
  @ApiProperty({ enum: [...ASSIGNMENT_STATUSES, null], nullable: true, type: String, description: 'your standing, for students of the class' }) status: string | null;
}

export class HandInDto {
  @ApiRowId({ nullable: true }) runId: number | null;
  @ApiProperty({ type: String, nullable: true }) answer: string | null;
  @ApiProperty({ type: Number, nullable: true }) value: number | null;
  @ApiProperty({ format: 'date-time' }) handedInAt: string;
  @ApiProperty() late: boolean;
  @ApiProperty({ type: String, nullable: true }) feedback: string | null;
  @ApiProperty({ type: String, nullable: true }) grade: string | null;
}

/** One student's row, flat: a field is null where the student has no run or no hand-in yet. */
export class ProgressRowDto {
  @ApiProperty({ format: 'uuid' }) studentId: string;
  @ApiProperty() username: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ASSIGNMENT_STATUSES }) status: string;
  @ApiProperty({ description: 'past the due date without a hand-in' }) overdue: boolean;
  @ApiRowId({ nullable: true, description: 'the latest run for the assignment' }) latestRunId: number | null;
  @ApiProperty({ type: String, nullable: true }) latestRunIdentifier: string | null;
  @ApiProperty({ type: String, nullable: true }) latestRunState: string | null;
  @ApiProperty({ type: String, nullable: true, description: "the latest run's failure message" }) failureMessage: string | null;
  @ApiRowId({ nullable: true, description: 'the product whose thumbnail shows the result' }) thumbnailProductId: number | null;
  @ApiWholeNumber({ description: 'light-curve points of the result' }) points: number;
  @ApiRowId({ nullable: true, description: 'the run handed in' }) handInRunId: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) handedInAt: string | null;
  @ApiProperty({ description: 'handed in after the due date' }) late: boolean;
  @ApiProperty({ type: String, nullable: true }) answer: string | null;
  @ApiProperty({ type: Number, nullable: true }) value: number | null;
  @ApiProperty({ type: String, nullable: true }) feedback: string | null;
  @ApiProperty({ type: String, nullable: true }) grade: string | null;
}
