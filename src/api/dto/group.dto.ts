import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsText } from '../../common/text-input';
import { IsRowId, StrictInput } from '../../common/validation';
import { Visibility, VISIBILITIES } from '../../sharing/visibility';
import { DataProductDto } from './data-product.dto';
import { ProductIdsDto } from './common.dto';
import { ShareDto } from './sharing.dto';
import { ApiRowId, ApiRowIdOptional, ApiWholeNumber } from '../api-schema';

@StrictInput()
export class CreateGroupDto extends ProductIdsDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'M13 blue frames' })
  @IsText('groupName', { required: true })
  name: string;

  @ApiPropertyOptional({ enum: VISIBILITIES, default: 'private', description: 'private: you and your teachers; class: the members of `classroomId`; public: everyone logged in' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiRowIdOptional({ nullable: true, description: 'the class to share with (one you are in)' })
  @IsOptional()
  @IsRowId()
  classroomId?: number | null;
}

/** PATCH /api/groups/:id: rename and/or share; only the fields sent change. */
@StrictInput()
export class UpdateGroupDto extends ShareDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsText('groupName', { required: true })
  name?: string;
}

export class GroupDto {
  @ApiRowId() id: number;
  @ApiProperty() name: string;
  @ApiWholeNumber({ description: 'products in the group that you may see' }) productCount: number;
  @ApiProperty({ type: String, nullable: true }) createdBy: string | null;
  @ApiProperty({ enum: VISIBILITIES, description: 'who may see the group besides its maker (each product in it has its own sharing)' }) visibility: string;
  @ApiRowId({ nullable: true, description: 'the class it is shared with (visibility "class")' }) classroomId: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class GroupDetailDto extends GroupDto {
  @ApiProperty({ type: [DataProductDto] }) products: DataProductDto[];
}

export class AddedDto {
  @ApiWholeNumber({ description: 'products that were not in the group yet' }) added: number;
  @ApiProperty({ type: GroupDetailDto }) group: GroupDetailDto;
}
