import { normalizeText, TEXT_RULES } from './text';

/**
 * The uploader's file name made safe to show and to offer back in Content-Disposition: the last path segment
 * only (no ../ tricks, no C:\ paths), cleaned by the text rule for file names (NFC, no invisible, control or
 * bidirectional characters), no leading dots, and at most 200 characters, keeping the end (the suffix says
 * what the file is).
 */
export function cleanFileName(name: string): string {
  const lastSegment = name.split(/[\\/]/).pop() ?? '';
  // Far longer than any name kept: only its end matters, and the cleaning below should not walk megabytes.
  const tail = lastSegment.length > 4000 ? lastSegment.slice(-4000) : lastSegment;
  const cleaned = (normalizeText(tail, 'fileName').value ?? '').replace(/^[.\s]+/, '');
  const characters = Array.from(cleaned);
  const max = TEXT_RULES.fileName.max;
  return (characters.length > max ? characters.slice(-max).join('').trim() : cleaned) || 'unnamed';
}
