import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_VERSION } from '../config/paths';
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
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'a personal API token from /profile' })
    .addCookieAuth('portal.sid')
    .build();
  SwaggerModule.setup(OPENAPI_UI_PATH, app, () => SwaggerModule.createDocument(app, config, { include: [ApiModule] }), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'api/docs-yaml',
    customSiteTitle: 'Astro Edu Portal API',
    // No calls to the public validator service: the UI works offline and helmet's CSP would refuse them anyway.
    swaggerOptions: { validatorUrl: null, persistAuthorization: false },
  });
}
