import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorDto } from './dto/common.dto';

const RETRY_AFTER = { 'Retry-After': { description: 'seconds until the limit lets the caller in again', schema: { type: 'integer', minimum: 0 } } };

/**
 * What every API controller shares in the OpenAPI document: its tag, both ways to log in, and the errors any /api
 * route can answer whatever it does, since they come from the layers in front of every handler: the body parsers
 * (400 unreadable, 413 too large: they read a body sent with any method), the log-in guard (401), the forced
 * password change and the CSRF check (403), and the API limit (429, @nestjs/throttler's global guard).
 */
export function ApiResource(tag: string) {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    ApiCookieAuth(),
    ApiBadRequestResponse({ type: ErrorDto, description: 'invalid input (`errors` names the fields), or a body that cannot be read' }),
    ApiUnauthorizedResponse({ type: ErrorDto, description: 'not logged in, or the API token is invalid or revoked' }),
    ApiForbiddenResponse({
      type: ErrorDto,
      description: 'not allowed; a session whose password must be changed first; or a session request that changes state without X-CSRF-Token',
    }),
    ApiPayloadTooLargeResponse({ type: ErrorDto, description: 'the request body is over its limit (a JSON or form body: 100 kB)' }),
    ApiTooManyRequestsResponse({
      type: ErrorDto,
      description: 'over the API request limit (THROTTLE_API_LIMIT requests every THROTTLE_API_WINDOW_SECONDS, per user or, logged out, per address)',
      headers: RETRY_AFTER,
    }),
  );
}

/**
 * A zip download's success: application/zip bytes, streamed (no Content-Length), as an attachment. Only on the
 * success: the errors stay JSON ErrorDto (ApiProduces would claim the zip type for them too).
 */
export const ApiZipDownload = (description: string) =>
  ApiOkResponse({
    description,
    content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
    headers: { 'Content-Disposition': { description: 'attachment; filename="…"; filename*=UTF-8\'\'… (the name in UTF-8)', schema: { type: 'string' } } },
  });

/** A 404 for a route that names something (`what`) in its path or body; a path id that cannot be an id is one too. */
export const ApiMissing = (what: string) => ApiNotFoundResponse({ type: ErrorDto, description: `no such ${what}` });
