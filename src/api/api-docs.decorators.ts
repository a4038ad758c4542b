import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorDto } from './dto/common.dto';

/** What every API controller shares in the OpenAPI document: its tag, both ways to log in, the common errors. */
export function ApiResource(tag: string) {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    ApiCookieAuth(),
    ApiUnauthorizedResponse({ type: ErrorDto, description: 'not logged in, or the API token is invalid or revoked' }),
    ApiForbiddenResponse({ type: ErrorDto, description: 'not allowed, or a session request that changes state lacks X-CSRF-Token' }),
    ApiBadRequestResponse({ type: ErrorDto, description: 'invalid input: `errors` names the fields' }),
  );
}

export const ApiMissing = (what: string) => ApiNotFoundResponse({ type: ErrorDto, description: `no such ${what}` });
