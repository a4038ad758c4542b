import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsText } from '../../common/text-input';
import { StrictInput } from '../../common/validation';
import { MAX_DISPLAY_NAME_LENGTH } from '../../users/account-rules';
import { USER_ROLES, UserRole } from '../../users/user.entity';
import { USERNAME_PATTERN } from '../../users/users.service';
import { PaginationQueryDto } from '../pagination';

// A query string says "true"/"false"; anything else stays as given, for @IsBoolean to refuse by name.
const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class UserSearchQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'part of the username or display name (case-insensitive)', example: 'ada' })
  @IsOptional()
  @IsString()
  @MaxLength(150)
  q?: string;

  @ApiPropertyOptional({ enum: USER_ROLES })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole;

  @ApiPropertyOptional({ type: Boolean, description: 'true: only active accounts; false: only deactivated ones' })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  active?: boolean;
}

@StrictInput()
export class CreateUserDto {
  @ApiProperty({ example: 'ada.l', description: '2-150 letters, digits or . _ @ -' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 2-150 letters, digits or . _ @ -' })
  username: string;

  @ApiProperty({ enum: USER_ROLES, example: 'student' })
  @IsIn(USER_ROLES)
  role: UserRole;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_DISPLAY_NAME_LENGTH, example: 'Ada Lovelace' })
  @IsOptional()
  @IsText('displayName')
  displayName?: string | null;
}

@StrictInput()
export class UpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES, description: 'not your own' })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole;

  @ApiPropertyOptional({ description: 'false deactivates (not your own): the account\'s sessions end and its API tokens stop at once; true reactivates' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_DISPLAY_NAME_LENGTH, description: 'null or "" clears it' })
  @ValidateIf((_object, value) => value !== null && value !== undefined)
  @IsText('displayName')
  displayName?: string | null;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ type: String, nullable: true }) displayName: string | null;
  @ApiProperty({ enum: USER_ROLES }) role: UserRole;
  @ApiProperty() active: boolean;
  @ApiProperty({ description: 'the password was generated: the user must choose a new one at the next login' }) mustChangePassword: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) deactivatedAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class UserWithPasswordDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ example: 'comet-maple-river-482', description: 'generated; shown only in this response (Cache-Control: no-store)' })
  password: string;
}
