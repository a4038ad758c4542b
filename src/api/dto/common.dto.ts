import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, Min } from 'class-validator';
import { StrictInput } from '../../common/validation';

/** The body of every error: 400, 401, 403, 404, 409, 413. */
export class ErrorDto {
  @ApiProperty({ example: 404 }) statusCode: number;
  @ApiProperty({ example: 'There is no target with id 9' }) message: string;
  @ApiPropertyOptional({
    description: 'invalid fields and their messages (400 "Validation failed")',
    example: { ra: ['Right ascension in degrees must be at least 0 and less than 360'] },
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
  })
  errors?: Record<string, string[]>;
  @ApiPropertyOptional({ description: 'per-file problems of a refused upload', type: 'array', items: { type: 'object' } })
  details?: unknown[];
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
  @ApiProperty({ type: [Number], example: [1, 2], description: 'data product ids (1 to 1000)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsInt({ each: true })
  @Min(1, { each: true })
  productIds: number[];
}
