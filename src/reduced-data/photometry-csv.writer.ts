/**
 * Writes photometry points as CSV that the portal's own reader (photometry-csv.reader.ts) and spreadsheets read
 * back: a header row, ISO 8601 times in UTC, the MJD for plotting tools, and cells written by the portal's one
 * CSV writer (formula-safe, quoted only when needed).
 */
import { toCsv } from '../common/csv-writer';

export interface ExportedPoint {
  timestamp: Date;
  magnitude: number;
  error: number | null;
  filter: string;
  source: string;
}

export const PHOTOMETRY_CSV_COLUMNS = ['time', 'mjd', 'magnitude', 'error', 'filter', 'source'] as const;
export const PHOTOMETRY_CSV_HEADER = PHOTOMETRY_CSV_COLUMNS.join(',');

const MJD_EPOCH_MS = Date.UTC(1858, 10, 17);

export function photometryToCsv(points: ExportedPoint[]): string {
  return toCsv(
    PHOTOMETRY_CSV_COLUMNS,
    points.map((point) => [
      point.timestamp.toISOString(),
      ((point.timestamp.getTime() - MJD_EPOCH_MS) / 86_400_000).toFixed(8),
      point.magnitude,
      point.error,
      point.filter,
      point.source,
    ]),
  );
}
