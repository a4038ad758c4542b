import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsText } from '../../common/text-input';
import { IsRowId, StrictInput } from '../../common/validation';
import { LIGHT_CURVE_VIEWS, LightCurveView, POINT_SOURCE_KINDS } from '../../reduced-data/light-curve-series';
import { PHOTOMETRY_CSV_FORMATS, PhotometryCsvFormat } from '../../reduced-data/photometry-csv.writer';
import { Visibility, VISIBILITIES } from '../../sharing/visibility';
import { PaginationQueryDto } from '../pagination';
import { ApiRowId, ApiRowIdOptional, ApiWholeNumber } from '../api-schema';

const VIEW_DESCRIPTION =
  'whose points: mine (yours and the target owner\'s), class (also those shared with one of your classes and, for a teacher, ' +
  'your students\'), everyone (all you may see). Every point is filtered by the sharing policy.';

export class ReducedDataQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ example: 'photometry', description: 'only this data type' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  dataType?: string;

  @ApiPropertyOptional({ enum: LIGHT_CURVE_VIEWS, default: 'everyone', description: VIEW_DESCRIPTION })
  @IsOptional()
  @IsIn(LIGHT_CURVE_VIEWS)
  view?: LightCurveView;
}

@StrictInput()
export class LightCurveQueryDto {
  @ApiPropertyOptional({ enum: LIGHT_CURVE_VIEWS, default: 'everyone', description: VIEW_DESCRIPTION })
  @IsOptional()
  @IsIn(LIGHT_CURVE_VIEWS)
  view?: LightCurveView;
}

@StrictInput()
export class PhotometryCsvQueryDto extends LightCurveQueryDto {
  @ApiPropertyOptional({ description: 'only these series: their keys, comma-separated (see GET /api/targets/{id}/series)' })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  series?: string;

  @ApiPropertyOptional({
    enum: PHOTOMETRY_CSV_FORMATS,
    default: 'portal',
    description:
      'portal: time (ISO 8601, UTC), mjd, magnitude, error, filter, source (student · source), and limit, facility when a point has either; ' +
      'tom: TOM Toolkit\'s photometry columns time (MJD), filter, magnitude, error, limit, source (the facility: survey or telescope)',
  })
  @IsOptional()
  @IsIn(PHOTOMETRY_CSV_FORMATS)
  format?: PhotometryCsvFormat;
}

const given = (value: unknown) => value !== undefined && value !== null;

@StrictInput()
export class PhotometryPointDto {
  @ApiProperty({ example: '2013-05-05T04:31:02Z', description: 'ISO 8601 time of the measurement' })
  @IsISO8601({ strict: true })
  timestamp: string;

