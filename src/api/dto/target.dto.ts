import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateIf,
  ValidationOptions,
} from 'class-validator';
import { CoordinateError, parseDec, parseRa, parseRadius } from '../../coordinates/coordinates';
import { IsText } from '../../common/text-input';
import { IntegerText, IsRowId, StrictInput } from '../../common/validation';
import { Visibility, VISIBILITIES } from '../../sharing/visibility';
import { formatKeyValueLines, parseTargetForm, TargetFields, TargetFormBody } from '../../targets/dto/target-form';
import { NON_SIDEREAL_SCHEMES } from '../../targets/target.entity';
import { TargetSearch } from '../../targets/targets.service';
import { PaginationQueryDto } from '../pagination';
import { ApiRowId, ApiRowIdOptional } from '../api-schema';

/** A coordinate in degrees (number or string) or sexagesimal; the message is the parser's own, e.g. the range. */
function IsCoordinate(parse: (text: string) => number, options?: ValidationOptions) {
  const failure = (value: unknown): string | null => {
    if (value === undefined) return 'is required: a cone search needs ra, dec and radius';
    if (typeof value !== 'string' && typeof value !== 'number') return 'must be a number of degrees or a sexagesimal string';
    try {
      parse(String(value));
      return null;
    } catch (error) {
      return error instanceof CoordinateError ? error.message : 'cannot be read';
    }
  };
  return ValidateBy(
    {
      name: 'isCoordinate',
      validator: {
        validate: (value) => failure(value) === null,
        defaultMessage: (args) => `${args?.property}: ${failure(args?.value)}`,
      },
    },
    options,
  );
}

const coneGiven = (query: TargetSearchQueryDto) => query.ra !== undefined || query.dec !== undefined || query.radius !== undefined;

export class TargetSearchQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'part of the name or of an alias (case-insensitive)', example: 'M13' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ description: 'cone centre RA: degrees or hours:minutes:seconds', example: '16:41:41.6' })
  @ValidateIf(coneGiven)
  @IsCoordinate(parseRa)
  ra?: string;

  @ApiPropertyOptional({ description: 'cone centre Dec: degrees or degrees:minutes:seconds', example: '+36:27:41' })
  @ValidateIf(coneGiven)
  @IsCoordinate(parseDec)
  dec?: string;

  @ApiPropertyOptional({ description: 'cone radius in degrees (0 < r <= 180)', example: 0.5 })
  @ValidateIf(coneGiven)
  @IsCoordinate(parseRadius)
  radius?: string;

  @ApiRowIdOptional({ description: 'only targets in this target list (id); 404 when there is no such list' })
  @IsOptional()
  @IntegerText()
  @IsRowId()
  list?: number;
}

/** The service's search from a validated query (the coordinates parse, the validators made sure). */
export function targetSearchOf(query: Pick<TargetSearchQueryDto, 'q' | 'ra' | 'dec' | 'radius'>): TargetSearch {
  return {
    text: query.q?.trim() || undefined,
    cone: query.ra !== undefined ? { ra: parseRa(String(query.ra)), dec: parseDec(String(query.dec)), radius: parseRadius(String(query.radius)) } : undefined,
  };
}

// Aliases travel to the form parser as one comma-separated string, and extra fields as "key = value" lines.
const ALIAS = /^[^,\n\r]*$/;

@StrictInput()
export class CreateTargetDto {
  @ApiProperty({ maxLength: 100, example: 'M13' })
  @IsText('targetName', { required: true })
  name: string;

