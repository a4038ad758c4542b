import { Injectable, NestMiddleware, UnauthorizedException } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { bearerTokenOf } from '../api-tokens/api-token.codec';
import { ApiTokensService } from '../api-tokens/api-tokens.service';
import { isApiPath } from '../common/api-path';

/** Marks a request whose user came from an API token rather than the session cookie. */
export const TOKEN_AUTH = Symbol('tokenAuth');

export function isTokenAuthenticated(req: Request): boolean {
  return (req as unknown as Record<symbol, unknown>)[TOKEN_AUTH] === true;
}

/**
 * `Authorization: Bearer <token>` on an `/api` route logs the request in as the token's owner, for this request only
 * (no session is made). A token that is unknown or revoked is refused outright rather than falling back to the
 * session, so a script learns at once that its token stopped working. Pages ignore the header: a token is for the
 * API, and must not be able to reach /profile and mint more tokens.
 */
@Injectable()
export class BearerTokenMiddleware implements NestMiddleware {
  constructor(private readonly apiTokens: ApiTokensService) {}

  async use(req: Request, _res: Response, next: NextFunction) {
    if (!isApiPath(req.originalUrl)) return next();
    const token = bearerTokenOf(req.get('authorization'));
    if (token === null) return next();
    const user = await this.apiTokens.authenticate(token);
    if (!user) throw new UnauthorizedException('The API token is invalid or has been revoked');
    req.user = user as Express.User;
    (req as unknown as Record<symbol, unknown>)[TOKEN_AUTH] = true;
    next();
  }
}
