import { Module } from '@nestjs/common';
import { QueueBoardService } from './queue-board.service';

/** Admins' tools outside Nest's routing: the Bull Board queue dashboard at /admin/queues. */
@Module({ providers: [QueueBoardService], exports: [QueueBoardService] })
export class AdminModule {}
