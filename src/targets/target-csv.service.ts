import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { CsvProblem } from '../common/csv-reader';
import { parseShareChoice, ShareChoice } from '../sharing/share-choice';
import { sharingLabel, sharingProblem } from '../sharing/sharing-request';
import { SessionUser } from '../users/user.entity';
import { readTargetsCsv, targetsToCsv } from './target-csv';
import { claimedNames, importErrors, planTargetImport, TargetImportLine } from './target-import-plan';
import { Target } from './target.entity';
import { TargetSearch, TargetsService } from './targets.service';

/** Some 2 MiB of text: over TARGET_IMPORT_MAX_ROWS lines of a wide TOM export. */
export const TARGET_IMPORT_MAX_CHARS = 2_200_000;

/** Who may see the imported targets, as a form or the API sends it: `visibility` (private, class, public or class:<id>) and `classroomId`. */
export interface ImportSharingRequest {
  visibility?: unknown;
  classroomId?: unknown;
}

export interface TargetImportPreview {
  /** Every line with a target or a problem, in the file's order. */
  lines: TargetImportLine[];
  /** The lines that stop the import; empty when it can go ahead. */
  errors: CsvProblem[];
  counts: { create: number; error: number };
  /** Header columns not used (TOM's id, created, modified). */
  ignoredColumns: string[];
  /** The extra fields the file's columns make. */
  extraColumns: string[];
  share: ShareChoice;
  /** Whom the targets will be shared with, in words. */
  shareLabel: string;
}

export interface TargetImportResult {
  created: Array<{ line: number; id: number; name: string }>;
  share: ShareChoice;
  shareLabel: string;
}

/** A file with bad lines: 400 with `details: [{ line, reason }]`; nothing was created. */
export class TargetImportRejected extends BadRequestException {
  constructor(readonly details: CsvProblem[]) {
    super({
      message: `The file has ${details.length} problem${details.length === 1 ? '' : 's'}; nothing was imported. Fix the lines below and try again.`,
      details,
    });
  }
}

/** A sharing the importer may not give (a class they are not in), or one that cannot be read: 400 naming the field. */
export class ImportSharingRefused extends BadRequestException {
  constructor(readonly reason: string) {
    super({ message: reason, errors: { visibility: [reason] } });
  }
}

/**
 * Targets in and out as CSV in TOM Toolkit's format (target-csv.ts): the import, previewed line by line and then
 * all or nothing in one transaction, and the export of a search. The import asks what the target form asks: the
 * form's parser for every line, names and aliases unique whatever their case, and a sharing the importer may give.
 */
@Injectable()
export class TargetCsvService {
  constructor(
    private readonly targets: TargetsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** The sharing the request names, if `user` may give it; ImportSharingRefused otherwise. Default: private. */
  async sharing(user: SessionUser, request: ImportSharingRequest): Promise<ShareChoice> {
    const given = (value: unknown) => value !== undefined && value !== null && value !== '';
    // A class alone means "share with that class", as PATCH /api/targets/:id reads it.
    const visibility = given(request.visibility) ? request.visibility : given(request.classroomId) ? 'class' : 'private';
    const parsed = parseShareChoice(visibility, request.classroomId);
    if ('error' in parsed) throw new ImportSharingRefused(parsed.error);
    const problem = await sharingProblem(this.dataSource.manager, user, parsed.choice);
    if (problem) throw new ImportSharingRefused(problem);
    return parsed.choice;
  }

  /** What importing this file would do, line by line, with this sharing; writes nothing. */
  async preview(csvText: string, user: SessionUser, request: ImportSharingRequest): Promise<TargetImportPreview> {
    if (typeof csvText !== 'string' || !csvText.trim()) throw new BadRequestException('Choose a CSV file of targets (or paste one) to import');
    if (csvText.length > TARGET_IMPORT_MAX_CHARS) throw new BadRequestException('The file is too long; split it into several files');
    const share = await this.sharing(user, request);
    const reading = readTargetsCsv(csvText, share);
    const lines = planTargetImport(reading, await this.takenNames(claimedNames(reading)));
    return {
      lines,
      errors: importErrors(lines),
      counts: { create: lines.filter((line) => line.kind === 'create').length, error: lines.filter((line) => line.kind === 'error').length },
      ignoredColumns: reading.ignoredColumns,
      extraColumns: reading.extraColumns,
      share,
      shareLabel: await sharingLabel(this.dataSource.manager, share),
    };
  }

  /**
   * Creates every target of the file, owned by `user` and shared as requested, in one transaction; any bad line
   * refuses the whole file (TargetImportRejected, every line's reason) and nothing is written.
   */
  async import(csvText: string, user: SessionUser, request: ImportSharingRequest): Promise<TargetImportResult> {
    const preview = await this.preview(csvText, user, request);
    if (preview.errors.length) throw new TargetImportRejected(preview.errors);
    const creates = preview.lines.filter((line): line is Extract<TargetImportLine, { kind: 'create' }> => line.kind === 'create');
    let ids: number[];
    try {
      ids = await this.dataSource.transaction(async (manager) => {
        const result = await manager.getRepository(Target).insert(creates.map((line) => ({ ...line.fields, ownerId: user.id })));
        return result.identifiers.map((identifier) => Number(identifier.id));
      });
    } catch (error) {
      // Another target took one of the names between the preview and now (the unique index on lower(name)).
      if (!(error instanceof QueryFailedError) || (error as QueryFailedError & { driverError?: { code?: string } }).driverError?.code !== '23505') throw error;
      const again = await this.preview(csvText, user, request);
      throw new TargetImportRejected(again.errors.length ? again.errors : [{ line: creates[0].line, reason: 'a name of this file was just taken by another target; import again' }]);
    }
    return { created: creates.map((line, index) => ({ line: line.line, id: ids[index], name: line.name })), share: preview.share, shareLabel: preview.shareLabel };
  }

  /** Every target `user` may see that the search finds (all of them, not a page), as CSV, in the search's order. */
  async export(user: SessionUser, search: TargetSearch): Promise<string> {
    const { items } = await this.targets.searchPage(user, search, { limit: null, offset: 0 });
    return targetsToCsv(items.map(({ target }) => target));
  }

  /** Which of `names` (lowercased) a target has as its name or an alias, whoever may see it (as the form checks). */
  private async takenNames(names: string[]): Promise<Set<string>> {
    if (!names.length) return new Set();
    const rows: Array<{ name: string }> = await this.dataSource.query(
      `SELECT DISTINCT lower(n) AS name FROM targets t CROSS JOIN LATERAL unnest(array_append(t.aliases, t.name::text)) AS n WHERE lower(n) = ANY($1::text[])`,
      [names],
    );
    return new Set(rows.map((row) => row.name));
  }
}
