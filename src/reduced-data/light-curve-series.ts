/**
 * Light-curve series: a series is one filter from one source (an uploaded file, a run, an API batch) of one owner,
 * and, when its points name one, one facility (the survey or telescope: TOM Toolkit's `source` column).
 * Pure helpers shared by the service (SQL rows → series), the API presenter (a point's series key) and the tests:
 * the views, the series key (how a page or an API client names a series to delete or export), the legend labels
 * and the order of the series. No framework imports.
 */

export const POINT_SOURCE_KINDS = ['upload', 'run', 'api'] as const;
export type PointSourceKind = (typeof POINT_SOURCE_KINDS)[number];

/**
 * Whose series a light curve shows (each point still filtered by the sharing policy):
 * - `mine`: the viewer's own series and the target owner's (the reference photometry of the target);
 * - `class`: those, plus series shared with one of the viewer's classes and, for a teacher, their students' series
 *   (the same scopes as the target page's products filter);
 * - `everyone`: every series the viewer may see.
 */
export const LIGHT_CURVE_VIEWS = ['mine', 'class', 'everyone'] as const;
export type LightCurveView = (typeof LIGHT_CURVE_VIEWS)[number];
export const DEFAULT_LIGHT_CURVE_VIEW: LightCurveView = 'mine';

/** The view named by a query parameter; absent means `fallback`, anything else unknown is null (a 400). */
export function parseLightCurveView(raw: unknown, fallback: LightCurveView = DEFAULT_LIGHT_CURVE_VIEW): LightCurveView | null {
  if (raw === undefined || raw === null || raw === '') return fallback;
  return typeof raw === 'string' && (LIGHT_CURVE_VIEWS as readonly string[]).includes(raw) ? (raw as LightCurveView) : null;
}

/** `?series=k1,k2` (the series left shown in the legend), or undefined for all of the view's series. */
export function seriesKeysFrom(raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  return text.split(',').filter((key) => key !== '');
}

/** A file name from a target name: letters, digits, dot, dash and underscore only. */
export const fileNameOf = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_');

/** What names a series: its source (kind and reference), its owner, its facility and its filter. */
export interface SeriesIdentity {
  kind: PointSourceKind;
  /** The data product id (upload), run id (run) or batch id (api), as text; see sourceRef. */
  ref: string;
  ownerId: string | null;
  /** The survey or telescope, '' when the points name none (every series before TOM's format). */
  facility: string;
  filter: string;
}

/**
 * The reference of a point's source, as the service's SQL computes it (SOURCE_REF_SQL): the product id for an
 * upload, the run id for a run, the batch id for an API batch; points lacking it (rows from before sources were
 * recorded) fall back to their source name so different files never merge.
 */
export function sourceRef(kind: PointSourceKind, point: { dataProductId: number | null; runId: number | null; batchId: string | null; sourceName: string }): string {
  const id = kind === 'upload' ? point.dataProductId : kind === 'run' ? point.runId : point.batchId;
  return id === null || id === undefined ? `name:${point.sourceName}` : String(id);
}

