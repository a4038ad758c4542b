import type { Queue } from 'bull';

/** What a preview job carries: the product to make a thumbnail for. */
export interface PreviewJobData {
  productId: number;
}

/**
 * Queues thumbnail jobs. The job id is the product's, so a product queued twice (an upload and the boot-time
 * sweep for missing previews) is made once; finished jobs are removed so the id can be queued again later.
 */
export async function enqueuePreviews(queue: Queue, productIds: number[]): Promise<void> {
  if (!productIds.length) return;
  await queue.addBulk(
    productIds.map((productId) => ({
      data: { productId } satisfies PreviewJobData,
      opts: { jobId: `preview-${productId}`, removeOnComplete: true, removeOnFail: true, attempts: 2 },
    })),
  );
}

/** Product types that get a thumbnail: FITS images are rendered, ordinary images resized. */
export const PREVIEWABLE_TYPES = ['fits_image', 'image'];
