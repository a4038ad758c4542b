import { Module } from '@nestjs/common';
import { ClassroomsModule } from '../classrooms/classrooms.module';
import { UsersModule } from '../users/users.module';
import { DemoSeedService } from './demo-seed.service';

@Module({ imports: [UsersModule, ClassroomsModule], providers: [DemoSeedService], exports: [DemoSeedService] })
export class DemoModule {}
