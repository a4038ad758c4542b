import { loadConfig } from './app-config';

describe('loadConfig', () => {
  it('defaults to port 3000, ./data, the embedded services and a 2 GiB upload limit', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.databaseUrl).toBe('');
    expect(config.redisUrl).toBe('');
    expect(config.uploadMaxBytes).toBe(2 * 1024 ** 3);
  });

  it('reads sizes with units', () => {
    expect(loadConfig({ UPLOAD_MAX_BYTES: '500MB' }).uploadMaxBytes).toBe(500 * 1024 ** 2);
    expect(loadConfig({ UPLOAD_MAX_BYTES: '1024' }).uploadMaxBytes).toBe(1024);
    expect(() => loadConfig({ UPLOAD_MAX_BYTES: 'lots' })).toThrow(/UPLOAD_MAX_BYTES/);
  });

  it('refuses a port that is not a number', () => {
    expect(() => loadConfig({ PORT: 'http' })).toThrow(/PORT/);
  });

  it('logs JSON at info by default; LOG_LEVEL and LOG_FORMAT choose otherwise, and a typo is refused by name', () => {
    expect(loadConfig({})).toMatchObject({ logLevel: 'info', logFormat: 'json' });
    expect(loadConfig({ LOG_LEVEL: 'DEBUG', LOG_FORMAT: 'text' })).toMatchObject({ logLevel: 'debug', logFormat: 'text' });
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL: "verbose" is not one of fatal, error/);
    expect(() => loadConfig({ LOG_FORMAT: 'pretty' })).toThrow(/LOG_FORMAT: "pretty" is not one of json, text/);
  });

  it('reads every abuse limit, with defaults, and refuses a limit that is not a whole number above 0', () => {
    expect(loadConfig({}).throttling).toEqual({
      loginFailuresPerUsername: 5,
      loginFailuresPerAddress: 20,
      loginWindowSeconds: 900,
      joinCodeFailuresPerUser: 10,
      joinCodeFailuresPerAddress: 50,
      joinCodeWindowSeconds: 900,
      apiRequests: 600,
      apiWindowSeconds: 60,
    });
    expect(loadConfig({ THROTTLE_LOGIN_PER_USERNAME: '2', THROTTLE_API_LIMIT: '7' }).throttling).toMatchObject({ loginFailuresPerUsername: 2, apiRequests: 7 });
    expect(() => loadConfig({ THROTTLE_API_WINDOW_SECONDS: '0' })).toThrow(/THROTTLE_API_WINDOW_SECONDS: "0" is not a whole number above 0/);
  });

  it('gives runs 30 s to finish at shutdown by default; SHUTDOWN_GRACE_SECONDS=0 interrupts them at once', () => {
    expect(loadConfig({}).shutdownGraceSeconds).toBe(30);
    expect(loadConfig({ SHUTDOWN_GRACE_SECONDS: '0' }).shutdownGraceSeconds).toBe(0);
    expect(loadConfig({ SHUTDOWN_GRACE_SECONDS: '120' }).shutdownGraceSeconds).toBe(120);
    expect(() => loadConfig({ SHUTDOWN_GRACE_SECONDS: '-1' })).toThrow(/SHUTDOWN_GRACE_SECONDS: "-1" is not a whole number of 0 or more/);
    expect(() => loadConfig({ SHUTDOWN_GRACE_SECONDS: '1.5' })).toThrow(/SHUTDOWN_GRACE_SECONDS/);
  });

  it('believes X-Forwarded-For from loopback by default; TRUST_PROXY names other proxies or a hop count', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
  });
  it('reads the notification email settings: none by default, smtp(s) URLs only, and the address for links', () => {
    expect(loadConfig({})).toMatchObject({ smtpUrl: '', mailFrom: 'Astro Edu Portal <no-reply@localhost>', portalUrl: 'http://localhost:3000' });
    expect(loadConfig({ SMTP_URL: ' smtp://u:p@mail.school.example:587?ignoreTLS=true ', MAIL_FROM: 'Portal <portal@school.example>' })).toMatchObject({
      smtpUrl: 'smtp://u:p@mail.school.example:587?ignoreTLS=true',
      mailFrom: 'Portal <portal@school.example>',
    });
    expect(loadConfig({ SMTP_URL: 'smtps://mail.school.example' }).smtpUrl).toBe('smtps://mail.school.example');
    for (const url of ['mail.school.example', 'http://mail.school.example', 'smtp://']) expect(() => loadConfig({ SMTP_URL: url })).toThrow(/SMTP_URL/);
    expect(loadConfig({ PORT: '8080' }).portalUrl).toBe('http://localhost:8080');
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://portal.school.example' }).portalUrl).toBe('https://portal.school.example');
    expect(loadConfig({ PORTAL_URL: 'https://school.example/portal/' }).portalUrl).toBe('https://school.example/portal');
    expect(() => loadConfig({ PORTAL_URL: 'portal.school.example' })).toThrow(/PORTAL_URL/);
  });
});
