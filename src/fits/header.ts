import { CARD_SIZE } from './constants';
import { FitsCard } from './types';

/** Keywords whose cards never carry a value: the text of columns 9-80 is the content. */
const COMMENTARY_KEYWORDS = new Set(['', 'COMMENT', 'HISTORY']);

const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?$/;

/** What a single card image turned out to be, before CONTINUE cards are joined to their parent. */
interface ParsedCard extends FitsCard {
  kind: 'value' | 'commentary' | 'continue' | 'end';
  /** True when the value was written as a quoted string. */
  quoted: boolean;
}

interface ParsedValue {
  value: FitsCard['value'];
  comment: string;
  quoted: boolean;
}

/**
 * Parses the cards of a header: a buffer of 80-byte card images (normally whole 2880-byte blocks, possibly
 * several). Parsing stops at the END card, which is not included; `endFound` says whether there was one.
 * A last, incomplete card is padded with blanks. Bytes are read as Latin-1 so that columns stay columns.
 */
export function parseHeaderBlock(buffer: Buffer): { cards: FitsCard[]; endFound: boolean } {
  const parsed: ParsedCard[] = [];
  let endFound = false;
  for (let offset = 0; offset < buffer.length; offset += CARD_SIZE) {
    const raw = buffer.toString('latin1', offset, Math.min(offset + CARD_SIZE, buffer.length)).padEnd(CARD_SIZE, ' ');
    const card = parseCard(raw);
    if (card.kind === 'end') {
      endFound = true;
      break;
    }
    parsed.push(card);
  }
  return { cards: joinContinuations(parsed), endFound };
}

/** The value of the first card with this keyword (case-insensitive), or undefined when there is none. */
export function headerValue(cards: FitsCard[], keyword: string): FitsCard['value'] | undefined {
  const wanted = keyword.trim().toUpperCase();
  const card = cards.find((c) => c.keyword.toUpperCase() === wanted);
  return card ? card.value : undefined;
}

/** True when an 80-byte card image at `offset` of `buffer` is the END card. */
export function isEndCard(buffer: Buffer, offset: number): boolean {
  return buffer.length - offset >= 8 && buffer.toString('latin1', offset, offset + 8) === 'END     ';
}

/** Parses one 80-character card image. */
function parseCard(raw: string): ParsedCard {
  const keyword = raw.slice(0, 8).trim();
  if (keyword === 'END') {
    return { kind: 'end', keyword, value: null, comment: '', raw, quoted: false };
  }
  if (keyword === 'HIERARCH') {
    const rest = raw.slice(8);
    const equals = rest.indexOf('=');
    const name = equals >= 0 ? rest.slice(0, equals).trim().replace(/\s+/g, ' ') : '';
    if (name) {
      return { kind: 'value', keyword: name, raw, ...parseValueField(rest.slice(equals + 1)) };
    }
    return commentary(keyword, raw);
  }
  if (keyword === 'CONTINUE') {
    // Columns 9-10 are blank; the string fragment starts in column 11 or later.
    const field = parseValueField(raw.slice(8));
    return field.quoted ? { kind: 'continue', keyword, raw, ...field } : commentary(keyword, raw);
  }
  if (!COMMENTARY_KEYWORDS.has(keyword) && raw.slice(8, 10) === '= ') {
    return { kind: 'value', keyword, raw, ...parseValueField(raw.slice(10)) };
  }
  return commentary(keyword, raw);
}

function commentary(keyword: string, raw: string): ParsedCard {
  return { kind: 'commentary', keyword, value: null, comment: raw.slice(8).trimEnd(), raw, quoted: false };
}

/** Parses the value field (everything after the value indicator): value, then an optional '/' comment. */
function parseValueField(field: string): ParsedValue {
  const start = field.search(/\S/);
  if (start < 0) return { value: null, comment: '', quoted: false };

  if (field[start] === "'") {
    let text = '';
    let i = start + 1;
    let closed = false;
    while (i < field.length) {
      if (field[i] === "'") {
        if (field[i + 1] === "'") {
          text += "'";
          i += 2;
          continue;
        }
        closed = true;
        break;
      }
      text += field[i];
      i += 1;
    }
    // A string without its closing quote is taken as running to the end of the card.
    const after = closed ? field.slice(i + 1) : '';
    const slash = after.indexOf('/');
    return { value: text.trimEnd(), comment: slash >= 0 ? after.slice(slash + 1).trim() : '', quoted: true };
  }

  const slash = field.indexOf('/', start);
  const text = (slash >= 0 ? field.slice(start, slash) : field.slice(start)).trim();
  const comment = slash >= 0 ? field.slice(slash + 1).trim() : '';
  return { value: parseUnquoted(text), comment, quoted: false };
}

function parseUnquoted(text: string): FitsCard['value'] {
  if (text === '') return null;
  if (text === 'T') return true;
  if (text === 'F') return false;
  if (INTEGER.test(text)) return Number(text);
  if (REAL.test(text)) return Number(text.replace(/[Dd]/, 'E'));
  return text;
}

/**
 * Long-string convention: a string value ending in '&' is continued by the string of the following CONTINUE
 * card (which may end in '&' again). The fragments are joined into the parent card; the comments too.
 * CONTINUE cards that follow no such string stay as commentary cards.
 */
function joinContinuations(parsed: ParsedCard[]): FitsCard[] {
  const cards: FitsCard[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const card = parsed[i];
    if (card.kind === 'continue') {
      cards.push(commentary(card.keyword, card.raw));
      continue;
    }
    let { value, comment, raw } = card;
    if (card.kind === 'value' && card.quoted && typeof value === 'string') {
      const comments = comment ? [comment] : [];
      const raws = [raw];
      while (value.endsWith('&') && parsed[i + 1]?.kind === 'continue') {
        const next = parsed[++i];
        value = value.slice(0, -1) + (next.value as string);
        if (next.comment) comments.push(next.comment);
        raws.push(next.raw);
      }
      comment = comments.join(' ');
      raw = raws.join('\n');
    }
    cards.push({ keyword: card.keyword, value, comment, raw });
  }
  return cards;
}
