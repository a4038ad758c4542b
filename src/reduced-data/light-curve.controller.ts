import { BadRequestException, Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { fileNameOf, LIGHT_CURVE_VIEWS, LightCurveView, parseLightCurveView, seriesKeysFrom } from './light-curve-series';
import { PHOTOMETRY_CSV_FORMATS, PhotometryCsvFormat, photometryToCsv } from './photometry-csv.writer';
import { ReducedDataService } from './reduced-data.service';
import { ParseRowIdPipe } from '../common/request-parsing';

/** `?view=` (the JSON and the CSV) or `curve` (the page's form): mine, class or everyone; a 400 for anything else. */
export function viewFrom(raw: unknown): LightCurveView {
  const view = parseLightCurveView(raw);
  if (!view) throw new BadRequestException(`view must be one of ${LIGHT_CURVE_VIEWS.join(', ')}`);
  return view;
}

/** `?format=`: the portal's CSV layout (the default) or TOM Toolkit's (`tom`); a 400 for anything else. */
export function csvFormatFrom(raw: unknown): PhotometryCsvFormat {
  if (raw === undefined || raw === '') return 'portal';
  if (typeof raw === 'string' && (PHOTOMETRY_CSV_FORMATS as readonly string[]).includes(raw)) return raw as PhotometryCsvFormat;
  throw new BadRequestException(`format must be one of ${PHOTOMETRY_CSV_FORMATS.join(', ')}`);
}

/**
 * The target page's light curve: its JSON for public/js/light-curve.js, the CSV of what is shown, and deleting a
 * series. Target access is TargetsService.findVisible's; every point is filtered by the sharing policy in
 * ReducedDataService.
 */
@Controller('targets')
export class LightCurveController {
  constructor(
    private readonly targets: TargetsService,
    private readonly reducedData: ReducedDataService,
  ) {}

  /**
   * The light curve (see ReducedDataService.lightCurveJson) in a view. Its ETag is the curve's version for this
   * viewer and view: a browser asking again gets a 304 for the price of one grouped query.
   */
  @Get(':id/light-curve.json')
  async json(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query('view') rawView: unknown, @Req() req: Request, @Res() res: Response) {
    const view = viewFrom(rawView);
    const target = await this.targets.findVisible(id, user);
    const version = await this.reducedData.lightCurveVersion(target, user, view);
    const etag = (v: string) => `W/"light-curve-${target.id}-${view}-${v}"`;
    res.setHeader('Cache-Control', 'private, no-cache');
    if (req.headers['if-none-match'] === etag(version)) {
      res.setHeader('ETag', etag(version));
      res.status(304).end();
      return;
    }
    const curve = await this.reducedData.lightCurveJson(target, user, view, version);
    res.setHeader('ETag', etag(curve.version));
    res.type('application/json').send(curve.json);
  }

  /**
   * "Download CSV of what is shown": the points of the view's series (or of `?series=`), in the portal's layout or,
   * with `?format=tom`, TOM Toolkit's; both read back by the upload.
   */
  @Get(':id/light-curve.csv')
  async csv(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Query('view') rawView: unknown,
    @Query('series') rawSeries: unknown,
    @Query('format') rawFormat: unknown,
    @Res() res: Response,
  ) {
    const view = viewFrom(rawView);
    const format = csvFormatFrom(rawFormat);
    const target = await this.targets.findVisible(id, user);
    const points = await this.reducedData.exportPoints(target, user, view, seriesKeysFrom(rawSeries));
    res.attachment(`${fileNameOf(target.name)}_light_curve_${view}${format === 'tom' ? '_tom' : ''}.csv`);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.type('text/csv; charset=utf-8').send(photometryToCsv(points, format));
  }

  /** Deletes one series: its owner, their teacher or an admin (the policy's canChange); back to the chart's view. */
  @Post(':id/light-curve/series/delete')
  async deleteSeries(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Body('key') key: unknown,
    @Body('curve') rawView: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const view = parseLightCurveView(rawView) ?? 'mine';
    const target = await this.targets.findVisible(id, user);
    const { deleted, label } = await this.reducedData.deleteSeries(target, user, key);
    setFlash(req, 'info', `Deleted the series ${label} (${deleted} point${deleted === 1 ? '' : 's'}).`);
    res.redirect(303, `/targets/${target.id}?curve=${view}#light-curve`);
  }
}
