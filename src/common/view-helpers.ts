import { bellCount } from '../notifications/unread-count';

/** Handlebars helpers for the server-rendered pages. Pure functions, registered in configureApp. */
export const viewHelpers: Record<string, (...args: any[]) => unknown> = {
  eq: (a: unknown, b: unknown) => a === b,
  or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
  and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
  not: (a: unknown) => !a,
  isNumber: (value: unknown) => typeof value === 'number',
  // A log line's time as the run page shows it: "HH:MM:SS" (UTC) of its ISO time.
  logTime: (value: unknown) => (typeof value === 'string' ? value.slice(11, 19) : ''),
  includes: (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item),
  json: (value: unknown) => JSON.stringify(value ?? null).replace(/</g, '\\u003c'),
  join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
  fixed: (value: unknown, digits: unknown) =>
    typeof value === 'number' && Number.isFinite(value) ? value.toFixed(typeof digits === 'number' ? digits : 4) : '',
  isoDate: (value: unknown) => (value instanceof Date ? value.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : ''),
  bytes: (value: unknown) => formatBytes(Number(value)),
  /** The header bell's count ("99+" from 100: unread-count.ts). */
  bellCount: (value: unknown) => bellCount(Number(value) || 0),
  /** True when the page's path is `section` or below it: marks the current nav link. */
  under: (path: unknown, section: unknown) =>
    typeof path === 'string' && typeof section === 'string' && (path === section || path.startsWith(section.endsWith('/') ? section : `${section}/`)),
};

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
