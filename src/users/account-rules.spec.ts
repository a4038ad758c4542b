import { AccountRuleError, cleanDisplayName, cleanEmail, newPasswordProblem } from './account-rules';

describe('account rules', () => {
  it('cleans a display name: trimmed, blank is none, bounded, one line', () => {
    expect(cleanDisplayName('  Ada Lovelace ')).toBe('Ada Lovelace');
    expect(cleanDisplayName('   ')).toBeNull();
    expect(cleanDisplayName(undefined)).toBeNull();
    expect(cleanDisplayName(null)).toBeNull();
    expect(() => cleanDisplayName('x'.repeat(151))).toThrow('The display name is at most 150 characters');
    expect(() => cleanDisplayName('Ada\nLovelace')).toThrow(AccountRuleError);
    expect(() => cleanDisplayName(['Ada'])).toThrow('The display name must be text');
  });

  it('cleans a display name by the text rule: NFC, invisible characters out, bidi controls refused', () => {
    expect(cleanDisplayName('Ana Me\u0301sza\u0301ros\u200B')).toBe('Ana Mészáros');
    expect(cleanDisplayName('\u200B\uFEFF')).toBeNull();
    expect(() => cleanDisplayName('Ana\u202Eadmin')).toThrow('The display name cannot contain bidirectional control characters');
  });

  it('says what is wrong with a new password', () => {
    expect(newPasswordProblem('short', 'short')).toBe('The new password must be at least 8 characters');
    expect(newPasswordProblem('x'.repeat(257), 'x'.repeat(257))).toBe('The new password is at most 256 characters');
    expect(newPasswordProblem('long enough', 'long enougH')).toBe('The two new passwords differ; type the same one twice');
    expect(newPasswordProblem('comet-maple-river-482', 'comet-maple-river-482', 'comet-maple-river-482')).toBe('Choose a password different from the current one');
    expect(newPasswordProblem('my own words', 'my own words', 'comet-maple-river-482')).toBeNull();
  });
});

describe('cleanEmail', () => {
  it('keeps an address as written, trimmed; blank is none', () => {
    expect(cleanEmail('  Ann.Lee+astro@School.example ')).toBe('Ann.Lee+astro@School.example');
    expect(cleanEmail('élève@école.example')).toBe('élève@école.example');
    expect(cleanEmail('')).toBeNull();
    expect(cleanEmail(null)).toBeNull();
  });

  it('refuses what is not an address, saying how to write one', () => {
    for (const value of ['ann', 'ann@school', 'ann@@school.example', 'ann lee@school.example', 'ann@school..example', '<ann@school.example>', 'ann@.example', 'a@b.c']) {
      expect(() => cleanEmail(value)).toThrow(/is not an email address: write it as name@school.example/);
    }
    expect(() => cleanEmail('ann\n@school.example')).toThrow(/control characters/);
    expect(() => cleanEmail(`${'a'.repeat(250)}@school.example`)).toThrow(/at most 254 characters/);
    expect(() => cleanEmail(42)).toThrow(/must be text/);
  });
});
