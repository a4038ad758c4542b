import type { CleanNotification } from './notification-kinds';

/** Who an email goes to. */
export interface MailRecipient {
  email: string;
  username: string;
  displayName: string | null;
}

export interface NotificationEmail {
  to: { name: string; address: string };
  subject: string;
  text: string;
}

/**
 * The email for one notification: its title as the subject, its text, the full address of its link in the portal,
 * and where to turn such emails off. Plain text only: nothing in it can run or load anything. Pure.
 */
export function notificationEmail(notification: CleanNotification, recipient: MailRecipient, portalUrl: string): NotificationEmail {
  const base = portalUrl.replace(/\/+$/, '');
  const parts = [`Hello ${recipient.displayName || recipient.username},`, notification.title];
  if (notification.body) parts.push(notification.body);
  if (notification.link) parts.push(`Open it in the portal: ${base}${notification.link}`);
  parts.push(`You get this email because this kind of notification is on in your profile; change that at ${base}/profile#notifications`);
  return {
    to: { name: recipient.displayName || recipient.username, address: recipient.email },
    subject: notification.title,
    text: `${parts.join('\n\n')}\n`,
  };
}
