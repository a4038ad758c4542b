import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  GoneException,
  Param,
  Post,
  Query,
  Render,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { ThrottleJoinCodeGuesses } from '../auth/join-code-throttle';
import { setFlash } from '../common/flash';
import { pageView, parsePageRequest } from '../common/paging';
import { SessionUser } from '../users/user.entity';
import { ClassroomsService, RosterImportRejected, RosterPreview } from './classrooms.service';
import { formatJoinCode } from './join-code';
import { LOGIN_CARDS_TTL_SECONDS, LoginCardsStore } from './login-cards.store';
import { loginCardsFileName, loginCardsToCsv } from './login-cards.writer';
import { RosterUploadInterceptor, rosterTextOf } from './roster-upload.interceptor';
import { ParseRowIdPipe } from '../common/request-parsing';

/** The portal's address as the browser reached it, for login cards and sign-up links. */
export const portalUrlOf = (req: Request) => `${req.protocol}://${req.get('host')}`;

const STYLES = ['/css/classes.css'];
const CLASSES_PER_PAGE = 50;
const MAX_CLASSES_PER_PAGE = 500;

/**
 * The class pages: the list, a class with its roster and join code, joining by code, roster imports and their
 * login cards. Thin: every rule is ClassroomsService's.
 */
@Controller('classes')
export class ClassroomsController {
  constructor(
    private readonly classrooms: ClassroomsService,
    private readonly cards: LoginCardsStore,
  ) {}

  @Get()
  @Render('classes/index')
  async index(@CurrentUser() user: SessionUser, @Query() query: Record<string, unknown>) {
    const paging = parsePageRequest(query, CLASSES_PER_PAGE, MAX_CLASSES_PER_PAGE);
    const { items, total } = await this.classrooms.listFor(user, paging);
    return {
      title: 'Classes',
      styles: STYLES,
      classes: items,
      pager: pageView('/classes', {}, { ...paging, total, shown: items.length }, CLASSES_PER_PAGE, { one: 'class', many: 'classes' }),
      canCreate: user.role !== 'student',
      isStudent: user.role === 'student',
    };
  }

  @Post()
  @Roles('teacher', 'admin')
  async create(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const classroom = await this.classrooms.create({ teacherId: user.id, name: String(body.name ?? '') });
    setFlash(req, 'info', `Created the class "${classroom.name}". Its join code is ${formatJoinCode(classroom.joinCode ?? '')}.`);
    res.redirect(303, `/classes/${classroom.id}`);
  }

  // Before ':id', so that "join" is not read as an id.
  @Get('join')
  @Render('classes/join')
  joinPage(@Query('code') code?: string) {
    return { title: 'Join a class', styles: STYLES, code: typeof code === 'string' ? code.slice(0, 20) : '' };
  }

  /** A student types a class's code. Wrong and turned-off codes re-show the form with the reason; nothing changes. */
  @Post('join')
  @ThrottleJoinCodeGuesses()
  async joinByCode(@CurrentUser() user: SessionUser, @Body('code') code: unknown, @Req() req: Request, @Res() res: Response) {
    try {
      const { classroom, alreadyMember } = await this.classrooms.joinByCode(user, code);
      setFlash(req, 'info', alreadyMember ? `You are already in "${classroom.name}".` : `You joined "${classroom.name}".`);
      res.redirect(303, `/classes/${classroom.id}`);
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      res.status(400).render('classes/join', { title: 'Join a class', styles: STYLES, code: typeof code === 'string' ? code.slice(0, 20) : '', error: error.message });
    }
  }

