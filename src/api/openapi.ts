import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, ParameterObject, SchemaObject, SwaggerModule } from '@nestjs/swagger';
import { APP_VERSION } from '../config/paths';
import { ROW_ID_SCHEMA } from './api-schema';
import { ApiModule } from './api.module';

export const OPENAPI_UI_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/docs-json';

/**
 * The OpenAPI document, built from the API controllers' decorators, with Swagger UI at /api/docs and the JSON
 * at /api/docs-json. Both are public; the UI's scripts and styles come from swagger-ui-dist in node_modules
 * (classrooms may be offline), so helmet's default `script-src 'self'` lets them run.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Astro Edu Portal API')
    .setDescription(
      'Targets, data products, groups, reduced data, pipelines and their runs. Authenticate with a personal API token ' +
        '(`Authorization: Bearer aep_...`, made on /profile) or the session cookie; session requests that change ' +
        'state send `X-CSRF-Token` (from GET /api/me). Lists take `limit` (default 50, at most 500) and `offset` and ' +
        'answer `{ items, total, limit, offset }`. Errors are `{ statusCode, message }`, with `errors` (field → ' +
        'messages) on a 400 "Validation failed".',
    )
    .setVersion(APP_VERSION)
    // Not a JWT (the library's default format): an opaque random token, stored only as its SHA-256.
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'aep_ API token', description: 'a personal API token from /profile: `aep_` and 43 base64url characters, opaque' })
    .addCookieAuth('portal.sid')
    .build();
  SwaggerModule.setup(OPENAPI_UI_PATH, app, () => withRowIdPaths(SwaggerModule.createDocument(app, config, { include: [ApiModule] })), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'api/docs-yaml',
    customSiteTitle: 'Astro Edu Portal API',
    // No calls to the public validator service: the UI works offline and helmet's CSP would refuse them anyway.
    swaggerOptions: { validatorUrl: null, persistAuthorization: false },
  });
}

/**
 * Path ids as the routes read them. Every numeric `{id}` of the API is read by ParseRowIdPipe (a row id: 1 to
 * 2^31 − 1, anything else a 404), which the library cannot see: it knows only the parameter's TypeScript type.
 */
export function withRowIdPaths(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.post, item.put, item.patch, item.delete]) {
      for (const parameter of (operation?.parameters ?? []) as ParameterObject[]) {
        if (parameter.in === 'path' && parameter.name === 'id' && (parameter.schema as SchemaObject | undefined)?.type === 'number') {
          parameter.schema = { ...ROW_ID_SCHEMA };
        }
      }
    }
  }
  return document;
}
