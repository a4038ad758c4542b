import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2019, { ValidateFunction } from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { PG_INTEGER_MAX } from '../src/common/request-parsing';
import { FIXTURES, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, waitForRun } from './utils/test-app';

/**
 * The OpenAPI document (/api/docs-json) against the live routes (issue 12, item 9). The document is validated by
 * swagger-parser and read for what it promises (ids, the bearer format, the errors of every route), then every
 * route in it is called with data made for the walk, as an admin, a teacher and students, by session and by token:
 * each answer's status must be one the document lists for that route, its content type one it declares, and its
 * body must validate (ajv) against the declared schema, strictly: every required property, every type, and no
 * property the schema does not name unless it allows more. Every refusal must leave the database and the stored
 * files as they were. At the end, each route must have been seen to succeed and to refuse in every way the
 * document says it can.
 */

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
const METHODS: Method[] = ['get', 'post', 'patch', 'put', 'delete'];

interface Operation {
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description?: string; headers?: Record<string, { schema?: Schema }>; content?: Record<string, { schema?: Schema }> }>;
}
type Schema = Record<string, any>;
interface Doc {
  openapi: string;
  paths: Record<string, Partial<Record<Method, Operation>>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Schema> };
}

/** Who calls: nobody, a session (agent + CSRF token), or a bearer token. */
interface Caller {
  name: string;
  agent?: TestAgent;
  csrf?: string;
  token?: string;
}

interface Payload {
  params?: Record<string, string | number>;
  query?: Record<string, string | number>;
  json?: unknown;
  /** A body sent as is, with its content type. */
  raw?: { type: string; body: string | Buffer };
  multipart?: { fields?: Record<string, string>; files?: Array<{ field: string; content: Buffer | string; name: string }> };
  /** A session write without its X-CSRF-Token. */
  noCsrf?: boolean;
}

/** Numbers that are measurements, not counts or ids: everything else numeric in the document is an integer. */
const FRACTIONAL = /^((CreateTargetDto|UpdateTargetDto|TargetDto|PhotometryPointDto|LightCurveSeriesDto|ReducedDatumDto)\.(ra|dec|epoch|pmRa|pmDec|distance|magnitude|error|limit|t|mag|err|lim)|(HandInRequestDto|HandInDto|ProgressRowDto)\.value|ParamSpecDto\.(default|min|max|step)|(PresetDto|StartRunDto|RunDto|RunStepDto|WorkflowStepDto)\.params)\b/;
/** Statuses every route can answer whoever calls: bad input or body, no login, not allowed, too large, too many. */
const EVERY_ROUTE = ['400', '401', '403', '413', '429'];
/** Documented answers the walk cannot provoke from outside, and why. */
const NOT_PROVOKED: Record<string, string[]> = {
  // A run identifier that stays taken through every retry: a race the API cannot be made to lose on purpose.
  'POST /api/processes': ['409'],
};

const opName = (method: string, template: string) => `${method.toUpperCase()} ${template}`;

/** Reads any body as bytes, so downloads, CSV and JSON are all checked as they came. */
function rawBody(res: unknown, done: (error: Error | null, body: Buffer) => void) {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/**
 * A schema as strict as the document means it: an object that names its properties takes no others unless it
 * says `additionalProperties`; the members of an `allOf` are checked together (`unevaluatedProperties`).
 */
function strictSchema(schema: Schema, inAllOf = false, depth = 0): Schema {
  if (!schema || typeof schema !== 'object' || depth > 50) return schema;
  const out: Schema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties as Record<string, Schema>).map(([key, value]) => [key, strictSchema(value, false, depth + 1)]));
  }
  if (schema.items) out.items = strictSchema(schema.items, false, depth + 1);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') out.additionalProperties = strictSchema(schema.additionalProperties, false, depth + 1);
  for (const key of ['oneOf', 'anyOf']) if (schema[key]) out[key] = (schema[key] as Schema[]).map((member) => strictSchema(member, false, depth + 1));
  if (schema.allOf) {
    out.allOf = (schema.allOf as Schema[]).map((member) => strictSchema(member, true, depth + 1));
    if (schema.additionalProperties === undefined) out.unevaluatedProperties = false;
  } else if (schema.properties && schema.additionalProperties === undefined && !inAllOf) {
    out.additionalProperties = false;
  }
  return out;
}

/** Every schema in the document with where it is, for the checks that read the document itself. */
function* schemasOf(doc: Doc): Generator<{ where: string; name: string; schema: Schema }> {
  function* walk(where: string, name: string, schema: Schema | undefined): Generator<{ where: string; name: string; schema: Schema }> {
    if (!schema || typeof schema !== 'object' || schema.$ref) return;
    yield { where, name, schema };
    for (const [key, value] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) yield* walk(`${where}.${key}`, key, value);
    if (schema.items) yield* walk(`${where}[]`, name, schema.items);
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') yield* walk(`${where}{}`, name, schema.additionalProperties);
    for (const key of ['allOf', 'oneOf', 'anyOf']) for (const [i, member] of ((schema[key] ?? []) as Schema[]).entries()) yield* walk(`${where}/${key}${i}`, name, member);
  }
  for (const [name, schema] of Object.entries(doc.components.schemas)) yield* walk(name, name, schema);
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops) as Array<[Method, Operation]>) {
      for (const param of op.parameters ?? []) yield* walk(`${opName(method, template)} ${param.in} ${param.name}`, param.name, param.schema);
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) yield* walk(`${opName(method, template)} body ${type}`, 'body', media.schema);
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) yield* walk(`${opName(method, template)} ${status} ${type}`, 'response', media.schema);
      }
    }
  }
}

/** A property or parameter that holds ids: `id`, `…Id`, `…Ids`, and the query filters by target and target list. */
const holdsIds = (where: string, name: string) => name === 'id' || /Ids?$/.test(name) || (/ query /.test(where) && ['target', 'list'].includes(name));

