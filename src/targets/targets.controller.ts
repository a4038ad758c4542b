import { BadRequestException, Body, Controller, Get, Param, Post, Query, Render, Res } from '@nestjs/common';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { pageUrl, pageView, parsePageRequest } from '../common/paging';
import { CoordinateError, parseDec, parseRa, parseRadius } from '../coordinates/coordinates';
import { parseShareChoice, shareOptions } from '../sharing/share-choice';
import { SessionUser } from '../users/user.entity';
import { parseTargetForm, sexagesimal, TargetFields, TargetFormBody, targetToForm } from './dto/target-form';
import { NON_SIDEREAL_SCHEMES, Target } from './target.entity';
import { TargetCsvService } from './target-csv.service';
import { TargetSearch, TargetsService } from './targets.service';
import { optionalRowIdParam, ParseRowIdPipe } from '../common/request-parsing';
import { UNREAD_COUNT_LOCAL } from '../notifications/unread-count';

interface SearchQuery {
  q?: string;
  ra?: string;
  dec?: string;
  radius?: string;
  list?: string;
  limit?: string;
  offset?: string;
}

/** Targets per page of /targets, and the most one page may ask for. */
export const TARGETS_PER_PAGE = 50;
export const MAX_TARGETS_PER_PAGE = 200;

@Controller('targets')
export class TargetsController {
  constructor(
    private readonly targets: TargetsService,
    private readonly csv: TargetCsvService,
  ) {}

  @Get()
  @Render('targets/index')
  async index(@CurrentUser() user: SessionUser, @Query() query: SearchQuery) {
    const paging = parsePageRequest({ ...query }, TARGETS_PER_PAGE, MAX_TARGETS_PER_PAGE);
    const { search, coneErrors, filters } = await this.readSearch(query);
    // The lists and the bell's count come in the search's statement (one round trip for the page's data).
    const { items, total, extras } = Object.keys(coneErrors).length
      ? { items: [], total: 0, extras: undefined }
      : await this.targets.searchPage(user, search, paging, { pageExtras: true });
    const lists = extras?.lists ?? (await this.targets.allLists(user));
    return {
      title: 'Targets',
      query,
      coneErrors,
      lists,
      currentList: lists.find((list) => list.id === search.listId),
      results: items.map(({ target, distance }) => ({ target, distance, sexagesimal: sexagesimal(target) })),
      limit: paging.limit,
      pager: pageView('/targets', filters, { ...paging, total, shown: items.length }, TARGETS_PER_PAGE, { one: 'target', many: 'targets' }),
      // The same search, every page of it, as CSV (TOM Toolkit's format; target-csv.ts).
      exportUrl: Object.keys(coneErrors).length ? null : pageUrl('/targets/export.csv', filters, { limit: TARGETS_PER_PAGE, offset: 0 }, TARGETS_PER_PAGE),
      ...(extras ? { [UNREAD_COUNT_LOCAL]: extras.unreadNotifications } : {}),
    };
  }

  /**
   * Every target the search of /targets finds that the user may see, all pages, as a CSV file in TOM Toolkit's
   * format (the target import reads it back). A cone that cannot be read is a 400 naming the value.
   */
  @Get('export.csv')
  async exportCsv(@CurrentUser() user: SessionUser, @Query() query: SearchQuery, @Res() res: Response) {
    const { search, coneErrors } = await this.readSearch(query);
    const [problem] = Object.values(coneErrors);
    if (problem) throw new BadRequestException(problem);
    const csv = await this.csv.export(user, search);
    res.status(200).type('text/csv; charset=utf-8').attachment('targets.csv').send(csv);
  }

  /** The search of /targets from its query: name or alias, cone (with a message per value it cannot read), list. */
  private async readSearch(query: SearchQuery) {
    const search: TargetSearch = { text: query.q?.trim() || undefined };
    const coneErrors: Record<string, string> = {};
    if (query.ra || query.dec || query.radius) {
      const read = (field: 'ra' | 'dec' | 'radius', parse: (text: string) => number) => {
        try {
          return parse(query[field] ?? '');
        } catch (error) {
          coneErrors[field] = error instanceof CoordinateError ? error.message : 'Cannot read this value';
          return NaN;
        }
      };
      const cone = { ra: read('ra', parseRa), dec: read('dec', parseDec), radius: read('radius', parseRadius) };
      if (!Object.keys(coneErrors).length) search.cone = cone;
    }
    const listId = optionalRowIdParam(query.list, 'list');
    if (listId !== undefined) search.listId = (await this.targets.findList(listId)).id;
    // The prev/next and export links keep the search: text, cone and list, as they were typed.
    const filters = { q: query.q?.trim(), ra: query.ra?.trim(), dec: query.dec?.trim(), radius: query.radius?.trim(), list: search.listId };
    return { search, coneErrors, filters };
  }

  @Get('new')
  @Render('targets/form')
  async newForm(@CurrentUser() user: SessionUser) {
    return this.formModel(user, { type: 'sidereal', visibility: 'private', epoch: '2000' }, {}, null);
  }

  @Post()
  async create(@CurrentUser() user: SessionUser, @Body() body: TargetFormBody, @Res() res: Response) {
    const { fields, errors } = parseTargetForm(body);
    await this.checkFields(user, fields, errors, null);
    if (Object.keys(errors).length) return res.status(400).render('targets/form', await this.formModel(user, body, errors, null));
    const target = await this.targets.create(fields, user);
    res.redirect(303, `/targets/${target.id}`);
  }

  @Get(':id/edit')
  @Render('targets/form')
  async editForm(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const target = await this.targets.findEditable(id, user);
    return this.formModel(user, targetToForm(target), {}, target);
  }

  @Post(':id')
  async update(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Body() body: TargetFormBody,
    @Res() res: Response,
  ) {
    const target = await this.targets.findEditable(id, user);
    const { fields, errors } = parseTargetForm(body);
    await this.checkFields(user, fields, errors, target);
    if (Object.keys(errors).length) return res.status(400).render('targets/form', await this.formModel(user, body, errors, target));
    await this.targets.update(target, fields);
    res.redirect(303, `/targets/${target.id}`);
  }

  @Post(':id/delete')
  async remove(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const target = await this.targets.findEditable(id, user);
    await this.targets.remove(target);
    res.redirect(303, '/targets');
  }

  /** Adds name clashes and sharing problems (a class the user is not in, or none) to `errors`. */
  private async checkFields(user: SessionUser, fields: TargetFields, errors: Record<string, string>, target: Target | null): Promise<void> {
    if (!errors.name) Object.assign(errors, await this.targets.nameClashes(fields, target?.id));
    if (errors.visibility) return;
    const problem = await this.targets.sharingProblem(user, fields, target ?? undefined);
    if (problem) errors.visibility = problem;
  }

  private async formModel(user: SessionUser, form: TargetFormBody, errors: Record<string, string>, target: Target | null) {
    const share = parseShareChoice(form.visibility || 'private', form.classroomId);
    const current = 'choice' in share ? share.choice : null;
    const classes = await this.targets.classChoices(user);
    const currentClass = current?.visibility === 'class' ? await this.targets.className(current.classroomId) : null;
    return {
      title: target ? `Edit ${form.name}` : 'New target',
      form,
      errors,
      targetId: target?.id ?? null,
      schemes: NON_SIDEREAL_SCHEMES,
      isNonSidereal: form.type === 'non_sidereal',
      shareOptions: shareOptions(classes, current, currentClass),
    };
  }
}
