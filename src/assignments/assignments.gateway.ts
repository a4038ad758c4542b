import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Socket } from 'socket.io';
import { rowIdFrom } from '../common/request-parsing';
import { assignmentRoom } from '../pipeline-runs/pipeline-events.service';
import { socketViewer } from '../pipeline-runs/pipeline.gateway';
import { UsersService } from '../users/users.service';
import { AssignmentsService } from './assignments.service';

/** The progress table's live channel: only those who teach the class join an assignment's room. */
@WebSocketGateway()
export class AssignmentsGateway {
  constructor(
    private readonly assignments: AssignmentsService,
    private readonly users: UsersService,
  ) {}

  @SubscribeMessage('join-assignment')
  async joinAssignment(@ConnectedSocket() socket: Socket, @MessageBody() body: { assignmentId?: unknown }) {
    try {
      const viewer = await socketViewer(socket, this.users);
      if (!viewer) return { ok: false, error: 'Please log in' };
      const id = rowIdFrom(body?.assignmentId);
      if (id === null) return { ok: false, error: 'assignmentId must be an assignment id' };
      await this.assignments.findTaught(id, viewer);
      await socket.join(assignmentRoom(id));
      return { ok: true };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }
}
