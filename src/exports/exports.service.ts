import { Readable } from 'node:stream';
import { Injectable, NotFoundException } from '@nestjs/common';
import { DataProduct } from '../data-products/data-product.entity';
import { DataProductsService } from '../data-products/data-products.service';
import { GroupsService } from '../groups/groups.service';
import { PipelineLogService } from '../pipeline-runs/pipeline-log.service';
import { PipelineRunsService } from '../pipeline-runs/pipeline-runs.service';
import { SessionUser } from '../users/user.entity';
import { uniqueEntryNames, zipDownloadName } from './zip-names';
import { ZipSource } from './zip-stream';

/** What a zip download holds: its file name and its entries, in order. */
export interface ZipArchive {
  downloadName: string;
  sources: ZipSource[];
}

/** The run's log inside its outputs' zip. */
export const RUN_LOG_ENTRY = 'log.txt';

/**
 * What the zip downloads hold, decided by the one sharing policy: a group's products through
 * GroupsService.findForViewer (the group must be visible, 403/404 as its page, and only the products in it the
 * viewer may see), a run's through PipelineRunsService.findVisible (403/404 as its page) and each product of its
 * output group through DataProductsService.canView. Entries carry the uploaded names, made distinct (zip-names.ts).
 * An empty group gives a valid empty zip.
 */
@Injectable()
export class ExportsService {
  constructor(
    private readonly groups: GroupsService,
    private readonly products: DataProductsService,
    private readonly runs: PipelineRunsService,
    private readonly logs: PipelineLogService,
  ) {}

  /** The products of a group that `user` may see, under their uploaded names. */
  async groupArchive(groupId: number, user: SessionUser): Promise<ZipArchive> {
    const group = await this.groups.findForViewer(groupId, user);
    return { downloadName: zipDownloadName(group.name), sources: this.productSources(group.products) };
  }

  /**
   * A run's outputs that `user` may see (the products of its output group) and its whole log as log.txt, read a
   * page at a time by the log's own reader while the zip is sent.
   */
  async runArchive(runId: number, user: SessionUser): Promise<ZipArchive> {
    const run = await this.runs.findVisible(runId, user);
    const outputs = run.outputGroupId ? await this.visibleProductsOf(run.outputGroupId, user) : [];
    const log: ZipSource = {
      name: RUN_LOG_ENTRY,
      mtime: run.finishedAt ?? new Date(),
      open: () => Readable.from(logBytes(this.logs.text(run.id)), { objectMode: false }),
    };
    return { downloadName: zipDownloadName(`${run.identifier}_outputs`), sources: [...this.productSources(outputs, [RUN_LOG_ENTRY]), log] };
  }

  /** The products of a group that `user` may see, whoever may see the group itself (a run's output group). */
  private async visibleProductsOf(groupId: number, user: SessionUser): Promise<DataProduct[]> {
    try {
      const group = await this.groups.find(groupId);
      return group.products
        .filter((product) => DataProductsService.canView(user, product))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);
    } catch (error) {
      // The group was deleted since the run was read: the run has no outputs left to give.
      if (error instanceof NotFoundException) return [];
      throw error;
    }
  }

  private productSources(products: DataProduct[], reserved: string[] = []): ZipSource[] {
    const names = uniqueEntryNames(products.map((product) => product.originalName), reserved);
    return products.map((product, i) => ({ name: names[i], path: this.products.absolutePath(product), mtime: product.createdAt }));
  }
}

/** The log reader's text as UTF-8 bytes, which the zip's deflate and checksum take. */
async function* logBytes(text: AsyncIterable<string>): AsyncGenerator<Buffer> {
  for await (const chunk of text) yield Buffer.from(chunk, 'utf8');
}
