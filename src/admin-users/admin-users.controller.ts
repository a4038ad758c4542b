import { BadRequestException, Body, ConflictException, Controller, ForbiddenException, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { userMessage } from '../common/http-exception.filter';
import { pageView } from '../common/paging';
import { AccountChanges, AccountsService } from '../users/accounts.service';
import { SessionUser, User, USER_ROLES, UserRole } from '../users/user.entity';
import { parseUserListQuery, USERS_PER_PAGE } from './admin-users-query';

/** Refusals shown on the page they came from (with their status), rather than on the error page. */
const isRefusal = (error: unknown): error is BadRequestException | ForbiddenException | ConflictException =>
  error instanceof BadRequestException || error instanceof ForbiddenException || error instanceof ConflictException;

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * /admin/users: admins list, search and page accounts, create them, change roles and display names, deactivate and
 * reactivate, and reset passwords. A generated password is shown once, on a page that is not stored anywhere
 * (Cache-Control: no-store; never in a flash message, which lives in the session table).
 */
@Roles('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  async index(@Query() query: Record<string, unknown>, @Res() res: Response) {
    res.render('admin-users/index', await this.listView(query));
  }

  @Post()
  async create(@CurrentUser() actor: SessionUser, @Body() body: Record<string, unknown>, @Res() res: Response) {
    const input = { username: text(body.username).trim(), displayName: text(body.displayName), role: text(body.role) as UserRole };
    try {
      const { user, password } = await this.accounts.create(actor, input);
      res.status(201).set('Cache-Control', 'no-store').render('admin-users/password', { title: `Account ${user.username}`, account: user, password, created: true });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      res.status(error.getStatus()).render('admin-users/index', { ...(await this.listView({})), createError: userMessage(error), newUser: input });
    }
  }

  @Get(':id')
  async show(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Res() res: Response) {
    res.render('admin-users/show', this.accountView(actor, await this.accounts.get(actor, id)));
  }

  @Post(':id/role')
  role(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Body('role') role: unknown, @Req() req: Request, @Res() res: Response) {
    return this.change(actor, id, { role: text(role) as UserRole }, req, res, (user) => `${user.username} is now ${article(user.role)} ${user.role}.`);
  }

  @Post(':id/display-name')
  displayName(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Body('displayName') name: unknown, @Req() req: Request, @Res() res: Response) {
    return this.change(actor, id, { displayName: text(name) }, req, res, (user) => `Saved the display name of ${user.username}.`);
  }

  @Post(':id/email')
  email(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Body('email') email: unknown, @Req() req: Request, @Res() res: Response) {
    // An empty box or none clears it; anything but text reaches the rule as it is, which refuses it.
    return this.change(actor, id, { email: (email ?? null) as string | null }, req, res, (user) =>
      user.email ? `The email address of ${user.username} is now ${user.email}.` : `Removed the email address of ${user.username}.`,
    );
  }

  @Post(':id/deactivate')
  deactivate(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    return this.change(actor, id, { active: false }, req, res, (user) => `Deactivated ${user.username}: their sessions have ended and their API tokens no longer work.`);
  }

  @Post(':id/reactivate')
  reactivate(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    return this.change(actor, id, { active: true }, req, res, (user) => `Reactivated ${user.username}: they can log in again.`);
  }

  @Post(':id/reset-password')
  async resetPassword(@CurrentUser() actor: SessionUser, @Param('id') id: string, @Res() res: Response) {
    try {
      const { user, password } = await this.accounts.resetPassword(actor, id);
      res.status(200).set('Cache-Control', 'no-store').render('admin-users/password', { title: `Account ${user.username}`, account: user, password, created: false });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      res.status(error.getStatus()).render('admin-users/show', { ...this.accountView(actor, await this.accounts.get(actor, id)), error: userMessage(error) });
    }
  }

  /** Applies one change; a refusal shows the account page again with the reason and its status. */
  private async change(actor: SessionUser, id: string, changes: AccountChanges, req: Request, res: Response, done: (user: User) => string) {
    try {
      const user = await this.accounts.update(actor, id, changes);
      setFlash(req, 'info', done(user));
      res.redirect(303, `/admin/users/${user.id}`);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      res.status(error.getStatus()).render('admin-users/show', { ...this.accountView(actor, await this.accounts.get(actor, id)), error: userMessage(error) });
    }
  }

  private async listView(query: Record<string, unknown>) {
    const { filters, params, page } = parseUserListQuery(query);
    const { items, total } = await this.accounts.search(filters, page);
    return {
      title: 'Users',
      users: items,
      filters: params,
      limit: page.limit,
      roles: USER_ROLES,
      newUser: { role: 'student' },
      pager: pageView('/admin/users', params, { ...page, total, shown: items.length }, USERS_PER_PAGE, { one: 'user', many: 'users' }),
    };
  }

  private accountView(actor: SessionUser, account: User) {
    return { title: `User ${account.username}`, account, roles: USER_ROLES, isSelf: account.id === actor.id };
  }
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
