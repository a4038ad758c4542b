import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, ValidateIf } from 'class-validator';
import { IntegerText, IsRowId, StrictInput } from '../../common/validation';
import { PRODUCT_TYPES, ProductType } from '../../data-products/data-product.entity';
import { PRODUCT_SCOPES, ProductScope } from '../../data-products/product-filter';
import { Visibility, VISIBILITIES } from '../../sharing/visibility';
import { PaginationQueryDto } from '../pagination';
import { ApiRowId, ApiRowIdOptional, ApiWholeNumber, ApiWholeNumberOptional } from '../api-schema';

const VISIBILITY_HELP = 'private: the owner and their teachers; class: the members of `classroomId` (a class you are in); public: everyone logged in';

/** The multipart form's text field; the files come in the field `files`. */
@StrictInput()
export class UploadFieldsDto {
  @ApiProperty({ enum: PRODUCT_TYPES })
  @IsIn(PRODUCT_TYPES)
  productType: string;

  @ApiPropertyOptional({
    enum: VISIBILITIES,
    description: `${VISIBILITY_HELP}. Default: the target's sharing when you may change the target, else private.`,
  })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiRowIdOptional({ description: 'the class, when visibility is "class"' })
  @IsOptional()
  @IntegerText()
  @IsRowId()
  classroomId?: number;

  // Only so OpenAPI shows the file field; multer has taken the files out of the body by the time this is checked.
  @ApiProperty({ type: 'array', items: { type: 'string', format: 'binary' }, description: 'one or more files (field "files")' })
  @IsOptional()
  files?: unknown;
}

/** `?scope=&productType=` of a target's product list. */
export class ProductListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    enum: PRODUCT_SCOPES,
    default: 'everyone',
    description: "whose products: mine (the target owner's and yours), class (also shared with your classes, and your students'), everyone (all you may see)",
  })
  @IsOptional()
  @IsIn(PRODUCT_SCOPES)
  scope?: ProductScope;

  @ApiPropertyOptional({ enum: PRODUCT_TYPES, description: 'only products of this type' })
  @IsOptional()
  @IsIn(PRODUCT_TYPES)
  productType?: ProductType;
}

/** PATCH /api/data-products/:id: who may see it. */
@StrictInput()
export class ShareProductDto {
  @ApiProperty({ enum: VISIBILITIES, description: VISIBILITY_HELP })
  @IsIn(VISIBILITIES)
  visibility: Visibility;

  @ApiRowIdOptional({ nullable: true, description: 'required when visibility is "class"' })
  @ValidateIf((body: ShareProductDto) => body.classroomId !== null && body.classroomId !== undefined)
  @IsRowId()
  classroomId?: number | null;
}

export class DataProductDto {
  @ApiRowId() id: number;
  @ApiRowId() targetId: number;
  @ApiProperty({ description: 'the uploader\'s file name (cleaned)' }) name: string;
  @ApiProperty({ enum: PRODUCT_TYPES }) productType: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiWholeNumber({ format: 'int64', description: 'bytes' }) size: number;
  @ApiProperty() sha256: string;
  @ApiProperty({ description: 'a thumbnail exists at /data-products/{id}/thumbnail.png' }) hasThumbnail: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'username of the uploader (or of whoever started the run that made it)' }) owner: string | null;
  @ApiProperty({ enum: VISIBILITIES }) visibility: string;
  @ApiRowId({ nullable: true, description: 'the class it is shared with (visibility "class")' }) classroomId: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ example: '/api/data-products/7/download' }) downloadUrl: string;
}

class ProductRefDto {
  @ApiRowId() id: number;
  @ApiProperty() name: string;
  @ApiPropertyOptional() sha256?: string;
  @ApiWholeNumberOptional({ format: 'int64', description: 'bytes' }) size?: number;
}

export class UploadResultDto {
  @ApiProperty({ type: [ProductRefDto] }) created: ProductRefDto[];
  @ApiProperty({ type: [ProductRefDto], description: 'files identical (same SHA-256) to products the target already had' })
  duplicates: ProductRefDto[];
  @ApiWholeNumber({ description: 'photometry points added' }) pointsAdded: number;
  @ApiWholeNumber({ description: 'photometry points already present' }) pointsSkipped: number;
}
