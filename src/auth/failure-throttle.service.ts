import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp, ThrottlerException, ThrottlerStorage } from '@nestjs/throttler';
import { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** At most `limit` failures per tracker (a username, a user, an address) within `windowSeconds`. */
export interface FailureLimit {
  name: string;
  limit: number;
  windowSeconds: number;
  /** The start of the refusal message, e.g. "Too many failed logins for this username". */
  refusal: string;
}

/** One limit applied to one tracker. */
export interface FailureKey {
  limit: FailureLimit;
  tracker: string;
}

export interface Refusal {
  key: FailureKey;
  retryAfterSeconds: number;
}

/** 429 with the seconds to wait; whoever answers sets them as the Retry-After header. */
export class TooManyFailuresException extends ThrottlerException {
  constructor(readonly refusal: Refusal) {
    super(`${refusal.key.limit.refusal}. Try again in ${waitText(refusal.retryAfterSeconds)}.`);
  }

  get retryAfterSeconds(): number {
    return this.refusal.retryAfterSeconds;
  }
}

/** "40 seconds", "1 minute", "15 minutes". */
export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The client's address as the throttler library groups it (an IPv6 address by its /64, as one household's). */
export const addressOf = (req: Request): string => normalizeIp(req.ip ?? req.socket?.remoteAddress ?? 'unknown');

/**
 * Throttles failures, not requests: failed logins and wrong join codes count, successes do not, so a class of 30
 * logging in from one school router is never refused, while a guesser is. Counting is @nestjs/throttler's storage
 * (its `increment`, the only operation a storage has); two records per key make "only failures count" out of it:
 *
 * - `…:failures` counts failures (a limit that never blocks by itself: only its count is read);
 * - `…:gate` is closed (blocked for one window) when the count reaches the limit. Every attempt first asks the gate
 *   with an unreachable limit, which blocks nothing and reports a closed gate with the seconds left.
 *
 * The failures up to the limit are answered as failures (401 for a login); the attempt after the last allowed one is
 * refused (429) without its password being checked, right or not, so a guesser learns nothing more until the window
 * has passed.
 */
@Injectable()
export class FailureThrottleService {
  readonly limits: {
    loginUsername: FailureLimit;
    loginAddress: FailureLimit;
    joinCodeUser: FailureLimit;
    joinCodeAddress: FailureLimit;
  };

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const t = config.throttling;
    this.limits = {
      loginUsername: { name: 'login-username', limit: t.loginFailuresPerUsername, windowSeconds: t.loginWindowSeconds, refusal: 'Too many failed logins for this username' },
      loginAddress: { name: 'login-address', limit: t.loginFailuresPerAddress, windowSeconds: t.loginWindowSeconds, refusal: 'Too many failed logins from your network' },
      joinCodeUser: { name: 'join-code-user', limit: t.joinCodeFailuresPerUser, windowSeconds: t.joinCodeWindowSeconds, refusal: 'Too many wrong join codes' },
      joinCodeAddress: { name: 'join-code-address', limit: t.joinCodeFailuresPerAddress, windowSeconds: t.joinCodeWindowSeconds, refusal: 'Too many wrong join codes from your network' },
    };
  }

  /**
   * The keys of a login attempt: the address and the username as typed (any case, trimmed). Also of a password
   * check on /profile (`username` given): the same secret, so the same budget.
   */
  loginKeys(req: Request, username: unknown = req.body?.username): FailureKey[] {
    return [
      { limit: this.limits.loginAddress, tracker: addressOf(req) },
      { limit: this.limits.loginUsername, tracker: String(username ?? '').trim().toLowerCase().slice(0, 200) },
    ];
  }

  /** The keys of a join-code guess: the address, and the user when logged in (/classes/join; /signup has none). */
  joinCodeKeys(req: Request): FailureKey[] {
    const user = req.user as { id?: string } | undefined;
    return [
      { limit: this.limits.joinCodeAddress, tracker: addressOf(req) },
      ...(user?.id ? [{ limit: this.limits.joinCodeUser, tracker: user.id }] : []),
    ];
  }

  /** Refuses (429) when any key's gate is closed; counts nothing. */
  async assertAllowed(keys: FailureKey[]): Promise<void> {
    for (const key of keys) {
      const window = key.limit.windowSeconds * 1000;
      const gate = await this.storage.increment(gateKey(key), window, Number.MAX_SAFE_INTEGER, window, `${key.limit.name}:gate`);
      if (gate.isBlocked) throw new TooManyFailuresException({ key, retryAfterSeconds: Math.max(1, gate.timeToBlockExpire) });
    }
  }

  /** Counts one failure against every key and closes the gate of each key that reached its limit. */
  async recordFailure(keys: FailureKey[]): Promise<Refusal | null> {
    let refusal: Refusal | null = null;
    for (const key of keys) {
      const window = key.limit.windowSeconds * 1000;
      const failures = await this.storage.increment(countKey(key), window, Number.MAX_SAFE_INTEGER, window, `${key.limit.name}:failures`);
      if (failures.totalHits < key.limit.limit) continue;
      // A limit of 0 blocks at the first hit: the gate closes for one window.
      const gate = await this.storage.increment(gateKey(key), window, 0, window, `${key.limit.name}:gate`);
      const retryAfterSeconds = Math.max(1, gate.timeToBlockExpire);
      if (!refusal || retryAfterSeconds > refusal.retryAfterSeconds) refusal = { key, retryAfterSeconds };
    }
    return refusal;
  }
}

const countKey = (key: FailureKey) => `failures:${key.limit.name}:${key.tracker}`;
const gateKey = (key: FailureKey) => `gate:${key.limit.name}:${key.tracker}`;
