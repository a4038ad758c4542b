import { csvCell, csvRow, isFormulaLike, neutralizeFormula, readCsvText, toCsv } from './csv-writer';

describe('the CSV writer', () => {
  it('puts an apostrophe before every cell a spreadsheet would run', () => {
    expect(csvCell('=HYPERLINK("http://evil.example","click")')).toBe('"\'=HYPERLINK(""http://evil.example"",""click"")"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+cmd|x')).toBe("'+cmd|x");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(csvCell('  =1')).toBe("'  =1");
    expect(csvCell('＝1+1')).toBe("'＝1+1");
  });

  it('leaves numbers as numbers: JavaScript numbers and text that is a plain decimal number', () => {
    expect(csvCell(-1.5)).toBe('-1.5');
    expect(csvCell('-1.5')).toBe('-1.5');
    expect(csvCell('+3')).toBe('+3');
    expect(csvCell('-2.5e-3')).toBe('-2.5e-3');
    expect(csvCell('-.5')).toBe('-.5');
    expect(csvCell(0)).toBe('0');
    // Not plain numbers: a sign and more.
    expect(csvCell('-1.5 mag')).toBe("'-1.5 mag");
    expect(csvCell('-')).toBe("'-");
    expect(csvCell('--1')).toBe("'--1");
  });

  it('leaves ordinary text alone and quotes only what needs it', () => {
    expect(csvCell('V')).toBe('V');
    expect(csvCell('M13 a=b')).toBe('M13 a=b');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(' padded ')).toBe('" padded "');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('is undone exactly by readCsvText, apostrophes the author typed included', () => {
    for (const text of ['=1+1', "'=1+1", "''=x", "'hello", 'plain', '-1.5', "'-1.5", '@x', ' =x', '\t-x', "'", '']) {
      expect(readCsvText(neutralizeFormula(text))).toBe(text);
      expect(isFormulaLike(neutralizeFormula(text))).toBe(false);
    }
  });

  it('writes rows and whole files with the chosen line end', () => {
    expect(csvRow(['a', 1, null, '=x'])).toBe("a,1,,'=x");
    expect(toCsv(['name', 'value'], [['a', 1], ['-b', -2]])).toBe("name,value\na,1\n'-b,-2\n");
    expect(toCsv(['x'], [], { lineEnd: '\r\n' })).toBe('x\r\n');
  });
});
