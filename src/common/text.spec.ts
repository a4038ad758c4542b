import { characterCount, checkText, searchText, TEXT_RULES } from './text';

describe('checkText', () => {
  it('normalises to NFC, so a name typed as decomposed letters is the same name', () => {
    const decomposed = 'Me\u0301sza\u0301ros';
    expect(checkText(decomposed, 'targetName')).toEqual({ value: 'Mészáros' });
    expect(checkText(decomposed, 'targetName').value).toBe('M\u00e9sz\u00e1ros');
  });

  it('strips zero-width and other invisible characters, so "M13" + U+200B is "M13"', () => {
    for (const invisible of ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u3164', '\u034F', '\u{E0041}']) {
      expect(checkText(`M13${invisible}`, 'targetName')).toEqual({ value: 'M13' });
      expect(checkText(`${invisible}M${invisible}13`, 'groupName')).toEqual({ value: 'M13' });
    }
  });

  it('refuses bidirectional controls in typed fields, with a message', () => {
    for (const bidi of ['\u202E', '\u202D', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C', '\u202A']) {
      expect(checkText(`M13${bidi}gnp.exe`, 'targetName').error).toBe(
        'The name cannot contain bidirectional control characters (they change how the text around them is shown)',
      );
    }
  });

  it('refuses control characters and line breaks in typed fields', () => {
    for (const control of ['\n', '\r', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029']) {
      expect(checkText(`a${control}b`, 'displayName').error).toBe('The display name cannot contain line breaks, tabs or other control characters');
    }
  });

  it('removes bidi and control characters from file-borne text instead of refusing it', () => {
    expect(checkText('V\u202E\u200B', 'filter')).toEqual({ value: 'V' });
    expect(checkText('r\tband', 'filter')).toEqual({ value: 'r band' });
    expect(checkText('night\u202Egnp.fits', 'fileName')).toEqual({ value: 'nightgnp.fits' });
  });

  it('makes runs of spaces (any Unicode space) one space and trims, except in file names', () => {
    expect(checkText('  M\u00a0\u00a0 13 ', 'targetName')).toEqual({ value: 'M 13' });
    expect(checkText(' a  b.fits ', 'fileName')).toEqual({ value: 'a  b.fits' });
  });

  it('limits each field by characters as Postgres counts them', () => {
    expect(checkText('x'.repeat(100), 'targetName')).toEqual({ value: 'x'.repeat(100) });
    expect(checkText('x'.repeat(101), 'targetName').error).toBe('The name is at most 100 characters (this one has 101)');
    // 100 astral characters are 200 UTF-16 units but 100 characters.
    expect(checkText('🔭'.repeat(100), 'targetName').value).toHaveLength(200);
    expect(checkText('V'.repeat(100_000), 'filter').error).toBe('The filter is at most 32 characters');
    // The limit counts after cleaning: invisible characters do not use it up.
    expect(checkText(`${'x'.repeat(100)}\u200B\u200B`, 'targetName')).toEqual({ value: 'x'.repeat(100) });
  });

  it('has a limit for every field', () => {
    for (const rule of Object.values(TEXT_RULES)) expect(rule.max).toBeGreaterThan(0);
  });

  it('allows empty values unless required', () => {
    expect(checkText(undefined, 'alias')).toEqual({ value: '' });
    expect(checkText(' \u200B ', 'alias')).toEqual({ value: '' });
    expect(checkText('\u200B', 'listName', { required: true }).error).toBe('A list name is required');
  });

  it('refuses what is not text, and broken surrogates in typed fields', () => {
    expect(checkText(42, 'targetName').error).toBe('The name must be text');
    expect(checkText(['a'], 'groupName').error).toBe('A group name must be text');
    expect(checkText('a\uD800b', 'targetName').error).toBe('The name is not valid text (a broken character)');
    expect(checkText('a\uD800b', 'filter')).toEqual({ value: 'a\uFFFDb' });
  });

  it('keeps ordinary text of every script as it is', () => {
    for (const name of ['Ω Centauri', 'M13', 'Тау Кита', '天狼星', 'نجم', 'כוכב', 'NGC 6205 (M13)', "Barnard's star", '🔭 night 1']) {
      expect(checkText(name, 'targetName')).toEqual({ value: name });
    }
  });
});

describe('searchText', () => {
  it('cleans without refusing, so pasted invisible characters still find the name', () => {
    expect(searchText('  M13\u200B\u202E ')).toBe('M13');
    expect(searchText('Me\u0301sza\u0301ros')).toBe('Mészáros');
    expect(searchText('x'.repeat(500))).toHaveLength(200);
  });
});

describe('characterCount', () => {
  it('counts code points', () => {
    expect(characterCount('abc')).toBe(3);
    expect(characterCount('🔭🔭')).toBe(2);
    expect(characterCount('a\uD800')).toBe(2);
  });
});

describe('text of several lines', () => {
  it('keeps line breaks (any kind becomes \\n), turns tabs into spaces and trims the ends', () => {
    expect(checkText('  Step 1:\r\n\tTick the frames\u2028\n\n\n\nStep 2 \u200B', 'instructions')).toEqual({ value: 'Step 1:\n    Tick the frames\n\nStep 2' });
  });

  it('refuses other control and bidirectional characters, and text over its limit', () => {
    expect(checkText('a\u0007b', 'answer').error).toBe('The answer cannot contain control characters');
    expect(checkText('a\u202Eb', 'feedback').error).toMatch(/^The feedback cannot contain bidirectional control characters/);
    expect(checkText('x'.repeat(2_001), 'answer').error).toBe('The answer is at most 2000 characters (this one has 2001)');
  });
});
