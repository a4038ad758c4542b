import { Module } from '@nestjs/common';
import { DataProductWriterModule } from '../data-products/data-product-writer.module';
import { ClassroomsModule } from '../classrooms/classrooms.module';
import { UsersModule } from '../users/users.module';
import { DemoSeedService } from './demo-seed.service';

@Module({ imports: [UsersModule, ClassroomsModule, DataProductWriterModule], providers: [DemoSeedService], exports: [DemoSeedService] })
export class DemoModule {}
