import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Store } from 'express-session';
import { Server, Socket } from 'socket.io';
import { sessionRoom, userRoom } from '../live/live-rooms';
import { integerFrom, PG_INTEGER_MAX, ROW_ID_RULE, rowIdFrom } from '../common/request-parsing';
import { canView } from '../sharing/sharing-policy';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { TargetsService } from '../targets/targets.service';
import { LOG_PAGE_LINES, PipelineLogService } from './pipeline-log.service';
import {
  RUN_ACCESS_CHANGED,
  RUN_EVENTS,
  RunAccessChangedEvent,
  RunEvent,
  runRoom,
  TARGET_PRODUCT_PREVIEW,
  TargetProductPreviewEvent,
  TargetRunStateEvent,
  targetRoom,
} from './pipeline-events.service';
import { PipelineRunsService } from './pipeline-runs.service';

/** What a socket carries once it has joined a room: its user as the sharing policy sees them. */
interface SocketData {
  viewer?: SessionUser;
}

/** The handshake request after the session and Passport middlewares (SessionIoAdapter). */
interface HandshakeRequest {
  user?: SessionUser;
  sessionID?: string;
  sessionStore?: Store;
}

const handshakeOf = (socket: Socket) => socket.request as unknown as HandshakeRequest;

/** Whether the socket's session is still stored for its user: a reset, a password change or a logout deletes it. */
function sessionStillThere(request: HandshakeRequest, userId: string): Promise<boolean> {
  const { sessionStore, sessionID } = request;
  if (!sessionStore || !sessionID) return Promise.resolve(false);
  return new Promise((resolve, reject) =>
    sessionStore.get(sessionID, (error, stored) => {
      if (error) reject(new Error('Could not check your session; try again'));
      else resolve((stored as { passport?: { user?: unknown } } | null | undefined)?.passport?.user === userId);
    }),
  );
}

/**
 * Browsers join a run's room after the sharing policy let them see the run, and on every (re)connect ask for the
 * log lines after the last one they have; later lines arrive from the workers through the Redis adapter. A target
 * page's socket joins the target's room, but nothing is broadcast there: each run's state goes to each socket in it
 * whose user may see that run (canView), so one student's private run never reaches a classmate's target page.
 * Every join reads the user afresh (classes, students, deactivation) rather than trusting the handshake's copy, and
 * checks that the session is still stored. A logged-in socket is also in its user's and its session's rooms from the moment it connects,
 * so LiveConnectionsService (src/live/) can disconnect it from any process when the user's sessions end or what they
 * may see narrows; its page connects again and every join is checked anew.
 */
/**
 * A socket's user, read again now; null when logged out (here or since the handshake) or deactivated. Every join
 * of every gateway asks this before the sharing policy.
 */
export async function socketViewer(socket: Socket, users: UsersService): Promise<SessionUser | null> {
  const request = handshakeOf(socket);
  const user = request.user;
  // A socket that connected just before its session ended might have joined its rooms after the disconnect went
  // out; asking the store on every join closes that gap.
  const viewer = user && (await sessionStillThere(request, user.id)) ? await users.findSessionUser(user.id) : null;
  (socket.data as SocketData).viewer = viewer ?? undefined;
  return viewer;
}

@WebSocketGateway()
export class PipelineGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger('PipelineGateway');

  constructor(
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
    private readonly targets: TargetsService,
    private readonly users: UsersService,
  ) {}

  afterInit(server: Server) {
    // Server-side events from any process (the Redis emitter's serverSideEmit), delivered by this one to its sockets.
    server.sockets.on(RUN_EVENTS, (events: RunEvent[]) => this.deliverRunEvents(server, events));
    server.sockets.on(RUN_ACCESS_CHANGED, (event: RunAccessChangedEvent) => this.recheckRunRoom(server, event));
    server.sockets.on(TARGET_PRODUCT_PREVIEW, (event: TargetProductPreviewEvent) => this.deliverPreviewToTargetPages(server, event));
  }

  /**
   * Joined before the socket's first message is handled, so no join of a run or target can slip in before the
   * socket can be reached by its user's or session's room.
   */
  handleConnection(socket: Socket) {
    const request = handshakeOf(socket);
    if (request.user && request.sessionID) void socket.join([userRoom(request.user.id), sessionRoom(request.sessionID)]);
  }

  private viewerOf(socket: Socket): Promise<SessionUser | null> {
    return socketViewer(socket, this.users);
  }

  @SubscribeMessage('join-run')
  async joinRun(@ConnectedSocket() socket: Socket, @MessageBody() body: { runId?: unknown; after?: unknown }) {
    try {
      const user = await this.viewerOf(socket);
      if (!user) return { ok: false, error: 'Please log in' };
      const runId = rowIdFrom(body?.runId);
      if (runId === null) return { ok: false, error: `runId must be ${ROW_ID_RULE}` };
      const run = await this.runs.findVisible(runId, user);
      const after = body?.after === undefined || body.after === null ? 0 : integerFrom(body.after, 0, PG_INTEGER_MAX);
      if (after === null) return { ok: false, error: `after must be a whole number from 0 to ${PG_INTEGER_MAX}` };
      // Join first, then read: a line stored in between arrives twice at most, and the page drops repeats by seq.
      await socket.join(runRoom(run.id));
      // One page; a client told `hasMore` asks again after `lastSeq` until it has caught up (a long log is not cut).
      const { lines, hasMore } = await this.logs.page(run.id, { after, limit: LOG_PAGE_LINES });
      return {
        ok: true,
        state: run.state,
        status: run.status,
        lines: lines.map((line) => ({ runId: run.id, ...line })),
        lastSeq: lines.length ? lines[lines.length - 1].seq : after,
        hasMore,
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
      const targetId = rowIdFrom(body?.targetId);
      if (targetId === null) return { ok: false, error: `targetId must be ${ROW_ID_RULE}` };
      const target = await this.targets.findVisible(targetId, user);
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

  /** A product's new thumbnail (or why there is none) to the target pages whose users may see that product. */
  private deliverPreviewToTargetPages(server: Server, { preview, owned }: TargetProductPreviewEvent) {
    for (const socket of this.socketsIn(server, targetRoom(preview.targetId))) {
      const viewer = (socket.data as SocketData).viewer;
      if (viewer && canView(viewer, owned)) socket.emit('product-preview', preview);
    }
  }

  /**
   * Runs' line batches and states, in order, to this process's sockets in each run's room (every process gets every
   * event and serves its own sockets, as the Redis adapter does with a room's broadcast); states also to the target pages.
   */
  private deliverRunEvents(server: Server, events: RunEvent[]) {
    for (const event of events) {
      if ('lines' in event) {
        server.local.to(runRoom(event.runId)).emit('log-lines', event.lines);
      } else {
        server.local.to(runRoom(event.state.runId)).emit('run', event.state);
        this.deliverToTargetPages(server, event);
      }
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
