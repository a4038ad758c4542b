import { readRosterCsv } from './roster-csv.reader';
import { loginCardsFileName, loginCardsToCsv } from './login-cards.writer';

describe('loginCardsToCsv', () => {
  const csv = loginCardsToCsv(
    [
      { displayName: 'Lovelace, Ada', username: 'ada', password: 'comet-maple-river-482' },
      { displayName: '=HYPERLINK("x")', username: 'eve', password: 'owl-fern-lotus-101' },
    ],
    'Year 10; Tuesday',
    'http://portal.example/login',
  );

  it('has one row per card, quoted where needed, with formulas defused', () => {
    expect(csv.split('\r\n')).toEqual([
      'name,username,password,class,portal',
      '"Lovelace, Ada",ada,comet-maple-river-482,"Year 10; Tuesday",http://portal.example/login',
      `"'=HYPERLINK(""x"")",eve,owl-fern-lotus-101,"Year 10; Tuesday",http://portal.example/login`,
      '',
    ]);
  });

  it('reads back as a roster (name and username; the other columns are ignored)', () => {
    const reading = readRosterCsv(csv);
    expect(reading.problems).toEqual([]);
    expect(reading.rows.map((row) => [row.name, row.username])).toEqual([['Lovelace, Ada', 'ada'], [`'=HYPERLINK("x")`, 'eve']]);
    expect(reading.ignoredColumns).toEqual(['password', 'class', 'portal']);
  });

  it('names the file after the class', () => {
    expect(loginCardsFileName('Année 10 / Tuesday')).toBe('annee-10-tuesday-login-cards.csv');
    expect(loginCardsFileName('李')).toBe('class-login-cards.csv');
  });
});
