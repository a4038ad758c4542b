import { cleanFileName } from '../common/file-names';

/**
 * Names inside the portal's zip downloads and of the zips themselves. Pure.
 *
 * An entry is named by the product's uploaded name, cleaned by the file-name rule (common/file-names.ts: the last
 * path segment, no control, invisible or bidirectional characters, no leading dots), with the characters Windows
 * cannot put in a file name (< > : " | ? *) made "_", so every unzip tool writes it where the user expects and
 * nothing lands outside the folder. Names that would clash once written (the same name, or the same name in
 * another case: Windows and macOS folders ignore case) are numbered before their suffix: "a.fits", "a (2).fits",
 * "a (3).fits"; a compressed suffix stays whole ("m.fits.gz", "m (2).fits.gz").
 */

const WINDOWS_RESERVED = /[<>:"|?*]/g;
/** The second part of a two-part suffix: a compression or packing that follows the file's own suffix. */
const PACKING = /^\.(gz|fz|bz2|xz|zst)$/i;

/** The uploaded name as a safe zip entry name (no folders). */
export function safeEntryName(name: string): string {
  return cleanFileName(name).replace(WINDOWS_RESERVED, '_');
}

/** The name split before its suffix: "m.fits.gz" → ["m", ".fits.gz"], "notes" → ["notes", ""]. */
export function splitSuffix(name: string): [string, string] {
  const last = /\.[^.\s]{1,10}$/.exec(name);
  if (!last || last.index === 0) return [name, ''];
  let start = last.index;
  if (PACKING.test(last[0])) {
    const before = /\.[^.\s]{1,10}$/.exec(name.slice(0, start));
    if (before && before.index > 0) start = before.index;
  }
  return [name.slice(0, start), name.slice(start)];
}

/** How two names compare on a case-insensitive disk. */
const clashKey = (name: string) => name.normalize('NFC').toLowerCase();

/**
 * Safe, distinct entry names for `names`, in their order: the first of equal names keeps it, later ones are
 * numbered. `reserved` names (e.g. the run's log.txt) are taken before any of them.
 */
export function uniqueEntryNames(names: readonly string[], reserved: readonly string[] = []): string[] {
  const taken = new Set(reserved.map(clashKey));
  return names.map((raw) => {
    const name = safeEntryName(raw);
    if (!taken.has(clashKey(name))) {
      taken.add(clashKey(name));
      return name;
    }
    const [stem, suffix] = splitSuffix(name);
    for (let n = 2; ; n++) {
      const numbered = `${stem} (${n})${suffix}`;
      if (!taken.has(clashKey(numbered))) {
        taken.add(clashKey(numbered));
        return numbered;
      }
    }
  });
}

/**
 * The download's own file name from a group's or run's name: the same rule as an entry (so "a/b" cannot pick a
 * folder), with ".zip" after it. Express sends it in Content-Disposition as `filename="…"` (ASCII, others as "?")
 * and `filename*=UTF-8''…`, which browsers prefer.
 */
export function zipDownloadName(name: string): string {
  const base = safeEntryName(name.replace(/[\\/]/g, '_')).replace(/\.zip$/i, '');
  return `${base || 'download'}.zip`;
}

/** RFC 8187's attr-char: what may stand as it is in `filename*=UTF-8''…`; every other byte is %XX. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/**
 * The Content-Disposition of a download called `fileName`: `attachment`, a plain ASCII `filename` for old clients
 * (any other character, a quote or a backslash made "_") and the exact name in UTF-8 as `filename*`, which
 * browsers prefer. Always both, so the header is ASCII whatever the name.
 */
export function attachmentDisposition(fileName: string): string {
  const fallback = Array.from(fileName, (c) => (/^[\x20-\x7e]$/.test(c) && c !== '"' && c !== '\\' ? c : '_')).join('');
  const encoded = Array.from(Buffer.from(fileName, 'utf8'), (byte) => {
    const c = String.fromCharCode(byte);
    return byte < 0x80 && ATTR_CHAR.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