  @ApiPropertyOptional({
    example: 12.31,
    minimum: -30,
    maximum: 40,
    nullable: true,
    description: 'the measured magnitude; left out (or null) for a non-detection, which gives a `limit` instead. A point needs one or both',
  })
  // Needed unless a limit is given (a non-detection).
  @ValidateIf((point: PhotometryPointDto) => given(point.magnitude) || !given(point.limit))
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'magnitude must be a number (a non-detection gives a limit instead)' })
  @Min(-30)
  @Max(40)
  magnitude?: number | null;

  @ApiPropertyOptional({ example: 0.02, nullable: true, description: 'the magnitude\'s error; a point without a magnitude has none' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10)
  @ValidateBy({
    name: 'errorNeedsMagnitude',
    validator: {
      validate: (_value, args) => given((args?.object as PhotometryPointDto).magnitude),
      defaultMessage: () => 'error is given without a magnitude (a non-detection has only a limit)',
    },
  })
  error?: number | null;

  @ApiPropertyOptional({
    example: 19.5,
    minimum: -30,
    maximum: 40,
    nullable: true,
    description: 'the limiting magnitude (TOM Toolkit\'s `limit`): alone, a non-detection (fainter than this), drawn as an upper limit',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-30)
  @Max(40)
  limit?: number | null;

  @ApiPropertyOptional({
    example: 'ZTF',
    default: '',
    maxLength: 64,
    description: 'the survey or telescope that measured it (TOM Toolkit\'s `source` column); its own series. Cleaned by the text rule',
  })
  @IsOptional()
  @IsText('facility')
  facility?: string;

  @ApiPropertyOptional({ example: 'V', default: '', maxLength: 32, description: 'cleaned by the text rule (NFC; invisible, control and bidirectional characters removed)' })
  @IsOptional()
  @IsText('filter')
  filter?: string;
}

@StrictInput()
export class AddPointsDto {
  @ApiProperty({ type: [PhotometryPointDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => PhotometryPointDto)
  points: PhotometryPointDto[];

  @ApiPropertyOptional({ example: 'my notebook', description: 'where the points came from (shown in the series label)', default: 'api', maxLength: 255 })
  @IsOptional()
  @IsText('sourceName')
  source?: string;

  @ApiPropertyOptional({
    enum: VISIBILITIES,
    default: 'private',
    description: 'who may see this batch: private (you and your teachers), class (the members of `classroomId`), public (everyone logged in)',
  })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiRowIdOptional({ description: 'the class to share with when visibility is "class": one you are in' })
  @IsOptional()
  @IsRowId()
  classroomId?: number;
}

@StrictInput()
export class ShareSeriesDto {
  @ApiProperty({ enum: VISIBILITIES, description: 'private, class (with `classroomId`) or public' })
  @IsIn(VISIBILITIES)
  visibility: Visibility;

  @ApiRowIdOptional({ description: 'the class to share with when visibility is "class": one you are in' })
  @IsOptional()
  @IsRowId()
  classroomId?: number;
}

export class ReducedDatumDto {
  @ApiRowId() id: number;
  @ApiRowId() targetId: number;
  @ApiRowId({ nullable: true }) dataProductId: number | null;
  @ApiProperty({ example: 'photometry' }) dataType: string;
  @ApiProperty() sourceName: string;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { magnitude: 12.31, error: 0.02, filter: 'V' },
    description: 'photometry: magnitude (null for a non-detection), error, filter',
  })
  value: Record<string, unknown>;
  @ApiProperty({ type: Number, nullable: true, example: null, description: 'the limiting magnitude; with a null magnitude, a non-detection' })
  limit: number | null;
  @ApiProperty({ example: 'ZTF', description: 'the survey or telescope that measured it (TOM Toolkit\'s `source`), \'\' when not known' })
  facility: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'whose point it is' }) ownerId: string | null;
  @ApiProperty({ enum: VISIBILITIES }) visibility: string;
  @ApiRowId({ nullable: true }) classroomId: number | null;
  @ApiProperty({ enum: POINT_SOURCE_KINDS, description: 'an uploaded file (dataProductId), a run (runId) or an API batch (batchId)' })
  sourceKind: string;
  @ApiRowId({ nullable: true }) runId: number | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) batchId: string | null;
  @ApiProperty({ description: 'the key of the point\'s series (see GET /api/targets/{id}/series)' }) seriesKey: string;
}

export class AddPointsResultDto {
  @ApiWholeNumber() added: number;
  @ApiWholeNumber({ description: 'points you already had on this target (another user\'s identical points do not count)' }) skipped: number;
  @ApiProperty({ format: 'uuid', description: 'the batch the added points form: one series per filter' }) batchId: string;
}

/** One light-curve series: one filter from one source (an uploaded file, a run, an API batch) of one owner. */
export class SeriesDto {
  @ApiProperty({ description: 'names the series for DELETE/PATCH /api/targets/{id}/series/{key} and ?series= of the CSV' }) key: string;
  @ApiProperty({ example: 'V' }) filter: string;
  @ApiProperty({ example: 'ZTF', description: 'the survey or telescope that measured the points (TOM Toolkit\'s `source`), \'\' when not known' }) facility: string;
  @ApiProperty({ example: 'Ann Lee · run aperture_photometry_7 · V', description: 'student · source · filter, with the facility before the filter when there is one' }) label: string;
  @ApiProperty({ description: 'the student: display name, else username' }) owner: string;
  @ApiProperty({ example: 'run aperture_photometry_7', description: 'run <identifier>, file <name> or API batch <date>' }) source: string;
  @ApiProperty({ enum: POINT_SOURCE_KINDS }) sourceKind: string;
  @ApiProperty({ enum: [...VISIBILITIES, 'mixed'] }) visibility: string;
  @ApiWholeNumber({ description: 'points in the series' }) points: number;
  @ApiProperty({ description: 'whether you may delete or share it (its owner, their teacher, an admin)' }) canChange: boolean;
}

export class LightCurveSeriesDto extends SeriesDto {
  @ApiProperty({ type: [Number], description: 'times, milliseconds since 1970 UTC, oldest first' }) t: number[];
  @ApiProperty({ type: 'array', items: { type: 'number', nullable: true }, description: 'magnitudes; null for a non-detection' }) mag: Array<number | null>;
  @ApiProperty({ type: 'array', items: { type: 'number', nullable: true } }) err: Array<number | null>;
  @ApiProperty({ type: 'array', items: { type: 'number', nullable: true }, description: 'limiting magnitudes (null where none was given); with a null mag, an upper limit' })
  lim: Array<number | null>;
}

export class LightCurveDto {
  @ApiProperty({ type: [LightCurveSeriesDto] }) series: LightCurveSeriesDto[];
}

export class DeleteSeriesResultDto {
  @ApiWholeNumber({ description: 'points deleted' }) deleted: number;
  @ApiProperty() label: string;
}
