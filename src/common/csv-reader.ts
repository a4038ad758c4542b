/**
 * Reading CSV files people make in spreadsheets and other programs: the bytes decoded, the separator found, the
 * text split into records with the line each starts on. Pure. Used by the roster import (classrooms/) and the
 * target import (targets/target-csv.ts); what a record means is theirs.
 *
 * - UTF-8 (with or without a byte order mark), UTF-16 with a BOM, else Windows-1252.
 * - Commas, semicolons (spreadsheets in many European locales) or tabs, whichever the first line uses most.
 * - RFC 4180 quoting: "Lovelace, Ada"; "" is a quote inside quotes; a quoted value may hold line breaks.
 * - CRLF, CR or LF line ends. Line numbers are the file's own lines (1-based).
 */

export interface CsvRecord {
  /** The file's line where the record starts (1-based). */
  line: number;
  fields: string[];
}

export interface CsvProblem {
  /** The file's line (1-based). */
  line: number;
  reason: string;
}

/** Strips a byte order mark from decoded or pasted text. */
export const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/**
 * An uploaded file's text: UTF-8 (with or without a BOM), UTF-16 with a BOM (a spreadsheet's "Unicode text"), or
 * else Windows-1252, which is what older spreadsheet programs write when they save "CSV".
 */
export function decodeCsvBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** The separator the first non-blank line uses outside quotes: the most frequent of comma, semicolon and tab. */
export function detectDelimiter(text: string): string {
  const firstLine = text.split(/\r\n|\r|\n/).find((line) => line.trim() !== '') ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((d) => [d, unquoted.split(d).length - 1] as const);
  const [best] = counts.sort((a, b) => b[1] - a[1]);
  return best[1] > 0 ? best[0] : ',';
}

/**
 * Splits CSV text into records (RFC 4180 quoting, any line end), each with the line it starts on. A quote that
 * is never closed is a problem on the line where it opened; nothing after it can be read.
 */
export function splitCsvRecords(text: string, delimiter: string): { records: CsvRecord[]; problem: CsvProblem | null } {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field.trim() === '') {
      // A quoted value: everything up to the closing quote, "" standing for one quote.
      const openedOn = line;
      field = '';
      i++;
      for (;;) {
        if (i >= text.length) return { records, problem: { line: openedOn, reason: 'a quoted value starts here but its closing quote (") is missing' } };
        const q = text[i];
        if (q === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (q === '"') {
          i++;
          break;
        } else {
          if (q === '\n' || (q === '\r' && text[i + 1] !== '\n')) line++;
          field += q;
          i++;
        }
      }
      // Spaces after the closing quote are tolerated; anything else means the quoting is broken.
      while (text[i] === ' ') i++;
      if (i < text.length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        return { records, problem: { line, reason: 'unexpected text after a closing quote; a quote inside a quoted value is written ""' } };
      }
      continue;
    }
    if (c === delimiter) {
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || fields.length > 0) endRecord();
  return { records, problem: null };
}

/** A record of nothing but blanks (a blank line, or a spreadsheet's row of bare separators). */
export const isBlankRecord = (record: CsvRecord) => record.fields.every((value) => value.trim() === '');
