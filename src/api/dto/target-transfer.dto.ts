import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { IntegerText, IsRowId, StrictInput } from '../../common/validation';
import { Visibility, VISIBILITIES } from '../../sharing/visibility';
import { ApiRowId, ApiRowIdOptional, ApiWholeNumber } from '../api-schema';
import { ProblemDto } from './common.dto';
import { TargetSearchQueryDto } from './target.dto';

/** GET /api/targets/export.csv: the list's filters, without its paging (the export is every match; `limit` is refused). */
@StrictInput()
export class TargetExportQueryDto extends OmitType(TargetSearchQueryDto, ['limit', 'offset'] as const) {}

/**
 * A targets file as JSON `{ csv }`, or multipart/form-data with the file in the field `file` (or the text in
 * `csv`); who may see the targets beside it.
 */
@StrictInput()
export class ImportTargetsDto {
  @ApiPropertyOptional({
    description: "the file as text: TOM Toolkit's CSV format (a header line naming the columns, one target per line)",
    example: 'name,type,ra,dec,aliases,constellation\nM13,SIDEREAL,16:41:41.6,+36:27:41,"NGC 6205, Hercules Cluster",Hercules\n',
  })
  @IsOptional()
  @IsString()
  csv?: string;

  // Only so OpenAPI shows the file field; multer has taken the file out of the body by the time this is checked.
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'the file (multipart/form-data, field "file")' })
  @IsOptional()
  file?: unknown;

  @ApiPropertyOptional({
    enum: VISIBILITIES,
    default: 'private',
    description: 'who may see the imported targets: private (you and your teachers), class (the members of `classroomId`, a class you are in), public (everyone logged in)',
  })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiRowIdOptional({ description: 'the class to share with when visibility is "class" (given alone, it means "class")' })
  @IsOptional()
  @IntegerText()
  @IsRowId()
  classroomId?: number;
}

export class TargetImportLineDto {
  @ApiWholeNumber({ minimum: 1, description: 'the line of the file (1 is the header)' }) line: number;
  @ApiProperty({ enum: ['create', 'error'], description: 'a new target, or a problem' }) kind: string;
  @ApiProperty({ type: String, nullable: true, description: 'the target\'s name as it would be stored (as written when it cannot be one)' }) name: string | null;
  @ApiPropertyOptional({ description: 'why the line cannot be imported (kind "error")' }) reason?: string;
}

class TargetImportCountsDto {
  @ApiWholeNumber() create: number;
  @ApiWholeNumber() error: number;
}

export class TargetImportPreviewDto {
  @ApiProperty({ type: [TargetImportLineDto] }) lines: TargetImportLineDto[];
  @ApiProperty({ type: [ProblemDto], description: 'the lines that stop the import; empty when it can go ahead' }) errors: ProblemDto[];
  @ApiProperty({ type: TargetImportCountsDto }) counts: TargetImportCountsDto;
  @ApiProperty({ type: [String], description: 'extra fields the file\'s columns make, by key' }) extraColumns: string[];
  @ApiProperty({ type: [String], description: 'header columns not used (TOM\'s id, created, modified)' }) ignoredColumns: string[];
  @ApiProperty({ enum: VISIBILITIES }) visibility: string;
  @ApiRowId({ nullable: true, description: 'the class the targets will be shared with (visibility "class")' }) classroomId: number | null;
}

class ImportedTargetDto {
  @ApiWholeNumber({ minimum: 1 }) line: number;
  @ApiRowId() id: number;
  @ApiProperty() name: string;
}

export class TargetImportResultDto {
  @ApiProperty({ type: [ImportedTargetDto], description: 'the targets made, in the file\'s order' }) created: ImportedTargetDto[];
  @ApiProperty({ enum: VISIBILITIES }) visibility: string;
  @ApiRowId({ nullable: true }) classroomId: number | null;
}
