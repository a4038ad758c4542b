import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Server, Socket } from 'socket.io';
import { canView } from '../sharing/sharing-policy';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { TargetsService } from '../targets/targets.service';
import { PipelineLogService } from './pipeline-log.service';
import {
  RUN_ACCESS_CHANGED,
  RunAccessChangedEvent,
  runRoom,
  TARGET_RUN_STATE,
  TargetRunStateEvent,
  targetRoom,
} from './pipeline-events.service';
import { PipelineRunsService } from './pipeline-runs.service';

/** What a socket carries once it has joined a room: its user as the sharing policy sees them. */
interface SocketData {
  viewer?: SessionUser;
}

/**
 * Browsers join a run's room after the sharing policy let them see the run, and on every (re)connect ask for the
 * log lines after the last one they have; later lines arrive from the workers through the Redis adapter. A target
 * page's socket joins the target's room, but nothing is broadcast there: each run's state goes to each socket in it
 * whose user may see that run (canView), so one student's private run never reaches a classmate's target page.
 * Every join reads the user afresh (classes, students, deactivation), not the handshake's copy.
 */
@WebSocketGateway()
export class PipelineGateway implements OnGatewayInit {
  private readonly logger = new Logger('PipelineGateway');

  constructor(
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
    private readonly targets: TargetsService,
    private readonly users: UsersService,
  ) {}

  afterInit(server: Server) {
    // Server-side events from any process (the Redis emitter's serverSideEmit), delivered by this one to its sockets.
    server.sockets.on(TARGET_RUN_STATE, (event: TargetRunStateEvent) => this.deliverToTargetPages(server, event));
    server.sockets.on(RUN_ACCESS_CHANGED, (event: RunAccessChangedEvent) => this.recheckRunRoom(server, event));
  }

  /** The socket's user, read again now; null when logged out or deactivated. */
  private async viewerOf(socket: Socket): Promise<SessionUser | null> {
    const user = (socket.request as unknown as { user?: SessionUser }).user;
    const viewer = user ? await this.users.findSessionUser(user.id) : null;
    (socket.data as SocketData).viewer = viewer ?? undefined;
    return viewer;
  }

  @SubscribeMessage('join-run')
  async joinRun(@ConnectedSocket() socket: Socket, @MessageBody() body: { runId?: unknown; after?: unknown }) {
    try {
      const user = await this.viewerOf(socket);
      if (!user) return { ok: false, error: 'Please log in' };
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
    try {
      const user = await this.viewerOf(socket);
      if (!user) return { ok: false, error: 'Please log in' };
      const target = await this.targets.findVisible(Number(body?.targetId), user);
      await socket.join(targetRoom(target.id));
      return { ok: true };
    } catch (error) {
      this.logger.debug(`join-target refused: ${(error as Error).message}`);
      return { ok: false, error: (error as Error).message };
    }
  }

  /** This process's sockets in `room`. */
  private *socketsIn(server: Server, room: string): Generator<Socket> {
    for (const id of server.sockets.adapter.rooms.get(room) ?? []) {
      const socket = server.sockets.sockets.get(id);
      if (socket) yield socket;
    }
  }

  private deliverToTargetPages(server: Server, { state, owned }: TargetRunStateEvent) {
    for (const socket of this.socketsIn(server, targetRoom(state.targetId))) {
      const viewer = (socket.data as SocketData).viewer;
      if (viewer && canView(viewer, owned)) socket.emit('run', state);
    }
  }

  /** After a run's sharing changed: sockets whose users may no longer see it leave its room, and are told so. */
  private recheckRunRoom(server: Server, { runId, owned }: RunAccessChangedEvent) {
    for (const socket of [...this.socketsIn(server, runRoom(runId))]) {
      const viewer = (socket.data as SocketData).viewer;
      if (viewer && canView(viewer, owned)) continue;
      void socket.leave(runRoom(runId));
      socket.emit('run-access', { runId, ok: false, error: 'This run is no longer shared with you' });
    }
  }
}
