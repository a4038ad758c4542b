import { Controller, Get, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { Request, Response } from 'express';
import { Public } from './auth.decorators';
import { LoginFailedFilter } from './login-failed.filter';
import { LoginGuard } from './login.guard';

/** Only same-site paths may be a post-login destination. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/targets';
}

@Controller()
export class AuthController {
  @Public()
  @Get()
  home(@Req() req: Request, @Res() res: Response) {
    res.redirect(req.user ? '/targets' : '/login');
  }

  @Public()
  @Get('login')
  @Render('auth/login')
  loginPage(@Query('next') next?: string) {
    return { title: 'Log in', next: safeNext(next) };
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
    req.logout(() => req.session.destroy(() => res.redirect(303, '/login')));
  }
}
