import { readFileSync } from 'fs';
import { join } from 'path';
import { headerValue, parseHeaderBlock } from './header';

const FIXTURES = join(__dirname, '../../test/fixtures');

/** One 80-character card image. */
function card(text: string): string {
  if (text.length > 80) throw new Error(`card longer than 80 characters: ${text}`);
  return text.padEnd(80, ' ');
}

/** Header blocks (padded to 2880 bytes) from card texts. */
function blocks(...texts: string[]): Buffer {
  const body = texts.map(card).join('');
  return Buffer.from(body.padEnd(Math.ceil(body.length / 2880) * 2880, ' '), 'latin1');
}

describe('parseHeaderBlock', () => {
  it('parses integers, reals, logicals and empty values with their comments', () => {
    const { cards, endFound } = parseHeaderBlock(
      blocks(
        'SIMPLE  =                    T / conforms to FITS standard',
        'BITPIX  =                  -32 / array data type',
        'NAXIS   =                    0',
        'EXTEND  =                    F',
        'EXPTIME =                 13.5 / seconds',
        'SCALE   =               1.5D-3 / D exponent',
        'BIGD    =              2.25D+2',
        'SMALLE  =  -2.68934864702E-005',
        'LEADDOT =                  .25',
        'PLUS    =                   +7',
        'NOVALUE =                      / nothing here',
        'NOTHING = ',
        'END',
      ),
    );
    expect(endFound).toBe(true);
    const values = Object.fromEntries(cards.map((c) => [c.keyword, c.value]));
    expect(values).toEqual({
      SIMPLE: true,
      BITPIX: -32,
      NAXIS: 0,
      EXTEND: false,
      EXPTIME: 13.5,
      SCALE: 0.0015,
      BIGD: 225,
      SMALLE: -2.68934864702e-5,
      LEADDOT: 0.25,
      PLUS: 7,
      NOVALUE: null,
      NOTHING: null,
    });
    expect(cards[0].comment).toBe('conforms to FITS standard');
    expect(cards[5].comment).toBe('D exponent');
    expect(cards[10].comment).toBe('nothing here');
    expect(cards[2].comment).toBe('');
    expect(cards[0].raw).toBe(card('SIMPLE  =                    T / conforms to FITS standard'));
    expect(cards[0].raw).toHaveLength(80);
  });

  it('unescapes doubled quotes, keeps leading blanks, trims trailing blanks and ignores / inside strings', () => {
    const { cards } = parseHeaderBlock(
      blocks(
        "OBSERVER= 'O''Hara and D''Arcy' / two quotes",
        "PADDED  = 'ER768   '           / GSSS: Region Name",
        "LEADING = '  indented  '",
        "SLASHES = 'a/b / c'            / real comment / with slash",
        "EMPTY   = ''                   / empty string",
        "BLANKS  = '        '",
        "QUOTES  = ''''",
        'END',
      ),
    );
    expect(headerValue(cards, 'OBSERVER')).toBe("O'Hara and D'Arcy");
    expect(cards[0].comment).toBe('two quotes');
    expect(headerValue(cards, 'PADDED')).toBe('ER768');
    expect(cards[1].comment).toBe('GSSS: Region Name');
    expect(headerValue(cards, 'LEADING')).toBe('  indented');
    expect(headerValue(cards, 'SLASHES')).toBe('a/b / c');
    expect(cards[3].comment).toBe('real comment / with slash');
    expect(headerValue(cards, 'EMPTY')).toBe('');
    expect(cards[4].comment).toBe('empty string');
    expect(headerValue(cards, 'BLANKS')).toBe('');
    expect(headerValue(cards, 'QUOTES')).toBe("'");
  });

  it('treats COMMENT, HISTORY, blank-keyword cards and cards without "= " as commentary', () => {
    const { cards } = parseHeaderBlock(
      blocks(
        "COMMENT   CORRECTED DATE_OBS = '2004-02-29T23:58:20.443Z'",
        'HISTORY  Process Calibrate',
        '                               / 284 = Fe XV, 304 = He II',
        '',
        'NOINDIC  this card has no value indicator',
        'COMMENT = not a value either',
        'END',
      ),
    );
    expect(cards.map((c) => [c.keyword, c.value, c.comment])).toEqual([
      ['COMMENT', null, "  CORRECTED DATE_OBS = '2004-02-29T23:58:20.443Z'"],
      ['HISTORY', null, ' Process Calibrate'],
      ['', null, '                       / 284 = Fe XV, 304 = He II'],
      ['', null, ''],
      ['NOINDIC', null, ' this card has no value indicator'],
      ['COMMENT', null, '= not a value either'],
    ]);
  });

  it('joins a long string continued by CONTINUE cards into the parent card', () => {
    const { cards } = parseHeaderBlock(
      blocks(
        "LONGSTRN= 'OGIP 1.0'           / long string convention",
        "WEBPAGE = 'https://example.org/a/very/long/path/&' / first part",
        "CONTINUE  'that/goes/on/&'",
        "CONTINUE  'and ends here.html' / last part",
        'NEXT    =                   42',
        'END',
      ),
    );
    expect(cards.map((c) => c.keyword)).toEqual(['LONGSTRN', 'WEBPAGE', 'NEXT']);
    const web = cards[1];
    expect(web.value).toBe('https://example.org/a/very/long/path/that/goes/on/and ends here.html');
    expect(web.comment).toBe('first part last part');
    expect(web.raw.split('\n')).toEqual([
      card("WEBPAGE = 'https://example.org/a/very/long/path/&' / first part"),
      card("CONTINUE  'that/goes/on/&'"),
      card("CONTINUE  'and ends here.html' / last part"),
    ]);
    expect(headerValue(cards, 'NEXT')).toBe(42);
  });

  it('keeps a CONTINUE chain that crosses a block boundary together', () => {
    const filler = Array.from({ length: 34 }, (_, i) => `KEY${i}`.padEnd(8) + `= ${i}`);
    const { cards, endFound } = parseHeaderBlock(
      blocks('SIMPLE  =                    T', ...filler, "SPLIT   = 'first half &'", "CONTINUE  'second half'", 'END'),
    );
    expect(endFound).toBe(true);
    expect(headerValue(cards, 'SPLIT')).toBe('first half second half');
    expect(cards).toHaveLength(36);
  });

  it("keeps a trailing '&' when no CONTINUE follows, and leaves an orphan CONTINUE as commentary", () => {
    const { cards } = parseHeaderBlock(blocks("AMP     = 'rock & roll &'", 'NUM     =                    1', "CONTINUE  'orphan'", 'END'));
    expect(cards.map((c) => [c.keyword, c.value])).toEqual([
      ['AMP', 'rock & roll &'],
      ['NUM', 1],
      ['CONTINUE', null],
    ]);
    expect(cards[2].comment).toBe("  'orphan'");
  });

  it('reads HIERARCH keywords', () => {
    const { cards } = parseHeaderBlock(
      blocks(
        "HIERARCH ESO DET CHIP = 'x'  / chip name",
        'HIERARCH ESO   TEL AIRM START =   1.234 / airmass',
        'HIERARCH ESO INS SWITCH = T',
        "HIERARCH ESO OBS NAME = 'it''s here'",
        'HIERARCH without an equals sign',
        'END',
      ),
    );
    expect(cards.map((c) => [c.keyword, c.value, c.comment])).toEqual([
      ['ESO DET CHIP', 'x', 'chip name'],
      ['ESO TEL AIRM START', 1.234, 'airmass'],
      ['ESO INS SWITCH', true, ''],
      ['ESO OBS NAME', "it's here", ''],
      ['HIERARCH', null, ' without an equals sign'],
    ]);
    expect(headerValue(cards, 'ESO DET CHIP')).toBe('x');
    expect(headerValue(cards, 'eso tel airm start')).toBe(1.234);
  });

  it('keeps values it cannot type as text', () => {
    const { cards } = parseHeaderBlock(blocks('CPLX    = (1.5, -2.0) / complex', 'WORD    = maybe', 'END'));
    expect(cards.map((c) => c.value)).toEqual(['(1.5, -2.0)', 'maybe']);
    expect(cards[0].comment).toBe('complex');
  });

  it('stops at END, ignores what follows, and reports a missing END', () => {
    const ended = parseHeaderBlock(blocks('SIMPLE  =                    T', 'END', 'AFTER   =                    1'));
    expect(ended.endFound).toBe(true);
    expect(ended.cards.map((c) => c.keyword)).toEqual(['SIMPLE']);

    const open = parseHeaderBlock(blocks('SIMPLE  =                    T', 'BITPIX  =                    8'));
    expect(open.endFound).toBe(false);
    expect(open.cards).toHaveLength(36); // two cards and 34 blank ones
    expect(open.cards.slice(2).every((c) => c.keyword === '' && c.value === null && c.comment === '')).toBe(true);

    // a keyword merely starting with END is not the END card
    const endish = parseHeaderBlock(blocks("ENDTIME = '12:00'", 'END'));
    expect(endish.cards.map((c) => [c.keyword, c.value])).toEqual([['ENDTIME', '12:00']]);
  });

  it('pads an incomplete last card with blanks', () => {
    const { cards, endFound } = parseHeaderBlock(Buffer.from(card('NAXIS   =                    2') + 'BITPIX  =   16', 'latin1'));
    expect(endFound).toBe(false);
    expect(cards.map((c) => [c.keyword, c.value])).toEqual([
      ['NAXIS', 2],
      ['BITPIX', 16],
    ]);
    expect(cards[1].raw).toHaveLength(80);
  });

  it('parses the first block of HorseHead.fits as written on disk', () => {
    const buffer = readFileSync(join(FIXTURES, 'HorseHead.fits')).subarray(0, 2880);
    const { cards, endFound } = parseHeaderBlock(buffer);
    expect(endFound).toBe(false); // END is in the fifth block
    expect(cards).toHaveLength(36);
    expect(cards[0]).toEqual({ keyword: 'SIMPLE', value: true, comment: 'FITS: Compliance', raw: buffer.toString('latin1', 0, 80) });
    expect(headerValue(cards, 'BITPIX')).toBe(16);
    expect(headerValue(cards, 'NAXIS1')).toBe(891);
    expect(headerValue(cards, 'NAXIS2')).toBe(893);
    expect(headerValue(cards, 'DATE')).toBe('2014-01-09');
    expect(headerValue(cards, 'TELESCOP')).toBe('UK Schmidt - Doubl');
    expect(headerValue(cards, 'DATE-OBS')).toBe('1990-12-22T13:49:00');
    expect(headerValue(cards, 'SITELAT')).toBe(-31.277);
    expect(headerValue(cards, 'PLATERA')).toBe(85.599455);
    expect(headerValue(cards, 'REFBETAP')).toBe(-0.082);
    expect(headerValue(cards, 'REFK2')).toBeUndefined(); // card 39, in the second block
  });
});

describe('headerValue', () => {
  const { cards } = parseHeaderBlock(blocks("OBJECT  = 'M13'", "OBJECT  = 'second'", 'FLAG    =                    F', 'EMPTY   =', 'END'));

  it('returns the first card with the keyword, case-insensitively', () => {
    expect(headerValue(cards, 'OBJECT')).toBe('M13');
    expect(headerValue(cards, 'object')).toBe('M13');
  });

  it('distinguishes false, null (empty value) and undefined (no such card)', () => {
    expect(headerValue(cards, 'FLAG')).toBe(false);
    expect(headerValue(cards, 'EMPTY')).toBeNull();
    expect(headerValue(cards, 'MISSING')).toBeUndefined();
  });
});
