import { ThrottlerStorageService } from '@nestjs/throttler';
import { Request } from 'express';
import { loadConfig } from '../config/app-config';
import { FailureThrottleService, TooManyFailuresException, waitText } from './failure-throttle.service';

// The library's own in-memory storage, on a fake clock: the windows are real 15 minutes.
describe('FailureThrottleService', () => {
  let storage: ThrottlerStorageService;
  let throttle: FailureThrottleService;
  const login = (username: string, ip = '203.0.113.7') => throttle.loginKeys({ ip, body: { username } } as unknown as Request);

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-05T09:00:00Z') });
    storage = new ThrottlerStorageService();
    throttle = new FailureThrottleService(storage, loadConfig({ THROTTLE_LOGIN_PER_USERNAME: '3', THROTTLE_LOGIN_PER_ADDRESS: '5' }));
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('allows the failures up to the limit, then refuses every attempt for one window, and counts nothing by asking', async () => {
    const keys = login('Ada');
    for (let i = 0; i < 10; i++) await throttle.assertAllowed(keys); // asking is free
    for (let i = 0; i < 2; i++) expect(await throttle.recordFailure(keys)).toBeNull();
    await throttle.assertAllowed(keys);
    expect(await throttle.recordFailure(keys)).toMatchObject({ retryAfterSeconds: 900, key: { limit: { name: 'login-username' } } });

    const refusal = await throttle.assertAllowed(keys).catch((error) => error);
    expect(refusal).toBeInstanceOf(TooManyFailuresException);
    expect(refusal.getStatus()).toBe(429);
    expect(refusal.message).toBe('Too many failed logins for this username. Try again in 15 minutes.');
    expect(refusal.retryAfterSeconds).toBe(900);

    jest.advanceTimersByTime(10 * 60_000);
    expect((await throttle.assertAllowed(keys).catch((error) => error)).retryAfterSeconds).toBe(300);
    jest.advanceTimersByTime(5 * 60_000 + 1);
    await expect(throttle.assertAllowed(keys)).resolves.toBeUndefined();
    // A new window: the old failures are gone.
    expect(await throttle.recordFailure(keys)).toBeNull();
  });

  it('keys usernames in any case, and addresses apart from usernames', async () => {
    for (const name of ['carl', 'CARL', ' Carl ']) await throttle.recordFailure(login(name));
    await expect(throttle.assertAllowed(login('cArL', '198.51.100.1'))).rejects.toThrow(/for this username/);
    await expect(throttle.assertAllowed(login('dora'))).resolves.toBeUndefined();
    // Two more failures from the first address (5 in all) close it for every username.
    await throttle.recordFailure(login('eve'));
    await throttle.recordFailure(login('fay'));
    await expect(throttle.assertAllowed(login('dora'))).rejects.toThrow('Too many failed logins from your network. Try again in 15 minutes.');
    await expect(throttle.assertAllowed(login('dora', '198.51.100.1'))).resolves.toBeUndefined();
  });

  it('groups an IPv6 address by its /64 and an IPv4-mapped one as IPv4, as the library does', () => {
    const [a] = login('x', '2001:db8:1:2::5');
    const [b] = login('x', '2001:db8:1:2:ffff::9');
    const [c] = login('x', '::ffff:203.0.113.7');
    expect(a.tracker).toBe(b.tracker);
    expect(c.tracker).toBe('203.0.113.7');
  });

  it('counts a wrong join code per user and per address; /signup has no user', () => {
    const req = (user?: { id: string }) => ({ ip: '203.0.113.9', user, body: {} }) as unknown as Request;
    expect(throttle.joinCodeKeys(req({ id: 'u1' })).map((key) => [key.limit.name, key.tracker])).toEqual([
      ['join-code-address', '203.0.113.9'],
      ['join-code-user', 'u1'],
    ]);
    expect(throttle.joinCodeKeys(req()).map((key) => key.limit.name)).toEqual(['join-code-address']);
  });

  it('words the wait', () => {
    expect([1, 59, 60, 61, 900].map(waitText)).toEqual(['1 second', '59 seconds', '1 minute', '2 minutes', '15 minutes']);
  });
});
