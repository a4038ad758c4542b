import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Socket } from 'socket.io';
import { SessionUser } from '../users/user.entity';
import { TargetsService } from '../targets/targets.service';
import { PipelineLogService } from './pipeline-log.service';
import { runRoom, targetRoom } from './pipeline-events.service';
import { PipelineRunsService } from './pipeline-runs.service';

/**
 * Browsers join a run's room (or a target's) after a permission check, and on every (re)connect ask for the log
 * lines after the last one they have; later lines arrive from the workers through the Redis adapter.
 */
@WebSocketGateway()
export class PipelineGateway {
  private readonly logger = new Logger('PipelineGateway');

  constructor(
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
    private readonly targets: TargetsService,
  ) {}

  private userOf(socket: Socket): SessionUser | null {
    return ((socket.request as unknown as { user?: SessionUser }).user as SessionUser) ?? null;
  }

  @SubscribeMessage('join-run')
  async joinRun(@ConnectedSocket() socket: Socket, @MessageBody() body: { runId?: unknown; after?: unknown }) {
    const user = this.userOf(socket);
    if (!user) return { ok: false, error: 'Please log in' };
    try {
      const run = await this.runs.findVisible(Number(body?.runId), user);
      // Join first, then read: a line stored in between arrives twice at most, and the page drops repeats by seq.
      await socket.join(runRoom(run.id));
      const lines = await this.logs.linesAfter(run.id, Math.max(0, Number(body?.after) || 0));
      return {
        ok: true,
        state: run.state,
        status: run.status,
        lines: lines.map(({ seq, time, level, text }) => ({ runId: run.id, seq, time, level, text })),
      };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  @SubscribeMessage('join-target')
  async joinTarget(@ConnectedSocket() socket: Socket, @MessageBody() body: { targetId?: unknown }) {
    const user = this.userOf(socket);
    if (!user) return { ok: false, error: 'Please log in' };
    try {
      const target = await this.targets.findVisible(Number(body?.targetId), user);
      await socket.join(targetRoom(target.id));
      return { ok: true };
    } catch (error) {
      this.logger.debug(`join-target refused: ${(error as Error).message}`);
      return { ok: false, error: (error as Error).message };
    }
  }
}
