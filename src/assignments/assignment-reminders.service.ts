import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AssignmentsService } from './assignments.service';

/** How often the web process looks for assignments due within a day (the reminder goes out once per due date). */
export const REMINDER_CHECK_MS = 10 * 60_000;

/** Sends the "due soon" reminders: a timer in each web process; AssignmentsService makes sure only one sends each. */
@Injectable()
export class AssignmentRemindersService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AssignmentReminders');
  private timer?: NodeJS.Timeout;

  constructor(private readonly assignments: AssignmentsService) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.check(), REMINDER_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy() {
    clearInterval(this.timer);
  }

  private async check() {
    try {
      const told = await this.assignments.sendDueReminders();
      if (told) this.logger.log(`Reminded ${told} student(s) of assignments due within a day`);
    } catch (error) {
      this.logger.warn(`Due-date reminders: ${(error as Error).message}`);
    }
  }
}
