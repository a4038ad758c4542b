import { BadRequestException, Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { ThrottleJoinCodeGuesses } from '../auth/join-code-throttle';
import { CsrfTokens } from '../common/csrf';
import { setFlash } from '../common/flash';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { ClassroomsService, JoinCodeRefused } from './classrooms.service';

const STYLES = ['/css/classes.css'];
const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');

/**
 * /signup?code=…: a newcomer makes a student account with a class's join code and lands in that class, logged in.
 * Without a valid, enabled code the page only says that signing up needs one, and nothing is made.
 */
@Controller('signup')
export class SignupController {
  constructor(
    private readonly classrooms: ClassroomsService,
    private readonly users: UsersService,
    private readonly csrf: CsrfTokens,
  ) {}

  @Public()
  @Get()
  // The page checks the code too, so a wrong one here is a guess like any other.
  @ThrottleJoinCodeGuesses()
  async signUpPage(@Query('code') code: unknown, @Req() req: Request, @Res() res: Response) {
    // Someone with an account joins the class instead of making another account.
    if (req.user) return res.redirect(`/classes/join${typeof code === 'string' ? `?code=${encodeURIComponent(code.slice(0, 20))}` : ''}`);
    if (typeof code !== 'string' || !code.trim()) return res.render('classes/signup', { title: 'Sign up', styles: STYLES, needsCode: true });
    try {
      const classroom = await this.classrooms.findJoinable(code);
      // The sign-up form's token, without a session (CsrfTokens.forForm); the pages asking for a code have no form to protect.
      res.render('classes/signup', { title: 'Sign up', styles: STYLES, classroom: { name: classroom.name }, code: code.trim(), csrfToken: this.csrf.forForm(req, res) });
    } catch (error) {
      if (!(error instanceof JoinCodeRefused)) throw error;
      res.status(400).render('classes/signup', { title: 'Sign up', styles: STYLES, needsCode: true, code: text(code, 20), codeError: error.message });
    }
  }

  /** Makes the account and its enrolment in one transaction, then logs the newcomer in. */
  @Public()
  @Post()
  @ThrottleJoinCodeGuesses()
  async signUp(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const input = {
      code: text(body.code, 20),
      username: text(body.username, 200),
      displayName: text(body.displayName, 200),
      password: text(body.password, 1000),
      confirmPassword: text(body.confirmPassword, 1000),
    };
    let created;
    try {
      created = await this.classrooms.signUp(input);
    } catch (error) {
      if (error instanceof JoinCodeRefused) {
        return res.status(400).render('classes/signup', { title: 'Sign up', styles: STYLES, needsCode: true, code: input.code, codeError: error.message });
      }
      if (!(error instanceof BadRequestException)) throw error;
      const { errors } = error.getResponse() as { errors?: Record<string, string[]> };
      const classroom = await this.classrooms.findJoinable(input.code);
      return res.status(400).render('classes/signup', {
        title: 'Sign up',
        styles: STYLES,
        classroom: { name: classroom.name },
        csrfToken: this.csrf.forForm(req, res),
        code: input.code,
        username: input.username,
        displayName: input.displayName,
        error: error.message,
        errors: Object.fromEntries(Object.entries(errors ?? {}).map(([field, messages]) => [field, messages[0]])),
      });
    }
    const sessionUser = await this.users.findSessionUser(created.user.id);
    await new Promise<void>((resolve, reject) => req.login(sessionUser as SessionUser, (error) => (error ? reject(error) : resolve())));
    setFlash(req, 'info', `Welcome, ${created.user.displayName ?? created.user.username}! You are in the class "${created.classroom.name}".`);
    res.redirect(303, `/classes/${created.classroom.id}`);
  }
}
