import { ApiProperty, ApiPropertyOptional, SchemaObject } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { PARAM_KINDS } from '../../pipeline-sdk/pipeline-params';
import { ApiRowId } from '../api-schema';

class FlagSpecDto {
  @ApiProperty() default: boolean;
  @ApiProperty() longName: string;
}

/** A value of a typed parameter: a number, a text, or null (an optional one without a value). */
const PARAM_VALUE_SCHEMA: SchemaObject = { oneOf: [{ type: 'number' }, { type: 'string', nullable: true }], description: 'a number, a text, or null' };
/** An object of parameter name → value. */
export const PARAM_VALUES_SCHEMA = { type: 'object' as const, additionalProperties: PARAM_VALUE_SCHEMA };

/** The most parameters one request may name. */
const MAX_PARAMS = 100;

/** A body's `params`: an object of at most 100 names, each a number, a text or null (each value is checked at start). */
export function IsParamValues(): PropertyDecorator {
  return ValidateBy({
    name: 'isParamValues',
    validator: {
      validate: (value) =>
        typeof value === 'object' &&
        value !== null &&
        Object.keys(value).length <= MAX_PARAMS &&
        Object.values(value).every((v) => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))),
      defaultMessage: () => `params must be an object of at most ${MAX_PARAMS} names, each a number, a text or null`,
    },
  });
}

class ChoiceOptionDto {
  @ApiProperty() value: string;
  @ApiProperty() label: string;
}

class ParamSpecDto {
  @ApiProperty({ enum: PARAM_KINDS }) kind: string;
  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string', nullable: true }], description: 'null: optional, no value unless one is given' })
  default: number | string | null;
  @ApiProperty() longName: string;
  @ApiPropertyOptional() help?: string;
  @ApiPropertyOptional({ description: 'integer and number' }) min?: number;
  @ApiPropertyOptional({ description: 'integer and number' }) max?: number;
  @ApiPropertyOptional({ description: 'integer and number: values go in steps of this from min (or 0)' }) step?: number;
  @ApiPropertyOptional({ description: 'integer and number' }) unit?: string;
  @ApiPropertyOptional({ type: [ChoiceOptionDto], description: 'choice' }) options?: ChoiceOptionDto[];
  @ApiPropertyOptional({ description: 'text: a regular expression the whole value must match' }) pattern?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'text' }) maxLength?: number;
}

export class PresetDto {
  @ApiRowId() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' } }) flags: Record<string, boolean>;
  @ApiProperty({ ...PARAM_VALUES_SCHEMA, description: 'the parameters it sets; the others keep their defaults' }) params: Record<string, number | string | null>;
}

export class WorkflowStepDto {
  @ApiProperty({ type: 'integer', description: '1 for the first step' }) position: number;
  @ApiProperty({ description: 'the registered pipeline the step runs' }) pipeline: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' } }) flags: Record<string, boolean>;
  @ApiProperty({ ...PARAM_VALUES_SCHEMA, description: 'fixed values; an exposed parameter\'s value here is its default' }) params: Record<string, number | string | null>;
  @ApiProperty({ type: [String], description: "parameters the student sets (the workflow's params)" }) expose: string[];
  @ApiProperty({ enum: ['run', 'previous'], description: "the run's inputs, or the previous step's outputs" }) inputs: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'from the previous step, only these endings (suffixes) or product types (productTypes)', example: { suffixes: ['.fits'] } })
  keep: { suffixes?: string[]; productTypes?: string[] };
}

export class PipelineDto {
  @ApiProperty({ description: 'display name; what POST /api/processes takes as "pipeline"' }) name: string;
  @ApiProperty() key: string;
  @ApiProperty() shortName: string;
  @ApiProperty({ enum: ['class', 'command', 'workflow'] }) kind: string;
  @ApiProperty() description: string;
  @ApiProperty() version: string;
  @ApiProperty({ type: [String], example: ['.fits', '.fits.gz'] }) allowedSuffixes: string[];
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/FlagSpecDto' }, example: { verbose: { default: false, longName: 'Print more' } } })
  flags: Record<string, FlagSpecDto>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ParamSpecDto' },
    example: { apertureRadius: { kind: 'number', default: 1.5, min: 0.1, max: 100, longName: 'Aperture radius' } },
    description: 'typed parameters: POST /api/processes takes their values as "params"',
  })
  params: Record<string, ParamSpecDto>;
  @ApiProperty({ type: [PresetDto] }) presets: PresetDto[];
  @ApiPropertyOptional({ type: [WorkflowStepDto], description: 'workflows only: the steps in order' }) steps?: WorkflowStepDto[];
}

export { ChoiceOptionDto, FlagSpecDto, ParamSpecDto };
