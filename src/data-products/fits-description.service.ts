import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { checkImageBudget, equatorialWcs, findImageHdu, FitsError, FitsTooLargeError, imageBudget, imageHeaderOf, isFitsFileName, noRaDecReason, parseWcs, readFitsHeaders } from '../fits';
import { DataProduct } from './data-product.entity';
import { DataProductsService } from './data-products.service';

export interface FitsImageFacts {
  width: number;
  height: number;
  celestial: boolean;
  wcsNote: string | null;
  /** Set when the image is over the preview budget: the page shows this instead of an image that cannot load. */
  tooLargeToPreview: string | null;
}

export interface FitsDescription {
  hdus: Array<{ index: number; type: string; bitpix: number; shape: string; cards: string }>;
  /** The header could not be read: what the reader said (no paths). */
  fitsError: string | null;
  image: FitsImageFacts | null;
}

/** What a product page shows of a FITS file: its headers and, for an image, its size and whether it can be previewed. */
@Injectable()
export class FitsDescriptionService {
  constructor(
    private readonly products: DataProductsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async describe(product: DataProduct): Promise<FitsDescription> {
    const description: FitsDescription = { hdus: [], fitsError: null, image: null };
    if (product.productType !== 'fits_image' && !isFitsFileName(product.originalName)) return description;
    try {
      const headers = await readFitsHeaders(this.products.absolutePath(product), { fileName: product.originalName });
      const imageHdu = findImageHdu(headers);
      if (imageHdu) {
        const { shape, cards } = imageHeaderOf(imageHdu);
        const wcs = parseWcs(cards);
        description.image = {
          width: shape[0],
          height: shape[1] ?? 1,
          celestial: Boolean(equatorialWcs(wcs)),
          wcsNote: noRaDecReason(wcs),
          tooLargeToPreview: this.previewRefusal(imageHdu, product.originalName),
        };
      }
      description.hdus = headers.map((hdu) => ({
        index: hdu.index,
        type: hdu.type,
        bitpix: hdu.bitpix,
        shape: hdu.naxis.join(' × '),
        cards: hdu.cards.map((card) => card.raw.trimEnd()).join('\n'),
      }));
    } catch (error) {
      description.fitsError = error instanceof FitsError ? error.message : 'The FITS header could not be read';
    }
    return description;
  }

  /** The preview's own budget rule (PREVIEW_MAX_PIXELS), from the header: why no preview can be made, or null. */
  private previewRefusal(hdu: Parameters<typeof checkImageBudget>[0], fileName: string): string | null {
    try {
      checkImageBudget(hdu, fileName, imageBudget({ maxPixels: this.config.previewMaxPixels }));
      return null;
    } catch (error) {
      if (!(error instanceof FitsTooLargeError)) throw error;
      const reason = error.tooLargeTo('preview');
      return `${reason[0].toUpperCase()}${reason.slice(1)}: download the file to open it in a FITS viewer.`;
    }
  }
}