describe('OpenAPI document against the live routes (e2e)', () => {
  let portal: TestPortal;
  let doc: Doc;
  /** The document with every $ref resolved, for ajv. */
  let resolved: Doc;
  let ajv: Ajv2019;
  const validators = new Map<string, ValidateFunction>();
  /** Statuses seen per operation, and the parameters of its first success (for the generic refusals). */
  const seen = new Map<string, Set<string>>();
  const sampleParams = new Map<string, Record<string, string | number>>();
  const problems: string[] = [];

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES, uploadMaxBytes: '3MB' });
    doc = (await portal.http.get('/api/docs-json').expect(200)).body;
    resolved = (await SwaggerParser.dereference(structuredClone(doc) as never)) as unknown as Doc;
    ajv = new Ajv2019({ allErrors: true, strict: true, strictTypes: false });
    addFormats(ajv);
    ajv.addKeyword('example');
  }, 180_000);
  afterAll(() => portal?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([template, ops]) => METHODS.filter((method) => ops[method]).map((method) => ({ method, template, op: ops[method]! })));

  describe('the document', () => {
    it('is a valid OpenAPI 3 document (swagger-parser)', async () => {
      await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
      expect(doc.openapi).toMatch(/^3\.0\./);
      expect(operations().length).toBeGreaterThanOrEqual(44);
    });

    it('describes the bearer scheme as the portal\'s own API tokens, not JWTs', () => {
      const bearer = doc.components.securitySchemes.bearer;
      expect(bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(bearer.bearerFormat).not.toMatch(/jwt/i);
      expect(`${bearer.bearerFormat} ${bearer.description}`).toContain('aep_');
    });

    it('states row ids as 32-bit integers from 1, user ids as UUIDs, and counts as integers', () => {
      const wrong: string[] = [];
      for (const { where, name, schema } of schemasOf(doc)) {
        const type = schema.type;
        if (holdsIds(where, name) && (type === 'integer' || type === 'number')) {
          if (type !== 'integer' || schema.format !== 'int32' || schema.minimum !== 1 || schema.maximum !== PG_INTEGER_MAX) wrong.push(`${where}: ${JSON.stringify(schema)}`);
        } else if (holdsIds(where, name) && type === 'string' && schema.format !== 'uuid') {
          wrong.push(`${where}: a string id that is not a UUID: ${JSON.stringify(schema)}`);
        } else if (type === 'number' && !FRACTIONAL.test(where)) {
          wrong.push(`${where}: "number" where only whole numbers come: ${JSON.stringify(schema)}`);
        }
      }
      // Path ids: every {id} but the users' (UUIDs) names a row.
      for (const { method, template, op } of operations()) {
        for (const param of (op.parameters ?? []).filter((p) => p.in === 'path' && p.name === 'id')) {
          const expected = template.startsWith('/api/users/') ? { type: 'string', format: 'uuid' } : { type: 'integer', format: 'int32', minimum: 1, maximum: PG_INTEGER_MAX };
          if (!param.schema || !Object.entries(expected).every(([key, value]) => param.schema![key] === value)) wrong.push(`${opName(method, template)} path id: ${JSON.stringify(param.schema)}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it('lists on every route the errors any route can answer, and 404 where a path names something, all as JSON ErrorDto', () => {
      const wrong: string[] = [];
      for (const { method, template, op } of operations()) {
        const name = opName(method, template);
        const needed = [...EVERY_ROUTE, ...(/\{/.test(template) ? ['404'] : [])];
        for (const status of needed) if (!op.responses[status]) wrong.push(`${name}: ${status} is not listed`);
        for (const [status, response] of Object.entries(op.responses).filter(([status]) => Number(status) >= 400)) {
          const types = Object.keys(response.content ?? {});
          if (types.length !== 1 || types[0] !== 'application/json' || response.content!['application/json'].schema?.$ref !== '#/components/schemas/ErrorDto') {
            wrong.push(`${name}: ${status} is not application/json ErrorDto but ${JSON.stringify(response.content)}`);
          }
        }
        if (!(op as { security?: unknown }).security) wrong.push(`${name}: no security requirement`);
      }
      expect(wrong).toEqual([]);
    });

    it('is read strictly by the walk: required properties, types, and no property a schema does not name', () => {
      const target = (resolved.paths['/api/targets/{id}'].get!.responses['200'].content!['application/json'].schema)!;
      const validate = ajv.compile(strictSchema(target));
      const body = {
        id: 1, name: 'M13', aliases: [], type: 'sidereal', ra: 250.4, dec: 36.4, raSexagesimal: '16:41:41.6', decSexagesimal: '+36:27:41',
        epoch: 2000, pmRa: null, pmDec: null, scheme: null, elements: {}, extra: {}, visibility: 'private', classroomId: null, owner: 'ann',
        createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
      };
      expect(validate(body)).toBe(true);
      expect(validate({ ...body, distance: 0.1 })).toBe(true);
      expect(validate({ ...body, storedPath: 'products/x' })).toBe(false);
      expect(validate({ ...body, id: 1.5 })).toBe(false);
      expect(validate({ ...body, id: PG_INTEGER_MAX + 1 })).toBe(false);
      expect(validate({ ...body, classroomId: '3' })).toBe(false);
      const { owner: _owner, ...withoutOwner } = body;
      expect(validate(withoutOwner)).toBe(false);
      // A page: the envelope and its items together, nothing else.
      const page = ajv.compile(strictSchema(resolved.paths['/api/targets'].get!.responses['200'].content!['application/json'].schema!));
      expect(page({ items: [body], total: 1, limit: 50, offset: 0 })).toBe(true);
      expect(page({ items: [body], total: 1, limit: 50, offset: 0, next: 2 })).toBe(false);
      expect(page({ items: [{ ...body, secret: 1 }], total: 1, limit: 50, offset: 0 })).toBe(false);
      expect(page({ total: 1, limit: 50, offset: 0 })).toBe(false);
    });

    it('declares the real content types of the downloads, the zips and the CSV export', () => {
      const download = doc.paths['/api/data-products/{id}/download'].get!.responses['200'].content!;
      expect(Object.keys(download)).toEqual(expect.arrayContaining(['image/fits', 'text/csv', 'image/png', 'application/gzip', 'application/octet-stream']));
      for (const media of Object.values(download)) expect(media.schema).toEqual({ type: 'string', format: 'binary' });
      expect(Object.keys(doc.paths['/api/targets/{id}/photometry.csv'].get!.responses['200'].content!)).toEqual(['text/csv']);
      for (const zip of ['/api/groups/{id}/download', '/api/processes/{id}/outputs.zip']) {
        expect(doc.paths[zip].get!.responses['200'].content).toEqual({ 'application/zip': { schema: { type: 'string', format: 'binary' } } });
      }
    });
  });

  describe('the walk', () => {
    let admin: LoggedIn;
    let teacher: LoggedIn;
    let alice: LoggedIn;
    let bob: LoggedIn;
    let carol: LoggedIn;
    const callers: Record<string, Caller> = {};
    /** What the walk made, by name: ids of targets, products, groups, runs, classes, users, series keys. */
    const made: Record<string, any> = {};

    const userId = async (username: string): Promise<string> => (await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [username]))[0].id;
    const tokenFor = async (username: string) => (await portal.app.get(ApiTokensService).create({ id: await userId(username) }, 'walk')).token;

    /** What a refusal must leave alone: every row a route could write, and the stored files. */
    async function fingerprint(): Promise<string> {
      const [{ digest }] = await portal.dataSource.query(`
        SELECT md5(coalesce(string_agg(r, '|' ORDER BY r), '')) AS digest FROM (
          SELECT 'u' || (to_jsonb(t))::text AS r FROM users t
          UNION ALL SELECT 'c' || (to_jsonb(t))::text FROM classrooms t
          UNION ALL SELECT 'm' || (to_jsonb(t))::text FROM classroom_members t
          UNION ALL SELECT 't' || (to_jsonb(t))::text FROM targets t
          UNION ALL SELECT 'p' || (to_jsonb(t) - 'thumbnail_path' - 'preview_error')::text FROM data_products t
          UNION ALL SELECT 'g' || (to_jsonb(t))::text FROM data_product_groups t
          UNION ALL SELECT 'gm' || (to_jsonb(t))::text FROM data_product_group_members t
          UNION ALL SELECT 'r' || (to_jsonb(t))::text FROM reduced_data t
          UNION ALL SELECT 'run' || row(t.id, t.visibility, t.classroom_id, t.requested_by_id, t.target_id, t.input_ids, t.flags, t.output_group_id)::text FROM pipeline_runs t
          UNION ALL SELECT 'a' || (to_jsonb(t) - 'updated_at')::text FROM assignments t
          UNION ALL SELECT 'h' || (to_jsonb(t))::text FROM hand_ins t
          UNION ALL SELECT 'ra' || t.id || ':' || coalesce(t.assignment_id, 0) FROM pipeline_runs t
          -- Which notifications are read (a run ending may add an unread one at any moment; no refusal reads it).
          UNION ALL SELECT 'n' || t.id || ':' || t.read_at::text FROM notifications t WHERE t.read_at IS NOT NULL
        ) rows`);
      const files = (dir: string): string[] =>
        fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [entry.name])) : [];
      return `${digest} ${files(path.join(portal.dataDir, 'products')).sort().join(',')}`;
    }

    function validatorFor(key: string, schema: Schema): ValidateFunction {
      if (!validators.has(key)) validators.set(key, ajv.compile(strictSchema(schema)));
      return validators.get(key)!;
    }

    /**
     * Calls a documented route and checks the answer against the document; `expected` is the status this call must
     * get. A refusal (4xx) must change nothing. Returns the parsed body.
     */
    async function call(method: Method, template: string, who: Caller, expected: number, payload: Payload = {}): Promise<any> {
      const name = opName(method, template);
      const op = resolved.paths[template]?.[method];
      if (!op) throw new Error(`${name} is not in the document`);
      const params = payload.params ?? {};
      const url =
        template.replace(/\{(\w+)\}/g, (_match, key: string) => {
          if (params[key] === undefined) throw new Error(`${name}: no value for {${key}}`);
          return encodeURIComponent(String(params[key]));
        }) + (payload.query ? `?${new URLSearchParams(Object.entries(payload.query).map(([k, v]) => [k, String(v)])).toString()}` : '');
      const before = expected >= 400 ? await fingerprint() : '';
      let req = (who.agent ?? request(portal.app.getHttpServer()))[method](url);
      if (who.token) req = req.set('Authorization', `Bearer ${who.token}`);
      if (who.agent && method !== 'get' && !payload.noCsrf) req = req.set('X-CSRF-Token', who.csrf!);
      if (payload.multipart) {
        for (const [key, value] of Object.entries(payload.multipart.fields ?? {})) req = req.field(key, value);
        // A string given to attach() would be read as a path: contents go as bytes.
        for (const file of payload.multipart.files ?? []) req = req.attach(file.field, Buffer.from(file.content), file.name);
      } else if (payload.raw) {
        req = req.set('Content-Type', payload.raw.type).send(payload.raw.body as never);
      } else if (payload.json !== undefined) {
        req = req.send(payload.json as object);
      }
      const res = await req.buffer(true).parse(rawBody);
      const status = String(res.status);
      const where = `${name} (${url}) as ${who.name}`;
      if (!seen.has(name)) seen.set(name, new Set());
      seen.get(name)!.add(status);
      if (res.status < 300 && !sampleParams.has(name)) sampleParams.set(name, params);

      const bytes = res.body as Buffer;
      const text = bytes.toString('utf8');
      if (res.status !== expected) problems.push(`${where}: ${status}, expected ${expected}: ${text.slice(0, 300)}`);
      const documented = op.responses[status];
      for (const [header, spec] of Object.entries(documented?.headers ?? {})) {
        const value = res.headers[header.toLowerCase()] as string | undefined;
        const validate = validatorFor(`${name} ${status} header ${header}`, spec.schema ?? {});
        if (value === undefined) problems.push(`${where}: ${status} lacks the documented header ${header}`);
        else if (!validate(spec.schema?.type === 'integer' ? Number(value) : value)) problems.push(`${where}: header ${header} "${value}": ${ajv.errorsText(validate.errors)}`);
      }
      if (!documented) {
        problems.push(`${where}: answered ${status}, which the document does not list (${Object.keys(op.responses).join(', ')}): ${text.slice(0, 200)}`);
      } else {
        const type = (res.headers['content-type'] ?? '').split(';')[0].trim();
        if (!documented.content) {
          if (bytes.length) problems.push(`${where}: ${status} has a body the document does not declare (${type})`);
        } else if (!documented.content[type]) {
          problems.push(`${where}: ${status} came as "${type}", the document declares ${Object.keys(documented.content).join(', ')}`);
        } else {
          const schema = documented.content[type].schema ?? {};
          let value: unknown = text;
          if (schema.format === 'binary') {
            value = bytes.length ? 'bytes' : '';
            if (!bytes.length) problems.push(`${where}: ${status} is an empty download`);
          } else if (type === 'application/json') {
            try {
              value = JSON.parse(text);
            } catch {
              problems.push(`${where}: ${status} is not JSON: ${text.slice(0, 200)}`);
            }
          }
          const validate = validatorFor(`${name} ${status} ${type}`, schema);
          if (!validate(value)) problems.push(`${where}: ${status} body does not match the schema: ${ajv.errorsText(validate.errors)}; body ${text.slice(0, 300)}`);
        }
      }
      if (expected >= 400 && (await fingerprint()) !== before) problems.push(`${where}: refused with ${status} but changed the database or the stored files`);
      try {
        return (res.headers['content-type'] ?? '').includes('json') && text ? JSON.parse(text) : text;
      } catch {
        return text;
      }
    }

    /** Fails the test with every mismatch found so far, then starts a fresh list. */
    function expectNoProblems() {
      const found = problems.splice(0);
      expect(found).toEqual([]);
    }

    beforeAll(async () => {
      admin = await portal.login('walk-admin', 'admin');
      teacher = await portal.login('walk-teacher', 'teacher');
      alice = await portal.login('walk-alice', 'student');
      bob = await portal.login('walk-bob', 'student');
      carol = await portal.login('walk-carol', 'student');
      // A generated password to change: her session reaches nothing under /api until she does.
      await portal.dataSource.query('UPDATE users SET must_change_password = true WHERE username = $1', ['walk-carol']);
      await portal.login('walk-dave', 'student');
      Object.assign(callers, {
        anonymous: { name: 'nobody' },
        badToken: { name: 'a revoked-looking token', token: `aep_${'A'.repeat(43)}` },
        admin: { name: 'admin (session)', agent: admin.agent, csrf: admin.csrf },
        adminToken: { name: 'admin (token)', token: await tokenFor('walk-admin') },
        teacher: { name: 'teacher (session)', agent: teacher.agent, csrf: teacher.csrf },
        alice: { name: 'alice (session)', agent: alice.agent, csrf: alice.csrf },
        aliceToken: { name: 'alice (token)', token: await tokenFor('walk-alice') },
        bob: { name: 'bob, another student (session)', agent: bob.agent, csrf: bob.csrf },
        bobToken: { name: 'bob (token)', token: await tokenFor('walk-bob') },
        carol: { name: 'carol, who must change her password (session)', agent: carol.agent, csrf: carol.csrf },
        dave: { name: 'dave, over the API limit (token)', token: await tokenFor('walk-dave') },
      });
    }, 120_000);

    it('classes: create, join by code, read, roster preview and import; refusals by role, membership and body', async () => {
      const { teacher: t, alice: a, aliceToken, bob: b, admin: ad } = callers;
      const created = await call('post', '/api/classes', t, 201, { json: { name: 'Walk class' } });
      made.classId = created.id;
      await call('post', '/api/classes', a, 403, { json: { name: 'Students cannot' } });
      await call('post', '/api/classes', t, 400, { json: { name: '' } });
      await call('post', '/api/classes', t, 400, { json: { name: 'X', extra: 1 } });
      await call('post', '/api/classes/join', aliceToken, 200, { json: { code: created.joinCode } });
      await call('post', '/api/classes/join', a, 200, { json: { code: created.joinCode } });
      await call('post', '/api/classes/join', b, 400, { json: { code: 'ZZZZ-ZZ22' } });
      await call('post', '/api/classes/join', t, 400, { json: { code: created.joinCode } });
      await call('get', '/api/classes', a, 200);
      await call('get', '/api/classes', ad, 200, { query: { limit: 1 } });
      await call('get', '/api/classes', a, 400, { query: { limit: 0 } });
      await call('get', '/api/classes/{id}', t, 200, { params: { id: made.classId } });
      await call('get', '/api/classes/{id}', a, 200, { params: { id: made.classId } });
      // An admin outside the class sees it with myRole null.
      await call('get', '/api/classes/{id}', ad, 200, { params: { id: made.classId } });
      await call('get', '/api/classes/{id}', b, 403, { params: { id: made.classId } });
      await call('get', '/api/classes/{id}', a, 404, { params: { id: 999_999 } });
      await call('post', '/api/classes/{id}/import/preview', t, 200, { params: { id: made.classId }, json: { csv: 'name,username\nAda Lovelace,\n,empty\n' } });
      await call('post', '/api/classes/{id}/import/preview', t, 200, {
        params: { id: made.classId },
        multipart: { files: [{ field: 'file', content: 'name\nCarl Sagan\n', name: 'roster.csv' }] },
      });
      await call('post', '/api/classes/{id}/import/preview', a, 403, { params: { id: made.classId }, json: { csv: 'name\nX\n' } });
      await call('post', '/api/classes/{id}/import/preview', t, 400, { params: { id: made.classId }, json: {} });
      await call('post', '/api/classes/{id}/import/preview', t, 404, { params: { id: 999_999 }, json: { csv: 'name\nX\n' } });
      await call('post', '/api/classes/{id}/import', t, 201, { params: { id: made.classId }, json: { csv: 'name,username\nGrace Hopper,ghopper\n' } });
      await call('post', '/api/classes/{id}/import', t, 400, { params: { id: made.classId }, json: { csv: 'name,username\nAda Lovelace,\n,empty\n' } });
      await call('post', '/api/classes/{id}/import', a, 403, { params: { id: made.classId }, json: { csv: 'name\nX\n' } });
      await call('post', '/api/classes/{id}/import', t, 404, { params: { id: 999_999 }, json: { csv: 'name\nX\n' } });
      await call('post', '/api/classes/{id}/import', t, 413, {
        params: { id: made.classId },
        multipart: { files: [{ field: 'file', content: Buffer.alloc(2 * 1024 * 1024 + 10, 'a'), name: 'huge.csv' }] },
      });
      expectNoProblems();
    }, 120_000);

    it('targets: list, search, create, read, change and delete; refusals for another student\'s private target', async () => {
      const { alice: a, aliceToken, bob: b, bobToken, admin: ad } = callers;
      made.target = (await call('post', '/api/targets', aliceToken, 201, { json: { name: 'Walk M13', aliases: ['Walk NGC 6205'], ra: '16:41:41.6', dec: '+36:27:41', extra: { notes: 'walk' } } })).id;
      made.publicTarget = (await call('post', '/api/targets', ad, 201, { json: { name: 'Walk Sun', type: 'non_sidereal', scheme: 'MPC_MINOR_PLANET', elements: { eccentricity: 0.1 }, visibility: 'public' } })).id;
      made.classTarget = (await call('post', '/api/targets', a, 201, { json: { name: 'Walk Vega', ra: 279.2347, dec: 38.7837, visibility: 'class', classroomId: made.classId } })).id;
      await call('post', '/api/targets', a, 409, { json: { name: 'Walk M13', ra: 1, dec: 1 } });
      await call('post', '/api/targets', a, 400, { json: { name: 'No coordinates' } });
      await call('post', '/api/targets', a, 400, { json: { name: 'Bad class', ra: 1, dec: 1, visibility: 'class', classroomId: 999_999 } });
      await call('post', '/api/targets', b, 403, { json: { name: 'Forged', ra: 1, dec: 1 }, noCsrf: true });
      await call('get', '/api/targets', a, 200);
      await call('get', '/api/targets', b, 200, { query: { q: 'walk' } });
      await call('get', '/api/targets', a, 200, { query: { ra: '16:41:41', dec: '36:27', radius: 1 } });
      await call('get', '/api/targets', a, 400, { query: { ra: 400, dec: 0, radius: 1 } });
      await call('get', '/api/targets', a, 400, { query: { ra: 10 } });
      await call('get', '/api/targets', a, 404, { query: { list: 999_999 } });
      await call('get', '/api/targets/{id}', a, 200, { params: { id: made.target } });
      await call('get', '/api/targets/{id}', b, 200, { params: { id: made.publicTarget } });
      await call('get', '/api/targets/{id}', b, 403, { params: { id: made.target } });
      await call('get', '/api/targets/{id}', b, 404, { params: { id: 999_999 } });
      await call('patch', '/api/targets/{id}', a, 200, { params: { id: made.target }, json: { extra: { notes: 'changed' }, pmRa: 1.5 } });
      await call('patch', '/api/targets/{id}', a, 409, { params: { id: made.target }, json: { name: 'Walk Sun' } });
      await call('patch', '/api/targets/{id}', a, 400, { params: { id: made.target }, json: { ra: 'north' } });
      await call('patch', '/api/targets/{id}', bobToken, 403, { params: { id: made.target }, json: { name: 'Taken over' } });
      await call('patch', '/api/targets/{id}', b, 403, { params: { id: made.publicTarget }, json: { name: 'Not mine' } });
      await call('patch', '/api/targets/{id}', a, 404, { params: { id: 999_999 }, json: { name: 'Nothing' } });
      const doomed = (await call('post', '/api/targets', a, 201, { json: { name: 'Walk doomed', ra: 5, dec: 5 } })).id;
      await call('delete', '/api/targets/{id}', b, 403, { params: { id: doomed } });
      await call('delete', '/api/targets/{id}', a, 204, { params: { id: doomed } });
      await call('delete', '/api/targets/{id}', a, 404, { params: { id: doomed } });
      expectNoProblems();
    }, 120_000);

    it('targets as CSV: the export with the list\'s filters, the import\'s preview and the import; refusals by body, sharing, names and size', async () => {
      const { alice: a, aliceToken, bob: b } = callers;
      await call('get', '/api/targets/export.csv', aliceToken, 200);
      await call('get', '/api/targets/export.csv', a, 200, { query: { q: 'walk', ra: '16:41:41', dec: '+36:27', radius: 1 } });
      await call('get', '/api/targets/export.csv', a, 400, { query: { ra: 400, dec: 0, radius: 1 } });
      await call('get', '/api/targets/export.csv', a, 400, { query: { limit: 5 } });
      await call('get', '/api/targets/export.csv', a, 404, { query: { list: 999_999 } });
      const file = 'name,type,ra,dec,aliases,notes\nWalk CSV,SIDEREAL,16:00:00,+10:00:00,Walk CSV alias,walk\n';
      await call('post', '/api/targets/import/preview', a, 200, { json: { csv: `${file},1,1\n` } });
      await call('post', '/api/targets/import/preview', a, 200, {
        multipart: { fields: { visibility: 'class', classroomId: String(made.classId) }, files: [{ field: 'file', content: file, name: 'targets.csv' }] },
      });
      await call('post', '/api/targets/import/preview', a, 400, { json: {} });
      await call('post', '/api/targets/import/preview', b, 400, { json: { csv: file, visibility: 'class', classroomId: made.classId } });
      await call('post', '/api/targets/import', aliceToken, 201, { json: { csv: file, visibility: 'class', classroomId: made.classId } });
      await call('post', '/api/targets/import', a, 201, { multipart: { files: [{ field: 'file', content: 'name,ra,dec\nWalk CSV 2,2,2\n', name: 'targets.csv' }] } });
      await call('post', '/api/targets/import', a, 400, { json: { csv: file } });
      await call('post', '/api/targets/import', b, 400, { json: { csv: 'name,ra,dec\nWalk CSV 3,3,3\n', visibility: 'class', classroomId: made.classId } });
      await call('post', '/api/targets/import', a, 413, { multipart: { files: [{ field: 'file', content: Buffer.alloc(2 * 1024 * 1024 + 10, 'a'), name: 'huge.csv' }] } });
      expectNoProblems();
    }, 120_000);

    it('data products: upload, list, read, download, share and delete; refusals by sharing, body and size', async () => {
      const { alice: a, aliceToken, bob: b, bobToken } = callers;
      const upload = (who: Caller, target: number, expected: number, name: string, content: Buffer | string, productType: string, fields: Record<string, string> = {}) =>
        call('post', '/api/targets/{id}/data-products', who, expected, {
          params: { id: target },
          multipart: { fields: { productType, ...fields }, files: [{ field: 'files', content, name }] },
        });
      made.fits = (await upload(aliceToken, made.target, 201, 'HorseHead.fits', fs.readFileSync(path.join(FIXTURES, 'HorseHead.fits')), 'fits_image')).created[0].id;
      made.csv = (await upload(a, made.target, 201, 'walk_V.csv', 'time,magnitude,error,filter\n60000.1,12.3,0.02,V\n60000.2,12.4,0.02,V\n', 'photometry')).created[0].id;
      made.png = (await upload(a, made.target, 201, 'walk.png', Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a4944415408d763600000000200017e7b1c1e0000000049454e44ae426082', 'hex'), 'image')).created[0].id;
      made.fz = (await upload(a, made.target, 201, 'M13_blue_0001.fits.fz', fs.readFileSync(path.join(FIXTURES, 'M13_blue_0001.fits.fz')), 'fits_image', { visibility: 'class', classroomId: String(made.classId) })).created[0].id;
      // A duplicate is answered with the existing product, not stored twice.
      await upload(a, made.target, 201, 'again.csv', 'time,magnitude,error,filter\n60000.1,12.3,0.02,V\n60000.2,12.4,0.02,V\n', 'photometry');
      await upload(b, made.target, 403, 'intruder.txt', 'x', 'other');
      await upload(a, made.target, 400, 'empty.txt', '', 'other');
      await upload(a, made.target, 400, 'not-fits.fits', 'not a FITS file', 'fits_image');
      await upload(a, made.target, 400, 'x.txt', 'x', 'no_such_type');
      await upload(a, 999_999, 404, 'x.txt', 'x', 'other');
      await upload(a, made.target, 413, 'huge.bin', Buffer.alloc(3 * 1024 * 1024 + 10), 'other');
      await call('get', '/api/targets/{id}/data-products', a, 200, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/data-products', a, 200, { params: { id: made.target }, query: { scope: 'mine', productType: 'fits_image', limit: 2 } });
      await call('get', '/api/targets/{id}/data-products', a, 400, { params: { id: made.target }, query: { scope: 'theirs' } });
      await call('get', '/api/targets/{id}/data-products', b, 403, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/data-products', b, 404, { params: { id: 999_999 } });
      await call('get', '/api/data-products/{id}', a, 200, { params: { id: made.fits } });
      await call('get', '/api/data-products/{id}', b, 403, { params: { id: made.fits } });
      await call('get', '/api/data-products/{id}', b, 404, { params: { id: PG_INTEGER_MAX + 1 } });
      for (const id of [made.fits, made.csv, made.png, made.fz]) await call('get', '/api/data-products/{id}/download', aliceToken, 200, { params: { id } });
      await call('get', '/api/data-products/{id}/download', bobToken, 403, { params: { id: made.fits } });
      await call('get', '/api/data-products/{id}/download', b, 404, { params: { id: 999_999 } });
      await call('patch', '/api/data-products/{id}', a, 200, { params: { id: made.csv }, json: { visibility: 'private' } });
      await call('patch', '/api/data-products/{id}', a, 400, { params: { id: made.csv }, json: { visibility: 'everyone' } });
      await call('patch', '/api/data-products/{id}', a, 400, { params: { id: made.csv }, json: { visibility: 'class', classroomId: 999_999 } });
      await call('patch', '/api/data-products/{id}', b, 403, { params: { id: made.csv }, json: { visibility: 'public' } });
      await call('patch', '/api/data-products/{id}', a, 404, { params: { id: 999_999 }, json: { visibility: 'public' } });
      const doomed = (await upload(a, made.target, 201, 'doomed.txt', 'bye', 'other')).created[0].id;
      await call('delete', '/api/data-products/{id}', b, 403, { params: { id: doomed } });
      await call('delete', '/api/data-products/{id}', a, 204, { params: { id: doomed } });
      await call('delete', '/api/data-products/{id}', a, 404, { params: { id: doomed } });
      expectNoProblems();
    }, 120_000);

    it('groups: make, list, read, add to, rename and share, delete; refusals by sharing, name and body', async () => {
      const { alice: a, aliceToken, bob: b, teacher: t } = callers;
      made.group = (await call('post', '/api/groups', aliceToken, 201, { json: { name: 'Walk frames', productIds: [made.fits] } })).id;
      await call('post', '/api/groups', a, 201, { json: { name: 'Walk shared', productIds: [made.fz], visibility: 'class', classroomId: made.classId } });
      await call('post', '/api/groups', a, 409, { json: { name: 'Walk frames', productIds: [made.fits] } });
      await call('post', '/api/groups', a, 400, { json: { name: 'Empty', productIds: [] } });
      await call('post', '/api/groups', a, 400, { json: { name: 'Fraction', productIds: [1.5] } });
      await call('post', '/api/groups', a, 404, { json: { name: 'Nothing', productIds: [999_999] } });
      await call('post', '/api/groups', b, 403, { json: { name: 'Stolen', productIds: [made.fits] } });
      await call('get', '/api/groups', a, 200);
      await call('get', '/api/groups', t, 200, { query: { limit: 10, offset: 0 } });
      await call('get', '/api/groups', a, 400, { query: { offset: -1 } });
      await call('get', '/api/groups/{id}', a, 200, { params: { id: made.group } });
      await call('get', '/api/groups/{id}', b, 403, { params: { id: made.group } });
      await call('get', '/api/groups/{id}', b, 404, { params: { id: 999_999 } });
      await call('get', '/api/groups/{id}/download', aliceToken, 200, { params: { id: made.group } });
      await call('get', '/api/groups/{id}/download', b, 403, { params: { id: made.group } });
      await call('get', '/api/groups/{id}/download', b, 404, { params: { id: 999_999 } });
      await call('post', '/api/groups/{id}/products', a, 200, { params: { id: made.group }, json: { productIds: [made.csv, made.png] } });
      await call('post', '/api/groups/{id}/products', a, 400, { params: { id: made.group }, json: { productIds: 'all' } });
      await call('post', '/api/groups/{id}/products', a, 404, { params: { id: made.group }, json: { productIds: [999_999] } });
      await call('post', '/api/groups/{id}/products', b, 403, { params: { id: made.group }, json: { productIds: [made.fits] } });
      await call('patch', '/api/groups/{id}', a, 200, { params: { id: made.group }, json: { name: 'Walk frames, renamed', visibility: 'class', classroomId: made.classId } });
      await call('patch', '/api/groups/{id}', a, 409, { params: { id: made.group }, json: { name: 'Walk shared' } });
      await call('patch', '/api/groups/{id}', a, 400, { params: { id: made.group }, json: { name: '' } });
      await call('patch', '/api/groups/{id}', b, 403, { params: { id: made.group }, json: { visibility: 'public' } });
      await call('patch', '/api/groups/{id}', a, 404, { params: { id: 999_999 }, json: { visibility: 'public' } });
      const doomed = (await call('post', '/api/groups', a, 201, { json: { name: 'Walk doomed group', productIds: [made.csv] } })).id;
      await call('delete', '/api/groups/{id}', b, 403, { params: { id: doomed } });
      await call('delete', '/api/groups/{id}', a, 204, { params: { id: doomed } });
      await call('delete', '/api/groups/{id}', a, 404, { params: { id: doomed } });
      expectNoProblems();
    }, 120_000);

    it('pipelines and runs: list, start, read, log, share, cancel, provenance; refusals by sharing and body', async () => {
      const { alice: a, aliceToken, bob: b, bobToken, admin: ad } = callers;
      await call('get', '/api/pipelines', a, 200);
      await call('get', '/api/pipelines', a, 200, { query: { limit: 1, offset: 1 } });
      await call('get', '/api/pipelines', a, 400, { query: { limit: 501 } });
      made.run = (await call('post', '/api/processes', aliceToken, 201, { json: { targetId: made.target, pipeline: 'Photometry maker', inputIds: [made.csv] } })).id;
      // The run writes its points while it goes: refusals are checked against a database at rest.
      await waitForRun(portal, made.run, ['succeeded', 'failed']);
      await call('post', '/api/processes', a, 400, { json: { targetId: made.target, pipeline: 'No such pipeline', inputIds: [made.csv] } });
      await call('post', '/api/processes', a, 400, { json: { targetId: made.target, pipeline: 'Photometry maker', inputIds: [made.csv], presetId: 1e308 } });
      await call('post', '/api/processes', a, 404, { json: { targetId: 999_999, pipeline: 'Photometry maker', inputIds: [made.csv] } });
      await call('post', '/api/processes', a, 404, { json: { targetId: made.target, pipeline: 'Photometry maker', inputIds: [999_999] } });
      await call('post', '/api/processes', b, 403, { json: { targetId: made.target, pipeline: 'Photometry maker', inputIds: [made.csv] } });
      await call('get', '/api/processes', a, 200);
      await call('get', '/api/processes', ad, 200, { query: { target: made.target, state: 'succeeded', mine: 'false', pipeline: 'Photometry maker' } });
      await call('get', '/api/processes', a, 400, { query: { state: 'sleeping' } });
      await call('get', '/api/processes', b, 403, { query: { target: made.target } });
      await call('get', '/api/processes', a, 404, { query: { target: 999_999 } });
      await call('get', '/api/processes/{id}', a, 200, { params: { id: made.run } });
      await call('get', '/api/processes/{id}', b, 403, { params: { id: made.run } });
      await call('get', '/api/processes/{id}', b, 404, { params: { id: 999_999 } });
      await call('get', '/api/processes/{id}/log', a, 200, { params: { id: made.run } });
      await call('get', '/api/processes/{id}/log', a, 200, { params: { id: made.run }, query: { after: 1, limit: 1 } });
      await call('get', '/api/processes/{id}/log', a, 400, { params: { id: made.run }, query: { after: -1 } });
      await call('get', '/api/processes/{id}/log', bobToken, 403, { params: { id: made.run } });
      await call('get', '/api/processes/{id}/log', b, 404, { params: { id: 999_999 } });
      await call('get', '/api/processes/{id}/provenance', a, 200, { params: { id: made.run } });
      await call('get', '/api/processes/{id}/provenance', b, 403, { params: { id: made.run } });
      await call('get', '/api/processes/{id}/provenance', b, 404, { params: { id: 999_999 } });
      await call('get', '/api/processes/{id}/outputs.zip', aliceToken, 200, { params: { id: made.run } });
      await call('get', '/api/processes/{id}/outputs.zip', bobToken, 403, { params: { id: made.run } });
      await call('get', '/api/processes/{id}/outputs.zip', b, 404, { params: { id: 999_999 } });
      await call('patch', '/api/processes/{id}', a, 200, { params: { id: made.run }, json: { visibility: 'class', classroomId: made.classId } });
      await call('patch', '/api/processes/{id}', a, 400, { params: { id: made.run }, json: { visibility: 'friends' } });
      await call('patch', '/api/processes/{id}', b, 403, { params: { id: made.run }, json: { visibility: 'public' } });
      await call('patch', '/api/processes/{id}', a, 404, { params: { id: 999_999 }, json: { visibility: 'public' } });
      const slow = (await call('post', '/api/processes', a, 201, { json: { targetId: made.target, pipeline: 'Slow sleeper', inputIds: [made.csv] } })).id;
      await waitForRun(portal, slow, ['running']);
      await call('post', '/api/processes/{id}/cancel', b, 403, { params: { id: slow } });
      await call('post', '/api/processes/{id}/cancel', a, 200, { params: { id: slow } });
      await waitForRun(portal, slow, ['cancelled', 'failed', 'succeeded']);
      await call('post', '/api/processes/{id}/cancel', a, 200, { params: { id: made.run } });
      await call('post', '/api/processes/{id}/cancel', a, 404, { params: { id: 999_999 } });
      // A workflow run, and running it again from its second step.
      const twice = (await call('post', '/api/processes', a, 201, { json: { targetId: made.target, pipeline: 'Photometry twice', inputIds: [made.csv] } })).id;
      expect((await waitForRun(portal, twice, ['succeeded', 'failed'])).state).toBe('succeeded');
      const again = await call('post', '/api/processes/{id}/rerun', aliceToken, 201, { params: { id: twice }, json: { fromStep: 2 } });
      expect(again.steps.map((step: { state: string }) => step.state)).toEqual(['reused', 'queued']);
      await waitForRun(portal, again.id, ['succeeded', 'failed']);
      await call('post', '/api/processes/{id}/rerun', a, 400, { params: { id: twice }, json: { fromStep: 0 } });
      await call('post', '/api/processes/{id}/rerun', a, 400, { params: { id: made.run }, json: { fromStep: 1 } });
      await call('post', '/api/processes/{id}/rerun', b, 403, { params: { id: twice }, json: { fromStep: 2 } });
      await call('post', '/api/processes/{id}/rerun', a, 404, { params: { id: 999_999 }, json: { fromStep: 2 } });
      expectNoProblems();
    }, 180_000);

    it('reduced data and light curves: add, list, series, light curve, CSV, share and delete a series; refusals', async () => {
      const { alice: a, aliceToken, bob: b, bobToken, teacher: t } = callers;
      const points = [
        { timestamp: '2013-05-05T04:31:02Z', magnitude: 12.31, error: 0.02, filter: 'V' },
        { timestamp: '2013-05-05T04:41:02Z', magnitude: 12.35, filter: 'B' },
      ];
      await call('post', '/api/targets/{id}/reduced-data', aliceToken, 201, { params: { id: made.target }, json: { points, source: 'walk notebook' } });
      await call('post', '/api/targets/{id}/reduced-data', a, 201, { params: { id: made.publicTarget }, json: { points, visibility: 'public' } });
      await call('post', '/api/targets/{id}/reduced-data', a, 400, { params: { id: made.target }, json: { points: [{ timestamp: 'yesterday', magnitude: 99 }] } });
      // A non-detection (a limit, no magnitude) from a survey; a point with neither is refused.
      const nonDetection = { timestamp: '2013-05-06T04:31:02Z', limit: 19.5, filter: 'g', facility: 'ZTF' };
      await call('post', '/api/targets/{id}/reduced-data', aliceToken, 201, { params: { id: made.target }, json: { points: [nonDetection, { ...nonDetection, limit: 19.7, magnitude: 17.2, error: 0.1 }] } });
      await call('post', '/api/targets/{id}/reduced-data', a, 400, { params: { id: made.target }, json: { points: [{ timestamp: '2013-05-06T04:31:02Z', filter: 'g' }] } });
      await call('post', '/api/targets/{id}/reduced-data', a, 400, { params: { id: made.target }, json: { points, visibility: 'class', classroomId: 999_999 } });
      await call('post', '/api/targets/{id}/reduced-data', b, 403, { params: { id: made.target }, json: { points } });
      await call('post', '/api/targets/{id}/reduced-data', a, 404, { params: { id: 999_999 }, json: { points } });
      await call('get', '/api/targets/{id}/reduced-data', a, 200, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/reduced-data', t, 200, { params: { id: made.target }, query: { view: 'class', dataType: 'photometry', limit: 2 } });
      await call('get', '/api/targets/{id}/reduced-data', a, 400, { params: { id: made.target }, query: { view: 'all' } });
      await call('get', '/api/targets/{id}/reduced-data', b, 403, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/reduced-data', b, 404, { params: { id: 999_999 } });
      const series: Array<{ key: string; sourceKind: string; canChange: boolean }> = await call('get', '/api/targets/{id}/series', a, 200, { params: { id: made.target } });
      expect(series.map((s) => s.sourceKind).sort()).toEqual(expect.arrayContaining(['api', 'run', 'upload']));
      const publicSeries: Array<{ key: string }> = await call('get', '/api/targets/{id}/series', b, 200, { params: { id: made.publicTarget }, query: { view: 'everyone' } });
      await call('get', '/api/targets/{id}/series', a, 400, { params: { id: made.target }, query: { view: 'nobody' } });
      await call('get', '/api/targets/{id}/series', b, 403, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/series', b, 404, { params: { id: 999_999 } });
      await call('get', '/api/targets/{id}/light-curve', a, 200, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/light-curve', bobToken, 200, { params: { id: made.publicTarget }, query: { view: 'mine' } });
      await call('get', '/api/targets/{id}/light-curve', a, 400, { params: { id: made.target }, query: { view: 'nobody' } });
      await call('get', '/api/targets/{id}/light-curve', b, 403, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/light-curve', b, 404, { params: { id: 999_999 } });
      await call('get', '/api/targets/{id}/photometry.csv', aliceToken, 200, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/photometry.csv', a, 200, { params: { id: made.target }, query: { series: series[0].key } });
      await call('get', '/api/targets/{id}/photometry.csv', a, 200, { params: { id: made.target }, query: { format: 'tom' } });
      await call('get', '/api/targets/{id}/photometry.csv', a, 400, { params: { id: made.target }, query: { view: 'nobody' } });
      await call('get', '/api/targets/{id}/photometry.csv', a, 400, { params: { id: made.target }, query: { format: 'xlsx' } });
      await call('get', '/api/targets/{id}/photometry.csv', b, 403, { params: { id: made.target } });
      await call('get', '/api/targets/{id}/photometry.csv', b, 404, { params: { id: 999_999 } });
      const key = series.find((s) => s.sourceKind === 'api')!.key;
      const unknownKey = Buffer.from(JSON.stringify(['api', randomUUID(), await userId('walk-alice'), 'V']), 'utf8').toString('base64url');
      await call('patch', '/api/targets/{id}/series/{key}', a, 200, { params: { id: made.target, key }, json: { visibility: 'class', classroomId: made.classId } });
      await call('patch', '/api/targets/{id}/series/{key}', a, 400, { params: { id: made.target, key }, json: { visibility: 'loud' } });
      await call('patch', '/api/targets/{id}/series/{key}', a, 400, { params: { id: made.target, key: 'not-a-key' }, json: { visibility: 'public' } });
      await call('patch', '/api/targets/{id}/series/{key}', a, 404, { params: { id: made.target, key: unknownKey }, json: { visibility: 'public' } });
      await call('patch', '/api/targets/{id}/series/{key}', b, 403, { params: { id: made.publicTarget, key: publicSeries[0].key }, json: { visibility: 'private' } });
      await call('patch', '/api/targets/{id}/series/{key}', b, 403, { params: { id: made.target, key }, json: { visibility: 'private' } });
      await call('delete', '/api/targets/{id}/series/{key}', b, 403, { params: { id: made.publicTarget, key: publicSeries[0].key } });
      await call('delete', '/api/targets/{id}/series/{key}', a, 400, { params: { id: made.target, key: 'not-a-key' } });
      await call('delete', '/api/targets/{id}/series/{key}', a, 404, { params: { id: made.target, key: unknownKey } });
      await call('delete', '/api/targets/{id}/series/{key}', a, 200, { params: { id: made.target, key } });
      expectNoProblems();
    }, 120_000);

    it('notifications: the list (paged, unread only) and marking read by ids or all; refusals by body', async () => {
      const { alice: a, aliceToken, bob: b } = callers;
      // Alice's runs above have ended: each told her so.
      const page = await call('get', '/api/notifications', aliceToken, 200);
      expect(page.total).toBeGreaterThan(0);
      await call('get', '/api/notifications', a, 200, { query: { unread: 'true', limit: 1, offset: 0 } });
      await call('get', '/api/notifications', b, 200);
      await call('get', '/api/notifications', a, 400, { query: { unread: 'maybe' } });
      await call('get', '/api/notifications', a, 400, { query: { offset: -1 } });
      await call('post', '/api/notifications/read', a, 200, { json: { ids: [page.items[0].id] } });
      await call('post', '/api/notifications/read', b, 200, { json: { ids: [page.items[0].id] } });
      await call('post', '/api/notifications/read', a, 400, { json: { ids: [1], all: true } });
      await call('post', '/api/notifications/read', a, 400, { json: {} });
      await call('post', '/api/notifications/read', a, 400, { json: { ids: [0] } });
      await call('post', '/api/notifications/read', aliceToken, 200, { json: { all: true } });
      expectNoProblems();
    }, 60_000);

    it('assignments: post, list, read, change, start a linked run, hand in, progress, close and delete; refusals', async () => {
      const { teacher: t, alice: a, aliceToken, bob: b } = callers;
      const dueAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
      const input = (
        await call('post', '/api/targets/{id}/data-products', a, 201, {
          params: { id: made.publicTarget },
          multipart: { fields: { productType: 'other' }, files: [{ field: 'files', content: 'walk frame\n', name: 'walk-assignment.txt' }] },
        })
      ).created[0].id;
      const json = { classId: made.classId, title: 'Walk assignment', instructions: 'Run *Photometry maker*.', targetId: made.publicTarget, pipelines: ['Photometry maker'], dueAt };
      const created = await call('post', '/api/assignments', t, 201, { json });
      await call('post', '/api/assignments', t, 400, { json: { ...json, title: '', dueAt: 'soon' } });
      await call('post', '/api/assignments', t, 400, { json: { ...json, pipelines: ['Astrology'] } });
      await call('post', '/api/assignments', a, 403, { json });
      await call('post', '/api/assignments', t, 404, { json: { ...json, targetId: 999_999 } });
      await call('get', '/api/assignments', aliceToken, 200);
      await call('get', '/api/assignments', t, 200);
      await call('get', '/api/assignments/{id}', a, 200, { params: { id: created.id } });
      await call('get', '/api/assignments/{id}', b, 403, { params: { id: created.id } });
      await call('get', '/api/assignments/{id}', a, 404, { params: { id: 999_999 } });
      await call('patch', '/api/assignments/{id}', t, 200, { params: { id: created.id }, json: { title: 'Walk assignment, changed' } });
      await call('patch', '/api/assignments/{id}', t, 400, { params: { id: created.id }, json: { dueAt: 'soon' } });
      await call('patch', '/api/assignments/{id}', a, 403, { params: { id: created.id }, json: { title: 'Mine now' } });
      await call('patch', '/api/assignments/{id}', t, 404, { params: { id: 999_999 }, json: { title: 'Nobody' } });
      const run = (await call('post', '/api/processes', aliceToken, 201, { json: { targetId: made.publicTarget, pipeline: 'Photometry maker', inputIds: [input], assignmentId: created.id } })).id;
      await call('post', '/api/processes', b, 403, { json: { targetId: made.publicTarget, pipeline: 'Photometry maker', inputIds: [input], assignmentId: created.id } });
      await waitForRun(portal, run, ['succeeded'], 60_000);
      await call('post', '/api/assignments/{id}/hand-in', a, 201, { params: { id: created.id }, json: { runId: run, answer: 'walk answer', value: 12.5 } });
      await call('post', '/api/assignments/{id}/hand-in', a, 400, { params: { id: created.id }, json: { runId: made.run } });
      await call('post', '/api/assignments/{id}/hand-in', t, 403, { params: { id: created.id }, json: { runId: run } });
      await call('post', '/api/assignments/{id}/hand-in', a, 404, { params: { id: 999_999 }, json: { runId: run } });
      await call('get', '/api/assignments/{id}/progress', t, 200, { params: { id: created.id } });
      await call('get', '/api/assignments/{id}/progress', a, 403, { params: { id: created.id } });
      await call('get', '/api/assignments/{id}/progress', t, 404, { params: { id: 999_999 } });
      await call('patch', '/api/assignments/{id}', t, 200, { params: { id: created.id }, json: { closed: true } });
      await call('delete', '/api/assignments/{id}', a, 403, { params: { id: created.id } });
      await call('delete', '/api/assignments/{id}', t, 404, { params: { id: 999_999 } });
      await call('delete', '/api/assignments/{id}', t, 204, { params: { id: created.id } });
      expectNoProblems();
    }, 120_000);

    it('me and accounts: who calls, and the admins\' account routes; refusals by role, body and name', async () => {
      const { alice: a, aliceToken, admin: ad, adminToken, teacher: t } = callers;
      await call('get', '/api/me', a, 200);
      await call('get', '/api/me', aliceToken, 200);
      await call('get', '/api/users', ad, 200);
      await call('get', '/api/users', adminToken, 200, { query: { q: 'walk', role: 'student', active: 'true', limit: 5 } });
      await call('get', '/api/users', ad, 400, { query: { role: 'wizard' } });
      await call('get', '/api/users', t, 403);
      const created = await call('post', '/api/users', ad, 201, { json: { username: 'walk-erin', role: 'student', displayName: 'Erin' } });
      await call('post', '/api/users', ad, 409, { json: { username: 'walk-erin', role: 'student' } });
      await call('post', '/api/users', ad, 400, { json: { username: 'no spaces allowed', role: 'student' } });
      await call('post', '/api/users', a, 403, { json: { username: 'walk-frank', role: 'admin' } });
      const adminId = await userId('walk-admin');
      await call('get', '/api/users/{id}', ad, 200, { params: { id: created.user.id } });
      await call('get', '/api/users/{id}', ad, 404, { params: { id: randomUUID() } });
      await call('get', '/api/users/{id}', ad, 404, { params: { id: 'not-a-uuid' } });
      await call('get', '/api/users/{id}', a, 403, { params: { id: created.user.id } });
      await call('patch', '/api/users/{id}', ad, 200, { params: { id: created.user.id }, json: { displayName: 'Erin W.', active: false } });
      await call('patch', '/api/users/{id}', ad, 400, { params: { id: adminId }, json: { role: 'student' } });
      await call('patch', '/api/users/{id}', ad, 404, { params: { id: randomUUID() }, json: { displayName: 'Nobody' } });
      await call('patch', '/api/users/{id}', a, 403, { params: { id: created.user.id }, json: { displayName: 'Hacked' } });
      await call('post', '/api/users/{id}/reset-password', ad, 200, { params: { id: created.user.id } });
      await call('post', '/api/users/{id}/reset-password', ad, 400, { params: { id: adminId } });
      await call('post', '/api/users/{id}/reset-password', ad, 404, { params: { id: randomUUID() } });
      await call('post', '/api/users/{id}/reset-password', a, 403, { params: { id: created.user.id } });
      expectNoProblems();
    }, 120_000);

    /** Every operation with the parameters of one of its successes (so the request would reach a real row). */
    const everyOperation = () =>
      operations().map(({ method, template, op }) => {
        const params = sampleParams.get(opName(method, template));
        if (!params) throw new Error(`${opName(method, template)} has had no success yet: the walk above must call it`);
        return { method, template, op, params };
      });

    it('refuses callers without credentials, or with a bad token, with 401 on every route', async () => {
      for (const { method, template, params } of everyOperation()) {
        await call(method, template, callers.anonymous, 401, { params });
        await call(method, template, callers.badToken, 401, { params });
      }
      expectNoProblems();
    }, 180_000);

    it('refuses a session that must change its password with 403 on every route, and a session write without X-CSRF-Token', async () => {
      for (const { method, template, params } of everyOperation()) {
        await call(method, template, callers.carol, 403, { params });
        if (method !== 'get') await call(method, template, callers.admin, 403, { params, noCsrf: true });
      }
      expectNoProblems();
    }, 180_000);

    it('refuses an unreadable body with 400 and an oversized one with 413 on every route', async () => {
      for (const { method, template, params } of everyOperation()) {
        await call(method, template, callers.adminToken, 400, { params, raw: { type: 'application/json', body: '{"name": ' } });
        await call(method, template, callers.adminToken, 413, { params, json: { padding: 'x'.repeat(150_000) } });
      }
      expectNoProblems();
    }, 180_000);

    it('refuses a caller over the API limit with 429 on every route', async () => {
      // Spend dave's budget on GET /api/me (one budget per caller across /api), until the limit answers.
      let limited = false;
      for (let round = 0; round < 70 && !limited; round++) {
        const statuses = await Promise.all(Array.from({ length: 10 }, () => request(portal.app.getHttpServer()).get('/api/me').set('Authorization', `Bearer ${callers.dave.token}`)));
        limited = statuses.some((res) => res.status === 429);
      }
      expect(limited).toBe(true);
      for (const { method, template, params } of everyOperation()) await call(method, template, callers.dave, 429, { params });
      expectNoProblems();
    }, 180_000);

    it('has seen every route succeed and refuse in every way its document lists', () => {
      const missing: string[] = [];
      for (const { method, template, op } of operations()) {
        const name = opName(method, template);
        const statuses = seen.get(name) ?? new Set<string>();
        for (const status of Object.keys(op.responses)) {
          if (!statuses.has(status) && !NOT_PROVOKED[name]?.includes(status)) missing.push(`${name}: ${status} never answered`);
        }
      }
      expect(missing).toEqual([]);
    });
  });
});
