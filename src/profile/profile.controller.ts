import { BadRequestException, Body, ConflictException, Controller, Get, Param, Post, Query, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { ApiTokensService } from '../api-tokens/api-tokens.service';
import { CurrentUser } from '../auth/auth.decorators';
import { safeNext } from '../auth/auth.controller';
import { FailureThrottleService, TooManyFailuresException } from '../auth/failure-throttle.service';
import { setFlash } from '../common/flash';
import { userMessage } from '../common/http-exception.filter';
import { parsePreferenceForm } from '../notifications/notification-preferences-form';
import { NotificationsService } from '../notifications/notifications.service';
import { MIN_PASSWORD_LENGTH } from '../users/account-rules';
import { SessionUser } from '../users/user.entity';
import { passwordForm, ProfileService } from './profile.service';
import { ParseRowIdPipe } from '../common/request-parsing';

/**
 * /profile: the user's display name, password and personal API tokens; /profile/password is also where a user with
 * a generated password is sent until they choose their own (src/auth/password-change-gate.ts).
 */
@Controller('profile')
export class ProfileController {
  constructor(
    private readonly profile: ProfileService,
    private readonly apiTokens: ApiTokensService,
    private readonly throttle: FailureThrottleService,
    private readonly notifications: NotificationsService,
  ) {}

  @Get()
  @Render('profile/show')
  show(@CurrentUser() user: SessionUser) {
    return this.profile.page(user);
  }

  @Post('display-name')
  async displayName(@CurrentUser() user: SessionUser, @Body('displayName') value: unknown, @Req() req: Request, @Res() res: Response) {
    try {
      const name = await this.profile.setDisplayName(user, value);
      setFlash(req, 'info', name ? `Your display name is now “${name}”.` : 'Your display name is cleared; your username is shown instead.');
      res.redirect(303, '/profile');
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      res.status(400).render('profile/show', { ...(await this.profile.page(user)), nameError: userMessage(error), displayNameValue: value });
    }
  }

  /** The user's own email address, where notification emails go; empty clears it. */
  @Post('email')
  async email(@CurrentUser() user: SessionUser, @Body('email') value: unknown, @Req() req: Request, @Res() res: Response) {
    try {
      const email = await this.profile.setEmail(user, value);
      setFlash(req, 'info', email ? `Your email address is now ${email}.` : 'Your email address is removed: the portal sends you no email.');
      res.redirect(303, '/profile#notifications');
    } catch (error) {
      if (!(error instanceof BadRequestException || error instanceof ConflictException)) throw error;
      res.status(error.getStatus()).render('profile/show', { ...(await this.profile.page(user)), emailError: userMessage(error), emailValue: value });
    }
  }

  /** Which kinds of notification the user gets in the portal and by email. */
  @Post('notifications')
  async notificationChoices(@CurrentUser() user: SessionUser, @Body() body: unknown, @Req() req: Request, @Res() res: Response) {
    await this.notifications.setPreferences(user, parsePreferenceForm(body));
    setFlash(req, 'info', 'Your notification choices are saved.');
    res.redirect(303, '/profile#notifications');
  }

  @Get('password')
  @Render('profile/password')
  passwordPage(@CurrentUser() user: SessionUser, @Query('next') next?: string) {
    return this.passwordView(user, next);
  }

  /** After a forced change the user goes on to where they were heading; otherwise back to the profile. */
  @Post('password')
  async changePassword(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    try {
      await this.profile.changePassword(user, this.throttle.loginKeys(req, user.username), passwordForm(body), req.sessionID);
    } catch (error) {
      if (error instanceof TooManyFailuresException) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      if (!(error instanceof BadRequestException || error instanceof TooManyFailuresException)) throw error;
      return res.status(error.getStatus()).render('profile/password', { ...this.passwordView(user, body.next), error: userMessage(error) });
    }
    setFlash(req, 'info', 'Your new password is set. Your other sessions have been logged out.');
    res.redirect(303, user.mustChangePassword ? safeNext(body.next) : '/profile');
  }

  /**
   * Renders the page with the new token instead of redirecting: the secret must not pass through the session
   * (stored in Postgres) as a flash message would.
   */
  @Post('tokens')
  async createToken(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Res() res: Response) {
    const { token, apiToken } = await this.apiTokens.create(user, typeof body.name === 'string' ? body.name : '');
    res.status(201).set('Cache-Control', 'no-store').render('profile/show', { ...(await this.profile.page(user)), newToken: { token, name: apiToken.name } });
  }

  @Post('tokens/:id/revoke')
  async revokeToken(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const revoked = await this.apiTokens.revoke(user.id, id);
    setFlash(req, 'info', `Revoked the token "${revoked.name}". Anything still using it now gets 401.`);
    res.redirect(303, '/profile');
  }

  private passwordView(user: SessionUser, next: unknown) {
    return { title: 'Change your password', forced: user.mustChangePassword, next: safeNext(next), minLength: MIN_PASSWORD_LENGTH };
  }
}
