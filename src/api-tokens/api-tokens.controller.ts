import { Body, Controller, Get, Param, ParseIntPipe, Post, Render, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { SessionUser } from '../users/user.entity';
import { ApiTokensService } from './api-tokens.service';

/** The profile page, where a user makes and revokes personal API tokens. */
@Controller('profile')
export class ApiTokensController {
  constructor(private readonly apiTokens: ApiTokensService) {}

  @Get()
  @Render('profile/show')
  async show(@CurrentUser() user: SessionUser) {
    return this.page(user);
  }

  /**
   * Renders the page with the new token instead of redirecting: the secret must not pass through the session
   * (stored in Postgres) as a flash message would.
   */
  @Post('tokens')
  async create(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Res() res: Response) {
    const { token, apiToken } = await this.apiTokens.create(user, typeof body.name === 'string' ? body.name : '');
    res.status(201).set('Cache-Control', 'no-store').render('profile/show', { ...(await this.page(user)), newToken: { token, name: apiToken.name } });
  }

  @Post('tokens/:id/revoke')
  async revoke(@CurrentUser() user: SessionUser, @Param('id', ParseIntPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const revoked = await this.apiTokens.revoke(user.id, id);
    setFlash(req, 'info', `Revoked the token "${revoked.name}". Anything still using it now gets 401.`);
    res.redirect(303, '/profile');
  }

  private async page(user: SessionUser) {
    return { title: 'Your profile', profile: user, tokens: await this.apiTokens.listFor(user.id) };
  }
}
