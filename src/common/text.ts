/**
 * The one rule for text that people see: names of targets, lists, groups and classes, display names, aliases,
 * extra-field keys and values, photometry filters, sources and facilities, file names, tags. Pure.
 *
 * Every value is NFC-normalised (so "é" typed on a Mac and on Windows are the same name), loses its invisible
 * characters (zero-width space / non-joiner / joiner, word joiner, BOM, soft hyphen, Hangul fillers, the other
 * format characters: nobody sees them, so removing them changes nothing a reader sees, and "M13" + U+200B becomes
 * "M13" again), has any run of spaces made one space and is trimmed, and is at most its field's length in
 * characters (code points, as Postgres counts them). The price: a joiner that shapes an emoji sequence or a Persian
 * word goes too; the text still reads, and one name can no longer hide inside another.
 *
 * Control characters (line breaks, tabs, NUL...) and bidirectional controls (LRM/RLM/ALM, embeddings, overrides,
 * isolates) change how the text around them is shown: a name could read differently from what is stored. In
 * fields a person types (`strict`), they are refused with a message, so the author learns and retypes; in text
 * that arrives inside files or from programs (file names, photometry filters and facilities, tags), no one can fix it at that
 * moment, so they are removed (a control character becomes a space) and the data is kept.
 */

export interface TextRule {
  /** How messages name the field, as the start of a sentence. */
  label: string;
  /** The most characters (code points) allowed after cleaning. */
  max: number;
  /** Refuse control and bidirectional characters (typed fields) instead of removing them (file-borne text). */
  strict: boolean;
  /** Runs of spaces become one (names: HTML shows them as one anyway). File names keep their spaces. */
  collapseSpaces: boolean;
  /** What a control character becomes where it is removed: a space, or nothing (file names, as before). */
  controlAs?: string;
  /** Line breaks are kept (as \n) in text of several lines: instructions, answers, feedback. */
  multiline?: boolean;
}

const typed = (label: string, max: number): TextRule => ({ label, max, strict: true, collapseSpaces: true });
const fromFiles = (label: string, max: number): TextRule => ({ label, max, strict: false, collapseSpaces: true });
const paragraphs = (label: string, max: number): TextRule => ({ label, max, strict: true, collapseSpaces: false, multiline: true });

/** Every text field's rule and limit; README "Texts and limits" lists the same. */
export const TEXT_RULES = {
  targetName: typed('The name', 100),
  alias: typed('An alias', 100),
  extraKey: typed("An extra field's key", 64),
  extraValue: typed("An extra field's value", 1000),
  elementValue: typed('An orbital element', 100),
  listName: typed('A list name', 100),
  groupName: typed('A group name', 200),
  className: typed('A class name', 200),
  displayName: typed('The display name', 150),
  presetName: typed('A preset name', 100),
  workflowName: typed("A workflow's name", 100),
  workflowDescription: paragraphs("A workflow's description", 2_000),
  paramValue: typed('The value', 500),
  tokenName: typed('A token name', 100),
  sourceName: typed('The source name', 255),
  filter: fromFiles('The filter', 32),
  // The survey or telescope that measured a photometry point (TOM Toolkit's `source` column; see photometry-csv.reader.ts).
  facility: fromFiles('The facility', 64),
  tag: fromFiles('A tag', 64),
  email: typed('The email address', 254),
  notificationTitle: fromFiles("A notification's title", 200),
  notificationBody: fromFiles("A notification's text", 2000),
  fileName: { label: 'The file name', max: 200, strict: false, collapseSpaces: false, controlAs: '' },
  assignmentTitle: typed('The title', 200),
  instructions: paragraphs('The instructions', 20_000),
  answer: paragraphs('The answer', 2_000),
  feedback: paragraphs('The feedback', 5_000),
  grade: typed('The grade', 32),
} satisfies Record<string, TextRule>;

export type TextField = keyof typeof TEXT_RULES;

/** Aliases a target may have, and "key = value" lines in its extra fields. */
export const MAX_ALIASES = 50;
export const MAX_EXTRA_FIELDS = 50;

