/**
 * Writes photometry points as CSV that the portal's own reader (photometry-csv.reader.ts) and spreadsheets read
 * back: a header row, ISO 8601 times in UTC, the MJD for plotting tools, and fields quoted only when needed.
 */

export interface ExportedPoint {
  timestamp: Date;
  magnitude: number;
  error: number | null;
  filter: string;
  source: string;
}

export const PHOTOMETRY_CSV_HEADER = 'time,mjd,magnitude,error,filter,source';

const MJD_EPOCH_MS = Date.UTC(1858, 10, 17);

function field(value: string): string {
  // A leading = + - @ would be a formula in a spreadsheet; a quote-prefixed apostrophe keeps it text.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function photometryToCsv(points: ExportedPoint[]): string {
  const lines = [PHOTOMETRY_CSV_HEADER];
  for (const point of points) {
    const mjd = (point.timestamp.getTime() - MJD_EPOCH_MS) / 86_400_000;
    lines.push(
      [
        point.timestamp.toISOString(),
        mjd.toFixed(8),
        String(point.magnitude),
        point.error === null ? '' : String(point.error),
        field(point.filter),
        field(point.source),
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}
