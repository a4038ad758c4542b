import { BullModule, InjectQueue } from '@nestjs/bull';
import { DynamicModule, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bull';
import { BullRedisClients } from './redis-client';

export const PIPELINES_QUEUE = 'pipelines';
/** Thumbnails of new FITS products, made by the workers so that uploads stay fast. */
export const PREVIEWS_QUEUE = 'previews';

/** Closes the queues, then the Redis connections Bull was given, so a stopped app leaves no socket open. */
@Injectable()
class QueueShutdown implements OnApplicationShutdown {
  constructor(
    @InjectQueue(PIPELINES_QUEUE) private readonly pipelines: Queue,
    @InjectQueue(PREVIEWS_QUEUE) private readonly previews: Queue,
    private readonly clients: BullRedisClients,
  ) {}

  async onApplicationShutdown() {
    await Promise.all([this.pipelines.close(), this.previews.close()]);
    await this.clients.closeAll();
  }
}

/** Bull on REDIS_URL or the embedded server; the queues themselves are registered here so every process shares them. */
@Module({})
export class QueueModule {
  /** `lockSeconds`: Bull's job lock; the stalled-job check runs as often, so a dead worker's job is requeued soon. */
  static forRoot(redisUrl: string, lockSeconds = 30): DynamicModule {
    const clients = new BullRedisClients();
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({
          createClient: (type) => clients.create(redisUrl, type),
          prefix: 'portal',
          settings: { lockDuration: lockSeconds * 1000, stalledInterval: lockSeconds * 1000, maxStalledCount: 1 },
        }),
        BullModule.registerQueue({ name: PIPELINES_QUEUE }, { name: PREVIEWS_QUEUE }),
      ],
      providers: [{ provide: BullRedisClients, useValue: clients }, QueueShutdown],
      exports: [BullModule],
    };
  }
}
