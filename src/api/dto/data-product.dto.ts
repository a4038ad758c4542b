import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { StrictInput } from '../../common/validation';
import { PRODUCT_TYPES } from '../../data-products/data-product.entity';

/** The multipart form's text field; the files come in the field `files`. */
@StrictInput()
export class UploadFieldsDto {
  @ApiProperty({ enum: PRODUCT_TYPES })
  @IsIn(PRODUCT_TYPES)
  productType: string;

  // Only so OpenAPI shows the file field; multer has taken the files out of the body by the time this is checked.
  @ApiProperty({ type: 'array', items: { type: 'string', format: 'binary' }, description: 'one or more files (field "files")' })
  @IsOptional()
  files?: unknown;
}

export class DataProductDto {
  @ApiProperty() id: number;
  @ApiProperty() targetId: number;
  @ApiProperty({ description: 'the uploader\'s file name (cleaned)' }) name: string;
  @ApiProperty({ enum: PRODUCT_TYPES }) productType: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ description: 'bytes' }) size: number;
  @ApiProperty() sha256: string;
  @ApiProperty({ description: 'a thumbnail exists at /data-products/{id}/thumbnail.png' }) hasThumbnail: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty({ example: '/api/data-products/7/download' }) downloadUrl: string;
}

class ProductRefDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiPropertyOptional() sha256?: string;
  @ApiPropertyOptional() size?: number;
}

export class UploadResultDto {
  @ApiProperty({ type: [ProductRefDto] }) created: ProductRefDto[];
  @ApiProperty({ type: [ProductRefDto], description: 'files identical (same SHA-256) to products the target already had' })
  duplicates: ProductRefDto[];
  @ApiProperty({ description: 'photometry points added' }) pointsAdded: number;
  @ApiProperty({ description: 'photometry points already present' }) pointsSkipped: number;
}
