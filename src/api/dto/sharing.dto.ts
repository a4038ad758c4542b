import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsRowId, StrictInput } from '../../common/validation';
import { Visibility, VISIBILITIES } from '../../sharing/visibility';
import { ApiRowIdOptional } from '../api-schema';

/** "Share with…" in the API's words: one body for every owned object's PATCH (checked by sharing-request.ts). */
@StrictInput()
export class ShareDto {
  @ApiPropertyOptional({ enum: VISIBILITIES, description: 'private: you and your teachers; class: the members of `classroomId`; public: everyone logged in' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiRowIdOptional({ nullable: true, description: 'the class to share with (one you are in); sent alone, it means visibility "class"' })
  @IsOptional()
  @IsRowId()
  classroomId?: number | null;
}

/** A ShareDto as a sharing request: `classroomId` alone means "class". */
export function shareRequest(body: ShareDto): { visibility: unknown; classroomId: unknown } {
  return { visibility: body.visibility ?? (body.classroomId != null ? 'class' : undefined), classroomId: body.classroomId };
}

/** Whether the body asks to change the sharing at all. */
export const asksToShare = (body: ShareDto) => body.visibility !== undefined || body.classroomId != null;
