import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { IsRowId, StrictInput } from '../../common/validation';
import { ApiRowIds, ApiWholeNumber, ApiWholeNumberOptional } from '../api-schema';

/** One problem of a refused upload or roster: the line (when the problem has one) and why. */
export class ProblemDto {
  @ApiWholeNumberOptional({ minimum: 1, description: 'the line of the file or roster' }) line?: number;
  @ApiProperty({ example: 'stars.csv: line 3: magnitude is not a number' }) reason: string;
}

/** The body of every error: 400, 401, 403, 404, 409, 413, 429. */
export class ErrorDto {
  @ApiWholeNumber({ example: 404, minimum: 400, maximum: 599 }) statusCode: number;
  @ApiProperty({ example: 'There is no target with id 9' }) message: string;
  @ApiPropertyOptional({
    description: 'invalid fields and their messages (400 "Validation failed")',
    example: { ra: ['Right ascension in degrees must be at least 0 and less than 360'] },
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
  })
  errors?: Record<string, string[]>;
  @ApiPropertyOptional({ description: 'the problems of a refused upload or roster import, by line', type: [ProblemDto] })
  details?: ProblemDto[];
}

export class MeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['admin', 'teacher', 'student'] }) role: string;
  @ApiProperty({ type: String, nullable: true, description: 'session auth only: send it as X-CSRF-Token when changing things' })
  csrfToken: string | null;
}

/** Up to 1000 positive integer ids, as data product selections are. */
@StrictInput()
export class ProductIdsDto {
  @ApiRowIds({ example: [1, 2], description: 'data product ids (1 to 1000)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsRowId({ each: true })
  productIds: number[];
}
