import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { NotificationEmail } from './notification-email';

/** How long a stopping process waits for emails still being sent. */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * Sends notification emails through SMTP_URL, after the notifications are stored and without the caller waiting:
 * a slow or absent mail server never holds up a request or a run. At most two connections at once (nodemailer's
 * pool queues the rest). A failure is logged (with the user's id, not the address) and dropped: the notification
 * itself is in the portal already. Without SMTP_URL nothing is sent.
 */
@Injectable()
export class NotificationMailer implements OnApplicationShutdown {
  private readonly logger = new Logger('NotificationMail');
  private transport?: Transporter;
  private readonly sending = new Set<Promise<void>>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return Boolean(this.config.smtpUrl);
  }

  /** Starts sending `email` (for user `userId`) and returns at once. */
  send(userId: string, email: NotificationEmail): void {
    if (!this.enabled) return;
    const sent = this.connect()
      .sendMail({ from: this.config.mailFrom, to: email.to, subject: email.subject, text: email.text })
      .then(
        () => undefined,
        (error: Error) => this.logger.warn(`The email of a notification to user ${userId} was not sent: ${error.message}`),
      );
    this.sending.add(sent);
    void sent.finally(() => this.sending.delete(sent));
  }

  /** Resolves once every email started so far is sent or has failed (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.sending.size) await Promise.allSettled([...this.sending]);
  }

  private connect(): Transporter {
    this.transport ??= createTransport({
      url: this.config.smtpUrl,
      pool: true,
      maxConnections: 2,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as Parameters<typeof createTransport>[0]);
    return this.transport;
  }

  /** Emails under way get up to 10 s; then the pool closes. */
  async onApplicationShutdown() {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)));
    await Promise.race([this.settled(), late]);
    clearTimeout(timer);
    if (this.sending.size) this.logger.warn(`${this.sending.size} notification email(s) still going at shutdown were dropped`);
    this.transport?.close();
    this.transport = undefined;
  }
}
