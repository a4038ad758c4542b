import { Injectable } from '@nestjs/common';
import { ApiTokensService } from '../api-tokens/api-tokens.service';
import { FailureKey, FailureThrottleService } from '../auth/failure-throttle.service';
import { preferenceField } from '../notifications/notification-preferences-form';
import { NotificationsService } from '../notifications/notifications.service';
import { AccountsService, WrongCurrentPasswordException } from '../users/accounts.service';
import { SessionUser } from '../users/user.entity';

/** The form fields of the change-password form. */
export interface PasswordForm {
  current: string;
  next: string;
  confirm: string;
}

export const passwordForm = (body: Record<string, unknown>): PasswordForm => ({
  current: typeof body.currentPassword === 'string' ? body.currentPassword : '',
  next: typeof body.newPassword === 'string' ? body.newPassword : '',
  confirm: typeof body.confirmPassword === 'string' ? body.confirmPassword : '',
});

/** The /profile page: the user's name, email address, password, notification choices and API tokens. */
@Injectable()
export class ProfileService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly apiTokens: ApiTokensService,
    private readonly throttle: FailureThrottleService,
    private readonly notifications: NotificationsService,
  ) {}

  async page(user: SessionUser) {
    const [tokens, email, preferences] = await Promise.all([this.apiTokens.listFor(user.id), this.accounts.ownEmail(user.id), this.notifications.preferences(user)]);
    return {
      title: 'Your profile',
      profile: user,
      email,
      tokens,
      notificationPreferences: preferences.map((choice) => ({ ...choice, portalField: preferenceField('portal', choice.kind), emailField: preferenceField('email', choice.kind) })),
    };
  }

  /**
   * Sets the user's own password. A wrong current password counts as a failed login for the user's name and the
   * address (`keys`), so a borrowed session cannot be used to guess it; the other sessions end.
   */
  async changePassword(user: SessionUser, keys: FailureKey[], form: PasswordForm, sessionId: string): Promise<void> {
    await this.throttle.assertAllowed(keys);
    try {
      await this.accounts.changeOwnPassword(user.id, form, sessionId);
    } catch (error) {
      if (error instanceof WrongCurrentPasswordException) await this.throttle.recordFailure(keys);
      throw error;
    }
  }

  setDisplayName(user: SessionUser, value: unknown): Promise<string | null> {
    return this.accounts.setOwnDisplayName(user.id, value);
  }

  setEmail(user: SessionUser, value: unknown): Promise<string | null> {
    return this.accounts.setOwnEmail(user.id, value);
  }
}
