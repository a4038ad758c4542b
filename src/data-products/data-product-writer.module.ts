import { Module } from '@nestjs/common';
import { DataProductWriter } from './data-product-writer.service';

/** The writer alone (storage and, where there is one, the previews queue), for the demo seed and the CLI too. */
@Module({ providers: [DataProductWriter], exports: [DataProductWriter] })
export class DataProductWriterModule {}