/** A point's filter as the light curve groups it: its `filter` text, or "unknown" when it has none. */
export function filterOf(value: Record<string, unknown>): string {
  return typeof value.filter === 'string' && value.filter !== '' ? value.filter : 'unknown';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_KEY_LENGTH = 2000;

/**
 * An opaque, URL-safe name for a series (base64url of its identity), for forms, links and the API's paths. A
 * series without a facility keeps the four-part key it had before facilities, so keys already handed out still work.
 */
export function seriesKey(series: SeriesIdentity): string {
  const parts = [series.kind, series.ref, series.ownerId ?? '', series.filter];
  if (series.facility !== '') parts.push(series.facility);
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** The identity a key names, or null when it is not a key this portal made. */
export function parseSeriesKey(key: unknown): SeriesIdentity | null {
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH || !/^[A-Za-z0-9_-]+$/.test(key)) return null;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(key, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || (parts.length !== 4 && parts.length !== 5) || !parts.every((part) => typeof part === 'string')) return null;
  const [kind, ref, ownerId, filter, facility = ''] = parts as string[];
  if (!(POINT_SOURCE_KINDS as readonly string[]).includes(kind) || ref === '' || filter === '') return null;
  // One key per series: a facility is the fifth part only when there is one.
  if (parts.length === 5 && facility === '') return null;
  if (ownerId !== '' && !UUID.test(ownerId)) return null;
  return { kind: kind as PointSourceKind, ref, ownerId: ownerId === '' ? null : ownerId.toLowerCase(), facility, filter };
}

/** The student as a label names them: their display name, else their username. */
export function ownerName(owner: { displayName: string | null; username: string | null }): string {
  return owner.displayName?.trim() || owner.username || 'no owner';
}

/** `YYYY-MM-DD HH:MM UTC`: the date an API batch is labelled with. */
function minuteUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The source as a label names it: "run <identifier>", "file <uploaded name>", or "API batch <date>" (with the
 * caller's own name for it, when they gave one other than the default "api").
 */
export function sourceLabel(source: { kind: PointSourceKind; sourceName: string; createdAt: Date }): string {
  if (source.kind === 'run') return `run ${source.sourceName}`;
  if (source.kind === 'upload') return `file ${source.sourceName}`;
  const named = source.sourceName && source.sourceName !== 'api' ? ` (${source.sourceName})` : '';
  return `API batch ${minuteUtc(source.createdAt)}${named}`;
}

/** What the light curve says about one series (the points travel beside it). */
export interface SeriesSummary extends SeriesIdentity {
  key: string;
  /** The legend label: student · source · filter, with the facility before the filter when there is one. */
  label: string;
  /** Student · source: the CSV export's source column. */
  origin: string;
  owner: string;
  source: string;
  /** The series' sharing; 'mixed' if its points differ (never made by the portal itself). */
  visibility: string;
  points: number;
  canChange: boolean;
  createdAt: Date;
}

/** One series as the service's SQL returns it, before labels and permissions. */
export interface SeriesRow {
  ownerId: string | null;
  kind: PointSourceKind;
  ref: string;
  facility: string;
  filter: string;
  sourceName: string;
  createdAt: Date | string;
  username: string | null;
  displayName: string | null;
  visibility: string;
  points: number;
}

/** Labels a series row; `canChange` is the sharing policy's answer for its owner. */
export function summarizeSeries(row: SeriesRow, canChange: boolean): SeriesSummary {
  const createdAt = new Date(row.createdAt);
  const owner = ownerName(row);
  const source = sourceLabel({ kind: row.kind, sourceName: row.sourceName, createdAt });
  const identity: SeriesIdentity = { kind: row.kind, ref: row.ref, ownerId: row.ownerId, facility: row.facility, filter: row.filter };
  return {
    ...identity,
    key: seriesKey(identity),
    label: [owner, source, ...(row.facility ? [row.facility] : []), row.filter].join(' · '),
    origin: `${owner} · ${source}`,
    owner,
    source,
    visibility: row.visibility,
    points: Number(row.points),
    canChange,
    createdAt,
  };
}

const codePointOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The order series are listed and coloured in: the viewer's own first, then the target owner's, then everyone
 * else's by name; within one owner, sources oldest first; within one source, facilities and then filters in
 * code-point order.
 */
export function orderSeries<T extends SeriesSummary>(series: T[], viewerId: string, targetOwnerId: string | null): T[] {
  const rank = (s: T) => (s.ownerId !== null && s.ownerId === viewerId ? 0 : s.ownerId === targetOwnerId ? 1 : 2);
  return [...series].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      codePointOrder(a.owner, b.owner) ||
      codePointOrder(a.ownerId ?? '', b.ownerId ?? '') ||
      a.createdAt.getTime() - b.createdAt.getTime() ||
      codePointOrder(a.kind, b.kind) ||
      codePointOrder(a.ref, b.ref) ||
      codePointOrder(a.facility, b.facility) ||
      codePointOrder(a.filter, b.filter),
  );
}
