import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsText } from '../../common/text-input';
import { StrictInput } from '../../common/validation';
import { ApiRowId, ApiWholeNumber } from '../api-schema';

@StrictInput()
export class CreateClassDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Year 10 Astronomy' })
  @IsText('className', { required: true })
  name: string;
}

@StrictInput()
export class JoinClassDto {
  @ApiProperty({ example: 'ABCD-EF23', description: 'the class\'s join code; case, spaces and the dash do not matter' })
  @IsString()
  @MaxLength(20)
  code: string;
}

/** JSON `{ csv }`, or multipart/form-data with the file in the field `file` (or the text in `csv`). */
@StrictInput()
export class ImportRosterDto {
  @ApiPropertyOptional({
    description: 'the roster as text: a header line with `name` (required) and `username` (optional), or one name per line',
    example: 'name,username\nAda Lovelace,\nCarl Sagan,csagan\n',
  })
  @IsOptional()
  @IsString()
  csv?: string;

  // Only so OpenAPI shows the file field; multer has taken the file out of the body by the time this is checked.
  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'the roster as a CSV file (multipart/form-data, field "file")' })
  @IsOptional()
  file?: unknown;
}

export class ClassDto {
  @ApiRowId() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  // null among the values: OpenAPI 3.0's `nullable` does not let a value outside `enum` through.
  @ApiProperty({ enum: ['teacher', 'student', null], nullable: true, type: String, description: 'your place in the class; null for an admin who is not in it' })
  myRole: string | null;
  @ApiProperty({ description: 'you teach the class or are an admin: roster, join code, imports' }) canManage: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'ABCD-EF23', description: 'only for those who manage the class' }) joinCode: string | null;
  @ApiProperty() joinCodeEnabled: boolean;
  @ApiProperty({ type: [String] }) teacherNames: string[];
  @ApiWholeNumber() studentCount: number;
}

export class ClassMemberDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ['teacher', 'student'] }) role: string;
  @ApiProperty({ format: 'date-time' }) joinedAt: string;
  @ApiProperty() active: boolean;
  @ApiProperty({ description: 'still on a generated password' }) mustChangePassword: boolean;
}

export class ClassDetailDto extends ClassDto {
  @ApiProperty({ type: [ClassMemberDto] }) teachers: ClassMemberDto[];
  @ApiProperty({ type: [ClassMemberDto], nullable: true, description: 'the roster; null unless you manage the class' })
  students: ClassMemberDto[] | null;
}

export class JoinResultDto {
  @ApiProperty({ type: ClassDto }) class: ClassDto;
  @ApiProperty({ description: 'you were in the class already; nothing changed' }) alreadyMember: boolean;
}

export class RosterLineDto {
  @ApiWholeNumber({ minimum: 1, description: 'the line of the roster (1 is the header when there is one)' }) line: number;
  @ApiProperty({ enum: ['create', 'enrol', 'member', 'error'], description: 'new account, enrol an existing student, already in the class, or a problem' })
  kind: string;
  @ApiProperty({ type: String, nullable: true }) displayName: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'given, generated, or the existing account\'s' }) username: string | null;
  @ApiPropertyOptional({ description: 'why the line cannot be imported (kind "error")' }) reason?: string;
}

export class RosterProblemDto {
  @ApiWholeNumber({ minimum: 1 }) line: number;
  @ApiProperty() reason: string;
}

class RosterCountsDto {
  @ApiWholeNumber() create: number;
  @ApiWholeNumber() enrol: number;
  @ApiWholeNumber() member: number;
  @ApiWholeNumber() error: number;
}

export class RosterPreviewDto {
  @ApiProperty({ type: [RosterLineDto] }) lines: RosterLineDto[];
  @ApiProperty({ type: [RosterProblemDto], description: 'the lines that stop the import; empty when it can go ahead' }) errors: RosterProblemDto[];
  @ApiProperty({ type: RosterCountsDto }) counts: RosterCountsDto;
  @ApiProperty({ type: [String], description: 'header columns that were not used' }) ignoredColumns: string[];
}

class CreatedAccountDto {
  @ApiProperty() username: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ description: 'generated; shown only in this answer, to be changed at the first login' }) password: string;
}

class EnrolledAccountDto {
  @ApiProperty() username: string;
  @ApiProperty() displayName: string;
}

export class RosterImportResultDto {
  @ApiProperty({ type: [CreatedAccountDto] }) created: CreatedAccountDto[];
  @ApiProperty({ type: [EnrolledAccountDto], description: 'existing students added to the class' }) enrolled: EnrolledAccountDto[];
}
