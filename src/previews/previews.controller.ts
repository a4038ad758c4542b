import { BadRequestException, Controller, Get, NotFoundException, Param, Query, Res, UnprocessableEntityException } from '@nestjs/common';
import { Response } from 'express';
import { CurrentUser } from '../auth/auth.decorators';
import { DataProductsService } from '../data-products/data-products.service';
import { FitsError } from '../fits';
import { FileStorageService } from '../storage/file-storage.service';
import { SessionUser } from '../users/user.entity';
import { isMappingName, isStretchName, MAPPINGS, STRETCHES } from '../imaging/fits-rendering';
import { PreviewsService } from './previews.service';
import { integerParam, numberParam, ParseRowIdPipe } from '../common/request-parsing';

const MAX_PREVIEW_SIDE = 2048;
const PIXEL_RANGE = { min: -1e9, max: 1e9 };

@Controller('data-products/:id')
export class PreviewsController {
  constructor(
    private readonly products: DataProductsService,
    private readonly previews: PreviewsService,
    private readonly storage: FileStorageService,
  ) {}

  /** The thumbnail made by the worker; 404 while it is pending or when none could be made. */
  @Get('thumbnail.png')
  async thumbnail(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Res() res: Response) {
    const product = await this.products.findVisible(id, user);
    if (!product.thumbnailPath) throw new NotFoundException(product.previewError ?? 'The preview is still being made');
    res.sendFile(this.storage.resolve(product.thumbnailPath), { headers: { 'Cache-Control': 'private, max-age=86400' } });
  }

  /** A larger preview with a chosen stretch, rendered on demand from the FITS file. */
  @Get('preview.png')
  async preview(
    @CurrentUser() user: SessionUser,
    @Param('id', ParseRowIdPipe) id: number,
    @Query('stretch') stretch = 'zscale',
    @Query('mapping') mapping = 'linear',
    @Query('size') size: unknown,
    @Res() res: Response,
  ) {
    if (!isStretchName(stretch)) throw new BadRequestException(`stretch must be one of ${STRETCHES.join(', ')}`);
    if (!isMappingName(mapping)) throw new BadRequestException(`mapping must be one of ${MAPPINGS.join(', ')}`);
    const maxSide = integerParam(size, 'size', { min: 16, max: MAX_PREVIEW_SIDE }, 1024);
    const product = await this.fitsProduct(id, user);
    const png = await this.readable(product, () => this.previews.renderPreview(product, { stretch, mapping, maxSide }));
    res.type('png').set('Cache-Control', 'private, max-age=3600').send(png);
  }

  /** The pixel value under the pointer (FITS 1-based x, y) and its RA/Dec when the image has a celestial WCS. */
  @Get('pixel')
  async pixel(@CurrentUser() user: SessionUser, @Param('id', ParseRowIdPipe) id: number, @Query('x') x: unknown, @Query('y') y: unknown) {
    // FITS pixels, 1-based; far outside the image is allowed (no value there), absurd is not.
    const px = numberParam(x, 'x', PIXEL_RANGE);
    const py = numberParam(y, 'y', PIXEL_RANGE);
    const product = await this.fitsProduct(id, user);
    return this.readable(product, () => this.previews.pixelAt(product, px, py));
  }

  private async fitsProduct(id: number, user: SessionUser) {
    const product = await this.products.findVisible(id, user);
    if (!PreviewsService.isFits(product)) throw new NotFoundException('This data product is not a FITS image');
    return product;
  }

  /**
   * A file that is not a readable image is the client's problem to hear about, not a server error: 422 for one over
   * the preview budget, 400 for a broken one, named by its uploaded name (never the storage name).
   */
  private async readable<T>(product: { originalName: string }, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const tooLarge = PreviewsService.tooLargeMessage(error);
      if (tooLarge) throw new UnprocessableEntityException(`${product.originalName}: ${tooLarge}`);
      if (error instanceof FitsError) throw new BadRequestException(`No preview: ${product.originalName}: ${error.reason}${error.hdu !== undefined ? ` (HDU ${error.hdu})` : ''}`);
      throw error;
    }
  }
}
