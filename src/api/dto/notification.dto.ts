import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional } from 'class-validator';
import { IsRowId, StrictInput } from '../../common/validation';
import { NOTIFICATION_KINDS, NotificationKind } from '../../notifications/notification-kinds';
import { ApiRowId, ApiWholeNumber, ROW_ID_SCHEMA } from '../api-schema';
import { PaginationQueryDto } from '../pagination';

export class NotificationQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ type: Boolean, description: 'true: only the unread ones (`total` is then the unread count)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value))
  @IsBoolean()
  unread?: boolean;
}

export class NotificationDto {
  @ApiRowId() id: number;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind: NotificationKind;
  @ApiProperty({ example: 'Your run of Timelapse on M13 succeeded' }) title: string;
  @ApiProperty({ type: String, nullable: true, description: 'more text, possibly several lines' }) body: string | null;
  @ApiProperty({ type: String, nullable: true, example: '/pipeline/12', description: 'a path in the portal' }) link: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'null while unread' }) readAt: string | null;
}

/** Either `ids` or `all: true`. */
@StrictInput()
export class MarkNotificationsReadDto {
  @ApiPropertyOptional({ type: 'array', items: { ...ROW_ID_SCHEMA }, example: [3, 4], description: 'your notifications to mark read (1 to 1000; others\' ids are passed over)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsRowId({ each: true })
  ids?: number[];

  @ApiPropertyOptional({ description: 'true: mark every notification of yours read' })
  @IsOptional()
  @IsBoolean()
  all?: boolean;
}

export class MarkNotificationsReadResultDto {
  @ApiWholeNumber({ description: 'how many were unread and are now read' }) marked: number;
  @ApiWholeNumber({ description: 'how many of yours are still unread' }) unreadCount: number;
}
