import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const PRUNE_EVERY_MS = 15 * 60 * 1000;

/**
 * Deletes expired sessions every 15 minutes, and sessions without a logged-in user: only logging in makes a
 * session now, so such a row is left over (from a version that saved one for every anonymous request, or a user
 * deactivated since) and would only be refreshed by the browser that holds it. Done here rather than by the
 * session store's own timer so that it stops with the app, before the database pool closes.
 */
@Injectable()
export class SessionPrunerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Sessions');
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
  }

  async prune(): Promise<number> {
    try {
      const [, affected] = await this.dataSource.query(`DELETE FROM sessions WHERE expire < now() OR sess->'passport'->>'user' IS NULL`);
      return Number(affected ?? 0);
    } catch (error) {
      this.logger.warn(`Could not prune expired sessions: ${(error as Error).message}`);
      return 0;
    }
  }
}
