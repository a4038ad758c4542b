import { Controller, Get, Inject, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { Request, Response } from 'express';
import { CsrfTokens } from '../common/csrf';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LiveConnectionsService } from '../live/live-connections.service';
import { Public } from './auth.decorators';
import { LoginFailedFilter } from './login-failed.filter';
import { LoginGuard } from './login.guard';
import { SESSION_COOKIE, sessionCookieOptions } from './session-settings';

/** Only same-site paths may be a post-login destination. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/targets';
}

@Controller()
export class AuthController {
  constructor(
    private readonly live: LiveConnectionsService,
    private readonly csrf: CsrfTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Get()
  home(@Req() req: Request, @Res() res: Response) {
    res.redirect(req.user ? '/targets' : '/login');
  }

  @Public()
  @Get('login')
  @Render('auth/login')
  loginPage(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Query('next') next?: string) {
    // The form's token without a session: a visitor who only looks at the login page leaves no row behind.
    return { title: 'Log in', next: safeNext(next), csrfToken: this.csrf.forForm(req, res) };
  }

  @Public()
  @Post('login')
  @UseGuards(LoginGuard)
  @UseFilters(LoginFailedFilter)
  login(@Req() req: Request, @Res() res: Response) {
    res.redirect(303, safeNext(req.body?.next));
  }

  @Post('logout')
  logout(@Req() req: Request, @Res() res: Response) {
    // Read before logging out, which gives the browser a new session id: the live pages of this one end with it.
    const sessionId = req.sessionID;
    req.logout(() =>
      req.session.destroy(() => {
        // The row is gone; the browser forgets the cookie too, instead of sending a dead one with every request.
        res.clearCookie(SESSION_COOKIE, sessionCookieOptions(this.config));
        void this.live.endForSession(sessionId).then(() => res.redirect(303, '/login'));
      }),
    );
  }
}