  @Get(':id')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    res.render('classes/show', await this.page(id, user, req));
  }

  @Post(':id/teachers')
  async addCoTeacher(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Body('username') username: unknown, @Req() req: Request, @Res() res: Response) {
    await this.formAction(req, res, id, async () => {
      const { user: teacher, added } = await this.classrooms.addCoTeacher(id, String(username ?? ''), user);
      return added ? `${teacher.username} now teaches this class too.` : `${teacher.username} teaches this class already.`;
    });
  }

  @Post(':id/teachers/:userId/remove')
  async removeTeacher(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Param('userId') userId: string, @Req() req: Request, @Res() res: Response) {
    await this.formAction(req, res, id, async () => {
      const teacher = await this.classrooms.removeTeacher(id, userId, user);
      return `${teacher.displayName ?? teacher.username} no longer teaches this class.`;
    });
  }

  /** Takes a student off the roster; their account and work stay. */
  @Post(':id/students/:userId/remove')
  async removeStudent(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Param('userId') userId: string, @Req() req: Request, @Res() res: Response) {
    const student = await this.classrooms.removeStudent(id, userId, user);
    setFlash(req, 'info', `Removed ${student.displayName ?? student.username} from the class. Their account and work are kept.`);
    res.redirect(303, `/classes/${id}`);
  }

  /** Shows the new password on the class page, once: rendered, not redirected, so it never sits in the session. */
  @Post(':id/students/:userId/reset-password')
  async resetPassword(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Param('userId') userId: string, @Req() req: Request, @Res() res: Response) {
    const { user: student, password } = await this.classrooms.resetStudentPassword(id, userId, user);
    const reset = { displayName: student.displayName ?? student.username, username: student.username, password };
    res.status(200).set('Cache-Control', 'no-store').render('classes/show', { ...(await this.page(id, user, req)), reset });
  }

  @Post(':id/join-code/regenerate')
  async regenerateJoinCode(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const classroom = await this.classrooms.regenerateJoinCode(id, user);
    setFlash(req, 'info', `The new join code is ${formatJoinCode(classroom.joinCode ?? '')}; the old one no longer works.`);
    res.redirect(303, `/classes/${id}`);
  }

  @Post(':id/join-code/:state')
  async setJoinCodeEnabled(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Param('state') state: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    if (state !== 'on' && state !== 'off') throw new BadRequestException('Turn the join code "on" or "off"');
    await this.classrooms.setJoinCodeEnabled(id, state === 'on', user);
    setFlash(req, 'info', state === 'on' ? 'Students can join with the code again.' : 'The join code is turned off: nobody can join or sign up with it.');
    res.redirect(303, `/classes/${id}`);
  }

  /** Step 1 of an import: the pasted or uploaded roster, line by line, as it would be imported. */
  @Post(':id/import')
  @UseInterceptors(RosterUploadInterceptor)
  async previewImport(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const csv = rosterTextOf(req);
    if (!csv.trim()) {
      setFlash(req, 'error', 'Paste the roster or choose a CSV file to import.');
      return res.redirect(303, `/classes/${id}#import`);
    }
    res.status(200).render('classes/import-preview', this.previewPage(await this.classrooms.previewRoster(id, csv, user), csv));
  }

  /**
   * Step 2: imports the previewed roster and shows the login cards, once (no-store; not in the session). The CSV of
   * the same cards is kept for one download within 10 minutes (LoginCardsStore).
   */
  @Post(':id/import/confirm')
  @UseInterceptors(RosterUploadInterceptor)
  async confirmImport(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Req() req: Request, @Res() res: Response) {
    const csv = rosterTextOf(req);
    let result;
    try {
      result = await this.classrooms.importRoster(id, csv, user);
    } catch (error) {
      if (!(error instanceof RosterImportRejected)) throw error;
      // Something changed since the preview: show the roster again with the reasons.
      return res.status(400).render('classes/import-preview', this.previewPage(await this.classrooms.previewRoster(id, csv, user), csv));
    }
    const classroom = await this.classrooms.detail(id, user);
    const portalUrl = portalUrlOf(req);
    let downloadUrl: string | null = null;
    if (result.created.length) {
      const file = { fileName: loginCardsFileName(classroom.name), csv: loginCardsToCsv(result.created, classroom.name, `${portalUrl}/login`) };
      downloadUrl = `/classes/${id}/login-cards/${await this.cards.put({ userId: user.id, classroomId: id }, file)}`;
    }
    res.status(201).set('Cache-Control', 'no-store').render('classes/cards', {
      title: `Login cards · ${classroom.name}`,
      styles: STYLES,
      classroom,
      created: result.created,
      enrolled: result.enrolled,
      loginUrl: `${portalUrl}/login`,
      downloadUrl,
      downloadMinutes: LOGIN_CARDS_TTL_SECONDS / 60,
    });
  }

  /** The login cards as CSV: once, for the teacher who imported, within 10 minutes; then 410. */
  @Get(':id/login-cards/:token')
  async downloadLoginCards(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Param('token') token: string, @Res() res: Response) {
    const file = await this.cards.take(token, { userId: user.id, classroomId: id });
    if (!file) {
      throw new GoneException(
        `This download of login cards was used already or is over ${LOGIN_CARDS_TTL_SECONDS / 60} minutes old. The passwords are not kept: reset a student's password from the class page if a card is lost.`,
      );
    }
    res
      .status(200)
      .set({ 'Cache-Control': 'no-store', 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${file.fileName}"` })
      .send(file.csv);
  }

  private async page(id: number, user: SessionUser, req: Request) {
    const classroom = await this.classrooms.detail(id, user);
    return {
      title: classroom.name,
      styles: STYLES,
      classroom,
      signupUrl: classroom.joinCode ? `${portalUrlOf(req)}/signup?code=${classroom.joinCode}` : null,
      canRemoveTeachers: classroom.canManage && classroom.teachers.length > 1,
    };
  }

  private previewPage(preview: RosterPreview, csv: string) {
    return { title: `Import a roster · ${preview.classroom.name}`, styles: STYLES, preview, csv, ok: preview.errors.length === 0 };
  }

  /** A class-page form: done → back with its message; a refused input (400/409) → back with the reason. */
  private async formAction(req: Request, res: Response, id: number, action: () => Promise<string>) {
    try {
      setFlash(req, 'info', await action());
    } catch (error) {
      if (!(error instanceof BadRequestException || error instanceof ConflictException)) throw error;
      setFlash(req, 'error', error.message);
    }
    res.redirect(303, `/classes/${id}`);
  }
}
