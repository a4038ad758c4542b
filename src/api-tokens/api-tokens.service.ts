import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { textOrThrow } from '../common/text-input';
import { SessionUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { ApiToken } from './api-token.entity';
import { generateToken, hashToken, looksLikeToken } from './api-token.codec';
import { isRowId } from '../common/request-parsing';

/** A user may hold this many tokens; enough for every notebook and hook, few enough to review on one page. */
export const MAX_TOKENS_PER_USER = 20;
/** `last_used_at` is written at most this often per token, so every API call does not cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiTokensService {
  constructor(
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    private readonly users: UsersService,
  ) {}

  /** Makes a token for `user`; the returned `token` is the only time the secret exists outside the caller. */
  async create(user: Pick<SessionUser, 'id'>, name: string): Promise<{ token: string; apiToken: ApiToken }> {
    const cleanName = textOrThrow(name, 'tokenName');
    if (!cleanName) throw new BadRequestException('Give the token a name, e.g. "Jupyter notebook"');
    if ((await this.tokens.count({ where: { userId: user.id } })) >= MAX_TOKENS_PER_USER) {
      throw new BadRequestException(`You have ${MAX_TOKENS_PER_USER} tokens already; revoke one you no longer use first`);
    }
    const token = generateToken();
    const apiToken = await this.tokens.save(
      this.tokens.create({ userId: user.id, name: cleanName, tokenHash: hashToken(token), prefix: token.slice(0, 12) }),
    );
    return { token, apiToken };
  }

  listFor(userId: string): Promise<ApiToken[]> {
    return this.tokens.find({ where: { userId }, order: { createdAt: 'DESC' } });
  }

  /** Deletes one of the user's own tokens; another user's token id is "not found", not "forbidden". */
  async revoke(userId: string, id: number): Promise<ApiToken> {
    const apiToken = isRowId(id) ? await this.tokens.findOne({ where: { id, userId } }) : null;
    if (!apiToken) throw new NotFoundException(`You have no API token with id ${id}`);
    await this.tokens.delete({ id: apiToken.id });
    return apiToken;
  }

  /** The user a presented token belongs to, or null for an unknown, revoked or malformed token. */
  async authenticate(token: string): Promise<SessionUser | null> {
    if (!looksLikeToken(token)) return null;
    const row = await this.tokens
      .createQueryBuilder('t')
      .innerJoin('t.user', 'u')
      .select(['t.id AS id', 't.last_used_at AS "lastUsedAt"', 'u.id AS "userId"'])
      .where('t.token_hash = :hash', { hash: hashToken(token) })
      .andWhere('u.active')
      .getRawOne<{ id: number; lastUsedAt: Date | null; userId: string }>();
    if (!row) return null;
    // The same user (and sharing facts) as a session would carry; null if deactivated meanwhile.
    const user = await this.users.findSessionUser(row.userId);
    if (!user) return null;
    if (!row.lastUsedAt || Date.now() - new Date(row.lastUsedAt).getTime() > LAST_USED_RESOLUTION_MS) {
      await this.tokens.update({ id: row.id }, { lastUsedAt: new Date() });
    }
    return user;
  }
}
