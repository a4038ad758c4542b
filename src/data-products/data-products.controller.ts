import { Body, Controller, Get, NotFoundException, Param, Post, Render, Req, Res, UseInterceptors } from '@nestjs/common';
import { Request, Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { setFlash } from '../common/flash';
import { MAPPINGS, STRETCHES } from '../imaging/fits-rendering';
import { shareOptions } from '../sharing/share-choice';
import { storedSuffix } from '../storage/file-storage.service';
import { productMediaType } from '../storage/media-types';
import { canViewTarget } from '../targets/target-access';
import { TargetsService } from '../targets/targets.service';
import { SessionUser } from '../users/user.entity';
import { DataProductsService, IngestResult } from './data-products.service';
import { FitsDescriptionService } from './fits-description.service';
import { shareChoiceOf } from './dto/share-input';
import { UploadInterceptor } from './upload.interceptor';
import { ParseRowIdPipe } from '../common/request-parsing';

const INLINE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.mp4': 'video/mp4',
};

function summary(result: IngestResult): string {
  const parts = [`Uploaded ${result.created.length} file${result.created.length === 1 ? '' : 's'}.`];
  if (result.duplicates.length) {
    parts.push(`${result.duplicates.length} identical to files already here: ${result.duplicates.map((p) => p.originalName).join(', ')}.`);
  }
  if (result.pointsAdded || result.pointsSkipped) {
    parts.push(`${result.pointsAdded} photometry point(s) added, ${result.pointsSkipped} already present.`);
  }
  return parts.join(' ');
}

@Controller()
export class DataProductsController {
  constructor(
    private readonly products: DataProductsService,
    private readonly targets: TargetsService,
    private readonly fitsDescriptions: FitsDescriptionService,
  ) {}

  /** Multipart upload; the CSRF token comes in the query string (see common/csrf.ts). */
  @Post('targets/:id/data-products')
  @UseInterceptors(UploadInterceptor)
  async upload(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) targetId: number,
    @Body('productType') productType: string,
    @Body('visibility') visibility: unknown,
    @Body('classroomId') classroomId: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const target = await this.targets.findVisible(targetId, user);
    const files = ((req.files as Express.Multer.File[] | undefined) ?? []).map((file) => ({
      path: file.path,
      originalName: file.originalname,
      size: file.size,
    }));
    const result = await this.products.ingest(target, files, productType, user, shareChoiceOf(visibility, classroomId, true));
    const next = `/targets/${target.id}#data`;
    if (req.accepts(['html', 'json']) === 'json') {
      const answer = {
        created: result.created.map((p) => ({ id: p.id, name: p.originalName, sha256: p.sha256, size: p.size })),
        duplicates: result.duplicates.map((p) => ({ id: p.id, name: p.originalName })),
        pointsAdded: result.pointsAdded,
        pointsSkipped: result.pointsSkipped,
      };
      // The page's own upload script (public/js/upload-progress.js) asks for JSON to show the progress, then goes
      // where the form would have gone: the message is set for that page, as for the form.
      if (req.get('X-Requested-With') !== 'XMLHttpRequest') return res.status(201).json(answer);
      setFlash(req, 'info', summary(result));
      return res.status(201).json({ ...answer, redirect: next });
    }
    setFlash(req, 'info', summary(result));
    res.redirect(303, next);
  }

  @Get('data-products/:id')
  @Render('data-products/show')
  async show(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number) {
    const product = await this.products.findVisible(id, user);
    const { hdus, fitsError, image } = await this.fitsDescriptions.describe(product);
    const canChange = DataProductsService.canChange(user, product);
    const className = await this.targets.className(product.visibility === 'class' ? product.classroomId : null);
    return {
      title: product.originalName,
      product,
      target: product.target,
      // A product may be shared more widely than its target: then the target is neither named nor linked.
      targetVisible: canViewTarget(user, product.target),
      owner: product.uploadedBy ? (product.uploadedBy.displayName ?? product.uploadedBy.username) : null,
      className,
      hdus,
      fitsError,
      image,
      stretches: STRETCHES,
      mappings: MAPPINGS,
      canChange,
      shareOptions: canChange ? shareOptions(await this.targets.classChoices(user), product, className) : [],
    };
  }

  /** The product page's "Sharing" form: private, a class of the user's, or public. */
  @Post('data-products/:id/sharing')
  async share(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Body('visibility') visibility: unknown,
    @Body('classroomId') classroomId: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const product = await this.products.findVisible(id, user);
    const shared = await this.products.setSharing(product, user, shareChoiceOf(visibility, classroomId));
    const className = await this.targets.className(shared.classroomId);
    const whom = shared.visibility === 'class' ? `the class ${className}` : shared.visibility === 'public' ? 'everyone logged in' : 'its owner and their teachers';
    setFlash(req, 'info', `${shared.originalName} is now shared with ${whom}.`);
    res.redirect(303, `/data-products/${shared.id}`);
  }

  @Get('data-products/:id/download')
  async download(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const product = await this.products.findVisible(id, user);
    res.download(this.products.absolutePath(product), product.originalName, {
      // The same type as the API's download (one table), not express's guess from the stored name.
      headers: { 'Content-Type': productMediaType(product.storedPath), 'X-Content-SHA256': product.sha256 },
      dotfiles: 'allow',
    });
  }

  /** Images and videos (timelapses, PNG previews) shown in the page itself rather than downloaded. */
  @Get('data-products/:id/view')
  async view(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const product = await this.products.findVisible(id, user);
    const type = INLINE_TYPES[storedSuffix(product.storedPath)];
    if (!type) throw new NotFoundException('Only images and videos can be shown in the page; download the file instead');
    res.type(type).sendFile(this.products.absolutePath(product), { headers: { 'Cache-Control': 'private, max-age=86400' }, dotfiles: 'allow' });
  }

  @Post('data-products/:id/delete')
  async remove(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const product = await this.products.findVisible(id, user);
    await this.products.remove(product, user);
    setFlash(req, 'info', `Deleted ${product.originalName}.`);
    res.redirect(303, `/targets/${product.targetId}#data`);
  }
}
