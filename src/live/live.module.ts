import { DynamicModule, Module } from '@nestjs/common';
import { LIVE_REDIS_URL, LiveConnectionsService } from './live-connections.service';

/**
 * LiveConnectionsService for every context that changes accounts or classes (the web app, the CLIs), so the
 * services that do it (accounts, password resets, classes, logout) can end the users' live connections. `redisUrl`
 * is the portal's Redis, or null for a CLI on the embedded default, which no web process runs beside.
 */
@Module({})
export class LiveModule {
  static forRoot(redisUrl: string | null): DynamicModule {
    return {
      module: LiveModule,
      global: true,
      providers: [{ provide: LIVE_REDIS_URL, useValue: redisUrl || null }, LiveConnectionsService],
      exports: [LiveConnectionsService],
    };
  }
}