  @ApiPropertyOptional({ type: [String], example: ['NGC 6205', 'Hercules Cluster'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsText('alias', { each: true })
  @Matches(ALIAS, { each: true, message: 'each alias must be free of commas and line breaks' })
  aliases?: string[];

  @ApiPropertyOptional({ enum: ['sidereal', 'non_sidereal'], default: 'sidereal' })
  @IsOptional()
  @IsIn(['sidereal', 'non_sidereal'])
  type?: 'sidereal' | 'non_sidereal';

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: 'degrees or hours:minutes:seconds; required for sidereal targets', example: 250.4235 })
  @IsOptional()
  @IsCoordinate(parseRa)
  ra?: number | string | null;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }], description: 'degrees or degrees:minutes:seconds; required for sidereal targets', example: '+36:27:41' })
  @IsOptional()
  @IsCoordinate(parseDec)
  dec?: number | string | null;

  @ApiPropertyOptional({ example: 2000 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  epoch?: number | null;

  @ApiPropertyOptional({ description: 'proper motion in RA, mas/yr' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  pmRa?: number | null;

  @ApiPropertyOptional({ description: 'proper motion in Dec, mas/yr' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  pmDec?: number | null;

  @ApiPropertyOptional({ enum: NON_SIDEREAL_SCHEMES, description: 'required for non-sidereal targets' })
  @IsOptional()
  @IsIn(NON_SIDEREAL_SCHEMES)
  scheme?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'orbital elements (non-sidereal), e.g. {"eccentricity": 0.2}' })
  @IsOptional()
  @IsObject()
  elements?: Record<string, number | string>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'free key/value fields' })
  @IsOptional()
  @IsObject()
  extra?: Record<string, string | number>;

  @ApiPropertyOptional({ enum: VISIBILITIES, default: 'private', description: "private: the owner and their teachers; class: the members of `classroomId`; public: everyone logged in" })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiRowIdOptional({ nullable: true, description: 'the class to share with when visibility is "class": one you are in' })
  @IsOptional()
  @IsRowId()
  classroomId?: number | null;
}

/** PATCH: only the fields sent change. */
@StrictInput()
export class UpdateTargetDto extends PartialType(CreateTargetDto) {}

/** A key/value object as the form's "key = value" lines; a key or value that would break a line is refused. */
function keyValueText(values: Record<string, unknown>, field: string, errors: Record<string, string[]>): string {
  for (const [key, value] of Object.entries(values)) {
    if (!['string', 'number'].includes(typeof value) || /[=\n\r]/.test(key) || /[\n\r]/.test(String(value))) {
      errors[field] = [`${field}.${key}: each value must be a string or number, without line breaks (and no "=" in keys)`];
    }
  }
  return formatKeyValueLines(values);
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));

/**
 * The JSON body as the target form's strings, over `base` (the current target for PATCH), so that the API and the
 * pages share one parser and so one set of rules. Errors found here are about shapes the form cannot express.
 */
export function targetFormOf(body: Partial<CreateTargetDto>, base: TargetFormBody = {}): { form: TargetFormBody; errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const form: TargetFormBody = { type: 'sidereal', visibility: 'private', epoch: '2000', ...base };
  if (body.name !== undefined) form.name = body.name;
  if (body.aliases !== undefined) form.aliases = body.aliases.join(', ');
  if (body.type !== undefined) form.type = body.type;
  for (const field of ['ra', 'dec', 'epoch', 'pmRa', 'pmDec', 'scheme'] as const) {
    if (body[field] !== undefined) form[field] = text(body[field]);
  }
  if (body.elements !== undefined) form.elements = keyValueText(body.elements, 'elements', errors);
  if (body.extra !== undefined) form.extra = keyValueText(body.extra, 'extra', errors);
  if (body.visibility !== undefined) form.visibility = body.visibility;
  if (body.classroomId !== undefined) form.classroomId = body.classroomId === null ? '' : String(body.classroomId);
  // A class sent alone shares with it (PATCH { classroomId }), as the field says nothing else.
  if (body.classroomId != null && body.visibility === undefined) form.visibility = 'class';
  return { form, errors };
}

/**
 * Target fields from a JSON body (over `base` for PATCH), checked by the pages' own form parser; a field the
 * parser refuses gives the same 400 shape as DTO validation.
 */
export function targetFieldsOf(body: Partial<CreateTargetDto>, base?: TargetFormBody): TargetFields {
  const { form, errors } = targetFormOf(body, base);
  const parsed = parseTargetForm(form);
  for (const [field, message] of Object.entries(parsed.errors)) errors[field] = [message];
  if (Object.keys(errors).length) throw new BadRequestException({ message: 'Validation failed', errors });
  return parsed.fields;
}

export class TargetDto {
  @ApiRowId() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ type: [String] }) aliases: string[];
  @ApiProperty({ enum: ['sidereal', 'non_sidereal'] }) type: string;
  @ApiProperty({ type: Number, nullable: true, description: 'degrees (ICRS)' }) ra: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'degrees' }) dec: number | null;
  @ApiProperty({ type: String, nullable: true, example: '16:41:41.64' }) raSexagesimal: string | null;
  @ApiProperty({ type: String, nullable: true, example: '+36:27:40.7' }) decSexagesimal: string | null;
  @ApiProperty({ type: Number, nullable: true }) epoch: number | null;
  @ApiProperty({ type: Number, nullable: true }) pmRa: number | null;
  @ApiProperty({ type: Number, nullable: true }) pmDec: number | null;
  @ApiProperty({ type: String, nullable: true }) scheme: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) elements: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) extra: Record<string, string>;
  @ApiProperty({ enum: VISIBILITIES }) visibility: string;
  @ApiRowId({ nullable: true, description: 'the class it is shared with (visibility "class")' }) classroomId: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'username of the owner' }) owner: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({ description: 'degrees from the cone centre (cone searches only)' }) distance?: number;
}
