import { stripControlCharacters } from './text';

/**
 * The uploader's file name made safe to show and to offer back in Content-Disposition: the last path segment
 * only (no ../ tricks, no C:\ paths), no control characters, at most 200 characters.
 */
export function cleanFileName(name: string): string {
  const lastSegment = name.split(/[\\/]/).pop() ?? '';
  const cleaned = stripControlCharacters(lastSegment)
    .replace(/^\.+/, '')
    .trim()
    .slice(-200);
  return cleaned || 'unnamed';
}