// Bidirectional controls: ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// Format characters other than those (zero-width space/joiners, word joiner, BOM, soft hyphen, tags...), the
// combining grapheme joiner and the Hangul fillers, which render as nothing.
const INVISIBLE = /(?![\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069])[\p{Cf}\u034F\u115F\u1160\u3164\uFFA0]/gu;
// C0, DEL and C1 controls, and the line and paragraph separators.
const CONTROL = /[\p{Cc}\u2028\u2029]/gu;
const SPACES = /\p{Zs}/gu;
// A surrogate without its pair: not text, and Postgres refuses it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export type TextCheck = { value: string; error?: undefined } | { value?: undefined; error: string };

/** Characters as Postgres counts them (code points), not UTF-16 units. */
export function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff || i + 1 >= text.length) count++;
    else {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      count++;
    }
  }
  return count;
}

function has(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  const found = pattern.test(text);
  pattern.lastIndex = 0;
  return found;
}

/**
 * The cleaning alone, without the length limit: NFC, invisible characters out, control and bidi characters
 * refused (strict fields) or removed, spaces made one and trimmed.
 */
export function normalizeText(text: string, field: TextField): TextCheck {
  const rule: TextRule = TEXT_RULES[field];
  if (has(LONE_SURROGATE, text)) {
    if (rule.strict) return { error: `${rule.label} is not valid text (a broken character)` };
    text = text.replace(LONE_SURROGATE, '\uFFFD');
  }
  text = text.normalize('NFC').replace(INVISIBLE, '');
  // Text of several lines keeps its line breaks (any kind becomes \n; a tab becomes spaces): they are not
  // controls there. Other control and bidirectional characters are refused as in any typed field.
  if (rule.multiline) {
    text = text.replace(/\r\n?|[\u2028\u2029]/g, '\n').replace(/\t/g, '    ');
    const withoutBreaks = text.replace(/\n/g, '');
    if (has(CONTROL, withoutBreaks)) return { error: `${rule.label} cannot contain control characters` };
    if (has(BIDI_CONTROLS, withoutBreaks)) {
      return { error: `${rule.label} cannot contain bidirectional control characters (they change how the text around them is shown)` };
    }
    const value = text.split('\n').map((line) => line.replace(SPACES, ' ').trimEnd()).join('\n');
    return { value: value.replace(/\n{3,}/g, '\n\n').trim() };
  }
  if (rule.strict) {
    if (has(CONTROL, text)) return { error: `${rule.label} cannot contain line breaks, tabs or other control characters` };
    if (has(BIDI_CONTROLS, text)) {
      return { error: `${rule.label} cannot contain bidirectional control characters (they change how the text around them is shown)` };
    }
  } else {
    text = text.replace(BIDI_CONTROLS, '').replace(CONTROL, rule.controlAs ?? ' ');
  }
  text = text.replace(SPACES, ' ');
  return { value: (rule.collapseSpaces ? text.replace(/ {2,}/g, ' ') : text).trim() };
}

/**
 * A value as the field stores it, or the reason it cannot be stored. An empty result is allowed unless
 * `required`; `undefined` and `null` count as empty.
 */
export function checkText(raw: unknown, field: TextField, options: { required?: boolean } = {}): TextCheck {
  const rule: TextRule = TEXT_RULES[field];
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return { error: `${rule.label} must be text` };
  const text = (raw ?? '') as string;
  // Cheap bound before any work: a value far over the limit is refused as it is (NFC changes lengths only a little).
  if (text.length > rule.max * 8 + 64) return { error: `${rule.label} is at most ${rule.max} characters` };
  const cleaned = normalizeText(text, field);
  if (cleaned.error !== undefined) return cleaned;
  if (!cleaned.value && options.required) return { error: `${rule.label} is required` };
  const count = characterCount(cleaned.value);
  if (count > rule.max) return { error: `${rule.label} is at most ${rule.max} characters (this one has ${count})` };
  return cleaned;
}

/**
 * What a search box's text is compared as: the same normalisation without refusing anything, so a pasted
 * "M13" + U+200B still finds M13. At most `max` characters.
 */
export function searchText(raw: string, max = 200): string {
  return raw
    .replace(LONE_SURROGATE, '')
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(BIDI_CONTROLS, '')
    .replace(CONTROL, ' ')
    .replace(SPACES, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, max);
}
