import { bearerTokenOf, generateToken, hashToken, looksLikeToken, TOKEN_PREFIX } from './api-token.codec';

describe('API token codec', () => {
  it('makes distinct tokens of the documented shape', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => generateToken()));
    expect(tokens.size).toBe(100);
    for (const token of tokens) {
      expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
      expect(looksLikeToken(token)).toBe(true);
    }
  });

  it('hashes to the SHA-256 hex digest', () => {
    // sha256("abc") from FIPS 180-2's example.
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses strings that cannot be tokens', () => {
    expect(looksLikeToken('aep_short')).toBe(false);
    expect(looksLikeToken(`xyz_${'a'.repeat(43)}`)).toBe(false);
    expect(looksLikeToken(`aep_${'a'.repeat(42)}!`)).toBe(false);
  });

  it('reads the bearer token of an Authorization header', () => {
    expect(bearerTokenOf('Bearer aep_x')).toBe('aep_x');
    expect(bearerTokenOf('bearer   aep_x ')).toBe('aep_x');
    expect(bearerTokenOf('Basic dXNlcjpwYXNz')).toBeNull();
    expect(bearerTokenOf('Bearer a b')).toBeNull();
    expect(bearerTokenOf(undefined)).toBeNull();
  });
});
