import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { createBullRedisClient } from './redis-client';

export const PIPELINES_QUEUE = 'pipelines';

/** Bull on REDIS_URL or the embedded server; the queues themselves are registered by the features using them. */
@Module({})
export class QueueModule {
  static forRoot(redisUrl: string): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({ createClient: (type) => createBullRedisClient(redisUrl, type), prefix: 'portal' }),
        BullModule.registerQueue({ name: PIPELINES_QUEUE }),
      ],
      exports: [BullModule],
    };
  }
}
