import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { PIPELINE_REDIS_URL } from '../pipeline-runs/pipeline.tokens';

/** How long the login cards' CSV can be downloaded after an import, at most (and only once). */
export const LOGIN_CARDS_TTL_SECONDS = 600;

export interface LoginCardsFile {
  fileName: string;
  csv: string;
}

interface Sealed extends LoginCardsFile {
  userId: string;
  classroomId: number;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const redisKey = (token: string) => `portal:login-cards:${createHash('sha256').update(`id:${token}`).digest('hex')}`;
const cipherKey = (token: string) => Buffer.from(hkdfSync('sha256', token, 'portal login cards', 'aes-256-gcm', 32));

/**
 * The one-time download of a roster import's login cards (CSV with passwords). The cards page gets a random token;
 * Redis keeps the file for 10 minutes under a hash of the token, encrypted with a key derived from the token, so
 * Redis alone never holds a readable password. The first download by the importing user deletes it; after that, or
 * after 10 minutes, the link answers 410. Redis rather than memory, so any web process can serve the link.
 */
@Injectable()
export class LoginCardsStore implements OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(@Inject(PIPELINE_REDIS_URL) redisUrl: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 20, lazyConnect: true });
  }

  /** Keeps the file for its owner; returns the token for the download link. */
  async put(owner: { userId: string; classroomId: number }, file: LoginCardsFile): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', cipherKey(token), iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ ...owner, ...file } satisfies Sealed), 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    await this.redis.set(redisKey(token), sealed, 'EX', LOGIN_CARDS_TTL_SECONDS);
    return token;
  }

  /** The file, once, for the user and class that made it; null when used, expired, unknown or someone else's. */
  async take(token: string, owner: { userId: string; classroomId: number }): Promise<LoginCardsFile | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const key = redisKey(token);
    const sealed = await this.redis.get(key);
    if (!sealed) return null;
    let file: Sealed;
    try {
      const bytes = Buffer.from(sealed, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', cipherKey(token), bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      file = JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8'));
    } catch {
      return null;
    }
    if (file.userId !== owner.userId || file.classroomId !== owner.classroomId) return null;
    // Only the request whose DEL removed the key serves the file: two clicks at once make one download.
    if ((await this.redis.del(key)) !== 1) return null;
    return { fileName: file.fileName, csv: file.csv };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
