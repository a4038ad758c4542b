import { decodeRosterBytes, readRosterCsv, ROSTER_MAX_ROWS } from './roster-csv.reader';

describe('readRosterCsv', () => {
  it('reads a header with name and username, the username optional per row', () => {
    const reading = readRosterCsv('name,username\nAda Lovelace,ada\nCarl Sagan,\n');
    expect(reading.problems).toEqual([]);
    expect(reading.header).toBe(true);
    expect(reading.rows).toEqual([
      { line: 2, name: 'Ada Lovelace', username: 'ada' },
      { line: 3, name: 'Carl Sagan', username: null },
    ]);
  });

  it('matches header names loosely and ignores other columns', () => {
    const reading = readRosterCsv('E-mail,Display_Name,User Name\nada@example.org,Ada,ada\n');
    expect(reading.rows).toEqual([{ line: 2, name: 'Ada', username: 'ada' }]);
    expect(reading.ignoredColumns).toEqual(['E-mail']);
  });

  it('joins first and last name columns when there is no name column', () => {
    const reading = readRosterCsv('First name;Surname\nAda;Lovelace\nCher;\n');
    expect(reading.rows.map((row) => row.name)).toEqual(['Ada Lovelace', 'Cher']);
  });

  it('takes a plain list of names without a header', () => {
    const reading = readRosterCsv('Ada Lovelace\n\nCarl Sagan\n"Lovelace, Ada"\n');
    expect(reading.header).toBe(false);
    expect(reading.problems).toEqual([]);
    expect(reading.rows).toEqual([
      { line: 1, name: 'Ada Lovelace', username: null },
      { line: 3, name: 'Carl Sagan', username: null },
      { line: 4, name: 'Lovelace, Ada', username: null },
    ]);
  });

  it('handles quotes: commas, doubled quotes and line breaks inside quotes, with line numbers of the file', () => {
    const reading = readRosterCsv('name,username\n"Lovelace, Ada",ada\n"Jean ""JJ"" Smith",jj\n"Two\nLines",two\nLast,last\n');
    expect(reading.problems).toEqual([]);
    expect(reading.rows).toEqual([
      { line: 2, name: 'Lovelace, Ada', username: 'ada' },
      { line: 3, name: 'Jean "JJ" Smith', username: 'jj' },
      { line: 4, name: 'Two Lines', username: 'two' },
      { line: 6, name: 'Last', username: 'last' },
    ]);
  });

  it('strips a byte order mark and reads CRLF, CR and blank lines', () => {
    const reading = readRosterCsv('\uFEFFname,username\r\nAda,ada\r\n\r\n   \r\nCarl,carl\rGrace,\r\n');
    expect(reading.problems).toEqual([]);
    expect(reading.rows).toEqual([
      { line: 2, name: 'Ada', username: 'ada' },
      { line: 5, name: 'Carl', username: 'carl' },
      { line: 6, name: 'Grace', username: null },
    ]);
  });

  it('reads tab-separated text pasted from a spreadsheet', () => {
    const reading = readRosterCsv('Name\tUsername\nAda Lovelace\tada\n');
    expect(reading.rows).toEqual([{ line: 2, name: 'Ada Lovelace', username: 'ada' }]);
  });

  it('reports bad rows by line and keeps reading the good ones', () => {
    const reading = readRosterCsv('name,username\nAda,ada\n,nobody\nLovelace, Ada,ada2,extra\nx\u0007y,bell\n' + `${'a'.repeat(151)},long\n`);
    expect(reading.rows).toEqual([{ line: 2, name: 'Ada', username: 'ada' }]);
    expect(reading.problems).toEqual([
      { line: 3, reason: 'the name is empty' },
      { line: 4, reason: expect.stringContaining('the line has 4 values but the header names 2 columns') },
      { line: 5, reason: 'the name cannot contain line breaks, tabs or other control characters' },
      { line: 6, reason: 'the name is at most 150 characters (this one has 151)' },
    ]);
  });

  it('cleans names by the display-name text rule: NFC, invisible characters out, bidi controls refused', () => {
    const reading = readRosterCsv('name\nAna Me\u0301sza\u0301ros\u200B\nEve\u202Enimda\n');
    expect(reading.rows).toEqual([{ line: 2, name: 'Ana Mészáros', username: null }]);
    expect(reading.problems).toEqual([{ line: 3, reason: expect.stringContaining('the name cannot contain bidirectional control characters') }]);
  });

  it('reports a quote that is never closed on the line where it opened', () => {
    const reading = readRosterCsv('name\nAda\n"Carl Sagan\nGrace\n');
    expect(reading.rows.map((row) => row.name)).toEqual(['Ada']);
    expect(reading.problems).toEqual([{ line: 3, reason: expect.stringContaining('closing quote') }]);
  });

  it('reports text after a closing quote', () => {
    expect(readRosterCsv('name\n"Ada" Lovelace\n').problems).toEqual([{ line: 2, reason: expect.stringContaining('after a closing quote') }]);
  });

  it('needs a name column, and a header or one name per line', () => {
    expect(readRosterCsv('username,email\nada,a@b.c\n').problems).toEqual([{ line: 1, reason: expect.stringContaining('needs a "name" column') }]);
    expect(readRosterCsv('Ada,ada\nCarl,carl\n').problems).toEqual([{ line: 1, reason: expect.stringContaining('first line must name the columns') }]);
    expect(readRosterCsv('name,Name\nAda,Ada\n').problems).toEqual([{ line: 1, reason: 'the header names the name column twice' }]);
  });

  it('refuses an empty roster and a header without students', () => {
    expect(readRosterCsv('\n  \n').problems).toEqual([{ line: 1, reason: expect.stringContaining('empty') }]);
    expect(readRosterCsv('name,username\n').problems).toEqual([{ line: 1, reason: 'the roster has a header but no students' }]);
  });

  it('takes missing trailing values as empty', () => {
    expect(readRosterCsv('name,username,email\nAda\n').rows).toEqual([{ line: 2, name: 'Ada', username: null }]);
  });

  it(`stops after ${ROSTER_MAX_ROWS} students`, () => {
    const names = Array.from({ length: ROSTER_MAX_ROWS + 5 }, (_, i) => `Student ${i}`);
    const reading = readRosterCsv(['name', ...names].join('\n'));
    expect(reading.rows).toHaveLength(ROSTER_MAX_ROWS);
    expect(reading.problems).toEqual([{ line: ROSTER_MAX_ROWS + 2, reason: expect.stringContaining(`at most ${ROSTER_MAX_ROWS}`) }]);
  });
});

describe('decodeRosterBytes', () => {
  it('reads UTF-8 with and without a BOM', () => {
    expect(decodeRosterBytes(Buffer.from('name\nJosé\n', 'utf8'))).toBe('name\nJosé\n');
    expect(readRosterCsv(decodeRosterBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name\nJosé\n')]))).rows[0].name).toBe('José');
  });

  it('reads UTF-16 with a BOM and falls back to Windows-1252', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name\nZoë\n', 'utf16le')]);
    expect(decodeRosterBytes(utf16)).toBe('name\nZoë\n');
    expect(decodeRosterBytes(Buffer.from([0x4a, 0x6f, 0x73, 0xe9]))).toBe('José');
  });
});
