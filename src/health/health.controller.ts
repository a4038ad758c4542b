import { InjectQueue } from '@nestjs/bull';
import { Controller, Get, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bull';
import { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { PIPELINES_QUEUE } from '../queue/queue.module';
import { ShutdownState } from './shutdown-state';

@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(PIPELINES_QUEUE) private readonly queue: Queue,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process is up. */
  @Public()
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Postgres and Redis answer, and the process is not stopping (it still serves during the grace period). */
  @Public()
  @Get('readyz')
  async readyz(@Res() res: Response) {
    if (this.shutdown.stopping) {
      // Expected while stopping: logged as information, not as a failure.
      res.locals.logLevel = 'info';
      res.status(503).json({ status: 'stopping' });
      return;
    }
    const check = async (probe: () => Promise<unknown>) =>
      Promise.race([
        probe().then(() => 'ok'),
        new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 2000).unref()),
      ]).catch((error: Error) => `error: ${error.message}`);
    const [database, redis] = await Promise.all([
      check(() => this.dataSource.query('SELECT 1')),
      check(() => this.queue.client.ping()),
    ]);
    const ready = database === 'ok' && redis === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', database, redis });
  }
}
