import { formatJoinCode, generateJoinCode, JOIN_CODE_ALPHABET, normalizeJoinCode } from './join-code';

describe('join codes', () => {
  it('are 8 characters without look-alikes', () => {
    for (const c of '01IO') expect(JOIN_CODE_ALPHABET).not.toContain(c);
    const codes = Array.from({ length: 200 }, generateJoinCode);
    for (const code of codes) expect(code).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('are shown with a dash and read back however they are typed', () => {
    expect(formatJoinCode('ABCDEF23')).toBe('ABCD-EF23');
    expect(normalizeJoinCode('abcd-ef23')).toBe('ABCDEF23');
    expect(normalizeJoinCode(' ab cd ef 23 ')).toBe('ABCDEF23');
    expect(normalizeJoinCode('ABCDEF23')).toBe('ABCDEF23');
  });

  it('refuses what cannot be a code', () => {
    for (const input of ['', 'ABCDEF2', 'ABCDEF234', 'ABCDEF20', 'ABCDEFI3', 'ABCD_EF23', 42, null, undefined]) {
      expect(normalizeJoinCode(input)).toBeNull();
    }
  });
});
