import { BadRequestException, Body, Controller, Get, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { formatDec, formatRa } from '../coordinates/coordinates';
import { parseShareChoice, ShareChoice, shareOptions, shareValue } from '../sharing/share-choice';
import { SessionUser } from '../users/user.entity';
import { ImportSharingRefused, TargetCsvService, TargetImportPreview, TargetImportRejected } from './target-csv.service';
import { TargetCsvUploadInterceptor, targetCsvTextOf } from './target-csv-upload.interceptor';
import { TargetImportLine } from './target-import-plan';
import { TargetsService } from './targets.service';

/** How many created targets the flash message names before "and N more". */
const NAMES_IN_MESSAGE = 10;

/**
 * The target import pages: /targets/import (a CSV in TOM Toolkit's format, uploaded or pasted, and who may see the
 * targets), its preview line by line, and the confirmation, all or nothing. Registered before TargetsController,
 * whose `POST /targets/:id` would otherwise take "import". Thin: every rule is TargetCsvService's.
 */
@Controller('targets')
export class TargetImportController {
  constructor(
    private readonly csv: TargetCsvService,
    private readonly targets: TargetsService,
  ) {}

  @Get('import')
  async form(@CurrentUser() user: SessionUser, @Res() res: Response) {
    res.render('targets/import', await this.formModel(user, { visibility: 'private' }));
  }

  /** Step 1: the file, line by line, as it would be imported. Writes nothing. */
  @Post('import')
  @UseInterceptors(TargetCsvUploadInterceptor)
  async preview(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const text = targetCsvTextOf(req);
    try {
      const preview = await this.csv.preview(text, user, { visibility: body.visibility });
      res.status(200).render('targets/import-preview', this.previewModel(preview, text));
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      res.status(400).render('targets/import', await this.formModel(user, body, text, error));
    }
  }

  /** Step 2: creates the previewed targets, or shows the file again with every bad line (400) and creates none. */
  @Post('import/confirm')
  @UseInterceptors(TargetCsvUploadInterceptor)
  async confirm(@CurrentUser() user: SessionUser, @Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    const text = targetCsvTextOf(req);
    try {
      const result = await this.csv.import(text, user, { visibility: body.visibility });
      const names = result.created.map((target) => target.name);
      const listed = names.slice(0, NAMES_IN_MESSAGE).join(', ') + (names.length > NAMES_IN_MESSAGE ? ` and ${names.length - NAMES_IN_MESSAGE} more` : '');
      setFlash(req, 'info', `Imported ${names.length} target${names.length === 1 ? '' : 's'}, shared with ${result.shareLabel}: ${listed}.`);
      res.redirect(303, '/targets');
    } catch (error) {
      if (error instanceof TargetImportRejected) {
        // Something changed since the preview (or the file was not previewed): show it again with the reasons.
        return res.status(400).render('targets/import-preview', this.previewModel(await this.csv.preview(text, user, { visibility: body.visibility }), text));
      }
      if (!(error instanceof BadRequestException)) throw error;
      res.status(400).render('targets/import', await this.formModel(user, body, text, error));
    }
  }

  private async formModel(user: SessionUser, body: Record<string, unknown>, csv = '', error?: BadRequestException) {
    const share = parseShareChoice(body.visibility || 'private');
    const current: ShareChoice | null = 'choice' in share ? share.choice : null;
    const classes = await this.targets.classChoices(user);
    const currentClass = current?.visibility === 'class' ? await this.targets.className(current.classroomId) : null;
    return {
      title: 'Import targets',
      csv,
      shareOptions: shareOptions(classes, current, currentClass),
      visibilityError: error instanceof ImportSharingRefused ? error.reason : null,
      error: error && !(error instanceof ImportSharingRefused) ? error.message : null,
    };
  }

  private previewModel(preview: TargetImportPreview, csv: string) {
    return {
      title: 'Import targets: preview',
      csv,
      ok: preview.errors.length === 0,
      preview,
      visibility: shareValue(preview.share),
      lines: preview.lines.map(lineView),
    };
  }
}

/** A line of the preview as the table shows it. */
function lineView(line: TargetImportLine) {
  if (line.kind === 'error') return { line: line.line, kind: line.kind, name: line.name, reason: line.reason };
  const { fields } = line;
  const place = (value: number | null, format: (degrees: number) => string) => (value === null ? '' : format(value));
  return {
    line: line.line,
    kind: line.kind,
    name: fields.name,
    type: fields.type === 'non_sidereal' ? `non-sidereal${fields.scheme ? ` (${fields.scheme})` : ''}` : 'sidereal',
    ra: place(fields.ra, formatRa),
    dec: place(fields.dec, formatDec),
    aliases: fields.aliases.join(', '),
    extra: Object.entries(fields.extra).map(([key, value]) => `${key} = ${value}`),
    elements: Object.keys(fields.elements).length,
  };
}
