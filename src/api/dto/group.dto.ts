import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { StrictInput } from '../../common/validation';
import { DataProductDto } from './data-product.dto';
import { ProductIdsDto } from './common.dto';

@StrictInput()
export class CreateGroupDto extends ProductIdsDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'M13 blue frames' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;
}

export class GroupDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'products in the group that you may see' }) productCount: number;
  @ApiProperty({ type: String, nullable: true }) createdBy: string | null;
  @ApiProperty() createdAt: string;
}

export class GroupDetailDto extends GroupDto {
  @ApiProperty({ type: [DataProductDto] }) products: DataProductDto[];
}

export class AddedDto {
  @ApiProperty({ description: 'products that were not in the group yet' }) added: number;
  @ApiProperty({ type: GroupDetailDto }) group: GroupDetailDto;
}
