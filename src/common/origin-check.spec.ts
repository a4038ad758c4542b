import { loadConfig } from '../config/app-config';
import { originAllowed } from './origin-check';

describe('originAllowed', () => {
  it('accepts a page of the host the request was sent to, by either scheme, and nothing else', () => {
    expect(originAllowed('http://portal.school:3000', 'portal.school:3000', [])).toBe(true);
    expect(originAllowed('https://portal.school', 'PORTAL.school', [])).toBe(true);
    expect(originAllowed('http://portal.school:3001', 'portal.school:3000', [])).toBe(false);
    expect(originAllowed('http://portal.school.evil.example', 'portal.school', [])).toBe(false);
    expect(originAllowed('http://evil.example', 'portal.school', [])).toBe(false);
    expect(originAllowed('http://portal.school', undefined, [])).toBe(false);
  });

  it('refuses "null", other schemes and garbage', () => {
    for (const origin of ['null', '', 'not a url', 'file:///tmp/x.html', 'chrome-extension://abc', 'ws://portal.school']) {
      expect(originAllowed(origin, 'portal.school', [])).toBe(false);
    }
  });

  it('with ALLOWED_ORIGINS, accepts exactly the listed origins, whatever the Host header says', () => {
    const { allowedOrigins } = loadConfig({ ALLOWED_ORIGINS: 'https://portal.school.example, http://10.0.0.5:3000' });
    expect(allowedOrigins).toEqual(['https://portal.school.example', 'http://10.0.0.5:3000']);
    expect(originAllowed('https://portal.school.example', 'localhost:3000', allowedOrigins)).toBe(true);
    expect(originAllowed('https://PORTAL.school.example:443', 'localhost:3000', allowedOrigins)).toBe(true);
    expect(originAllowed('http://10.0.0.5:3000', 'localhost:3000', allowedOrigins)).toBe(true);
    expect(originAllowed('http://portal.school.example', 'portal.school.example', allowedOrigins)).toBe(false);
    expect(originAllowed('http://localhost:3000', 'localhost:3000', allowedOrigins)).toBe(false);
  });

  it('ALLOWED_ORIGINS: empty by default; an entry that is not an origin is refused by name', () => {
    expect(loadConfig({}).allowedOrigins).toEqual([]);
    expect(loadConfig({ ALLOWED_ORIGINS: ' , ' }).allowedOrigins).toEqual([]);
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://portal.example/' }).allowedOrigins).toEqual(['https://portal.example']);
    for (const wrong of ['portal.example', 'https://portal.example/app', 'ftp://portal.example', 'https://user:pw@portal.example', 'https://portal.example?x=1']) {
      expect(() => loadConfig({ ALLOWED_ORIGINS: wrong })).toThrow(`ALLOWED_ORIGINS: "${wrong}" is not an origin`);
    }
  });
});
