import { Controller, Get, Logger, Param, Res } from '@nestjs/common';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { ParseRowIdPipe } from '../common/request-parsing';
import { SessionUser } from '../users/user.entity';
import { ExportsService } from './exports.service';
import { sendZip } from './zip-stream';

/** The pages' zip downloads: a group's products and a run's outputs with its log (the API has its own doors). */
@Controller()
export class ExportsController {
  private readonly logger = new Logger('Exports');

  constructor(private readonly exports: ExportsService) {}

  /** The group page's "Download all (.zip)": 403/404 as the group page. */
  @Get('groups/:id/download')
  async group(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response): Promise<void> {
    const archive = await this.exports.groupArchive(id, user);
    await sendZip(res, archive.downloadName, archive.sources, this.logger);
  }

  /** The run page's "Outputs and log (.zip)": 403/404 as the run page. */
  @Get('pipeline/:id/outputs.zip')
  async run(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response): Promise<void> {
    const archive = await this.exports.runArchive(id, user);
    await sendZip(res, archive.downloadName, archive.sources, this.logger);
  }
}
