import { Injectable } from '@nestjs/common';

/**
 * Whether this process has begun to stop. Set by PortalApp.close() before any shutdown hook runs, so that during
 * the grace period (runs finishing, pages still served) /readyz already tells a load balancer to send new
 * requests elsewhere.
 */
@Injectable()
export class ShutdownState {
  private stoppingSince?: Date;

  begin(): void {
    this.stoppingSince ??= new Date();
  }

  get stopping(): boolean {
    return this.stoppingSince !== undefined;
  }
}
