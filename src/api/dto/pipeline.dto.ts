import { ApiProperty } from '@nestjs/swagger';
import { ApiRowId } from '../api-schema';

class FlagSpecDto {
  @ApiProperty() default: boolean;
  @ApiProperty() longName: string;
}

export class PresetDto {
  @ApiRowId() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' } }) flags: Record<string, boolean>;
}

export class PipelineDto {
  @ApiProperty({ description: 'display name; what POST /api/processes takes as "pipeline"' }) name: string;
  @ApiProperty() key: string;
  @ApiProperty() shortName: string;
  @ApiProperty({ enum: ['class', 'command'] }) kind: string;
  @ApiProperty() description: string;
  @ApiProperty() version: string;
  @ApiProperty({ type: [String], example: ['.fits', '.fits.gz'] }) allowedSuffixes: string[];
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/FlagSpecDto' }, example: { verbose: { default: false, longName: 'Print more' } } })
  flags: Record<string, FlagSpecDto>;
  @ApiProperty({ type: [PresetDto] }) presets: PresetDto[];
}

export { FlagSpecDto };
