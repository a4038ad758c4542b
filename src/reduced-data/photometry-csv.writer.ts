/**
 * Writes photometry points as CSV that the portal's own reader (photometry-csv.reader.ts) and spreadsheets read
 * back, in one of two layouts, with cells written by the portal's one CSV writer (formula-safe, quoted only when
 * needed):
 *
 * - `portal` (the default, as before): `time,mjd,magnitude,error,filter,source`: ISO 8601 times in UTC, the MJD for
 *   plotting tools, and `source` the series' label (student · source). When a point written has a limit or a
 *   facility, two columns follow: `limit,facility`. A light curve without either is written exactly as before, so
 *   clients of the export keep working.
 * - `tom`: TOM Toolkit's photometry columns, `time,filter,magnitude,error,limit,source`, time in MJD and `source`
 *   the facility (the survey or telescope, TOM's meaning of the word); TOM's upload reads it, and so does ours.
 *
 * A non-detection has an empty magnitude and error, and its limit.
 */
import { CsvValue, toCsv } from '../common/csv-writer';

export interface ExportedPoint {
  timestamp: Date;
  /** null for a non-detection. */
  magnitude: number | null;
  error: number | null;
  filter: string;
  limit: number | null;
  /** The survey or telescope ('' when none): TOM's `source`. */
  facility: string;
  /** The portal's label of the point's series: student · source (an uploaded file, a run, an API batch). */
  source: string;
}

export const PHOTOMETRY_CSV_FORMATS = ['portal', 'tom'] as const;
export type PhotometryCsvFormat = (typeof PHOTOMETRY_CSV_FORMATS)[number];

export const PHOTOMETRY_CSV_COLUMNS = ['time', 'mjd', 'magnitude', 'error', 'filter', 'source'] as const;
export const PHOTOMETRY_CSV_HEADER = PHOTOMETRY_CSV_COLUMNS.join(',');
/** Added to the portal's layout when some point has a limit or a facility. */
export const PHOTOMETRY_CSV_LIMIT_COLUMNS = ['limit', 'facility'] as const;
export const TOM_PHOTOMETRY_CSV_COLUMNS = ['time', 'filter', 'magnitude', 'error', 'limit', 'source'] as const;

const MJD_EPOCH_MS = Date.UTC(1858, 10, 17);
const mjdOf = (timestamp: Date) => (timestamp.getTime() - MJD_EPOCH_MS) / 86_400_000;

/**
 * The MJD to 8 decimals (0.86 ms: the reader rounds it back to the same millisecond) without trailing zeros, as
 * TOM's own files write it.
 */
function tomTime(timestamp: Date): string {
  return String(Number(mjdOf(timestamp).toFixed(8)));
}

export function photometryToCsv(points: ExportedPoint[], format: PhotometryCsvFormat = 'portal'): string {
  if (format === 'tom') {
    return toCsv(
      TOM_PHOTOMETRY_CSV_COLUMNS,
      points.map((point) => [tomTime(point.timestamp), point.filter, point.magnitude, point.error, point.limit, point.facility]),
    );
  }
  const withLimits = points.some((point) => point.limit !== null || point.facility !== '');
  return toCsv(
    withLimits ? [...PHOTOMETRY_CSV_COLUMNS, ...PHOTOMETRY_CSV_LIMIT_COLUMNS] : PHOTOMETRY_CSV_COLUMNS,
    points.map((point) => {
      const row: CsvValue[] = [
        point.timestamp.toISOString(),
        mjdOf(point.timestamp).toFixed(8),
        point.magnitude,
        point.error,
        point.filter,
        point.source,
      ];
      return withLimits ? [...row, point.limit, point.facility] : row;
    }),
  );
}
