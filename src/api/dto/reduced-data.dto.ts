import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { StrictInput } from '../../common/validation';
import { PaginationQueryDto } from '../pagination';

export class ReducedDataQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ example: 'photometry', description: 'only this data type' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  dataType?: string;
}

@StrictInput()
export class PhotometryPointDto {
  @ApiProperty({ example: '2013-05-05T04:31:02Z', description: 'ISO 8601 time of the measurement' })
  @IsISO8601({ strict: true })
  timestamp: string;

  @ApiProperty({ example: 12.31, minimum: -30, maximum: 40 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-30)
  @Max(40)
  magnitude: number;

  @ApiPropertyOptional({ example: 0.02, nullable: true })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10)
  error?: number | null;

  @ApiPropertyOptional({ example: 'V', default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^[^\n\r]*$/, { message: 'filter must be one line' })
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

  @ApiPropertyOptional({ example: 'my notebook', description: 'where the points came from (shown as their source)', default: 'api' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  source?: string;
}

export class ReducedDatumDto {
  @ApiProperty() id: number;
  @ApiProperty() targetId: number;
  @ApiProperty({ type: Number, nullable: true }) dataProductId: number | null;
  @ApiProperty({ example: 'photometry' }) dataType: string;
  @ApiProperty() sourceName: string;
  @ApiProperty() timestamp: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { magnitude: 12.31, error: 0.02, filter: 'V' } })
  value: Record<string, unknown>;
}

export class AddPointsResultDto {
  @ApiProperty() added: number;
  @ApiProperty({ description: 'points the target already had' }) skipped: number;
}
