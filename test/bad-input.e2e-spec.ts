import * as path from 'node:path';
import fc from 'fast-check';
import { Response } from 'supertest';
import { VALUE_REFUSED_BY_DATABASE } from '../src/common/http-exception.filter';
import { PG_INTEGER_MAX } from '../src/common/request-parsing';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TEST_PIPELINES, TestPortal, uploadOne, waitForRun } from './utils/test-app';

/**
 * Bad input is a 400 or a 404 with a message, never a 5xx, and changes nothing (README, "Bad input"). First the
 * findings of issue 12 one by one, then generated junk (fast-check) at every route of the app, found by walking
 * the router, as a logged-in student and as an admin.
 *
 * The run is bounded and reproducible: BAD_INPUT_SEED (default below) and BAD_INPUT_RUNS (requests per route and
 * role) are printed with any failure.
 */
const SEED = Number(process.env.BAD_INPUT_SEED ?? 1_200_512);
const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 8);

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
interface Route {
  method: Method;
  path: string;
}
const routeName = (route: Route) => `${route.method.toUpperCase()} ${route.path}`;

/** What a form or JSON field holds, so junk for it can be sure to be wrong. */
type FieldKind = 'text' | 'choice' | 'id' | 'ids' | 'number' | 'flag' | 'object' | 'list';

const TARGET_FORM: Record<string, FieldKind> = {
  name: 'text', aliases: 'text', type: 'choice', ra: 'text', dec: 'text', epoch: 'number', pmRa: 'number', pmDec: 'number',
  scheme: 'choice', elements: 'text', extra: 'text', visibility: 'choice', classroomId: 'id',
};

const ASSIGNMENT_FORM: Record<string, FieldKind> = {
  classId: 'id', title: 'text', instructions: 'text', targetId: 'id', groupId: 'id', pipelines: 'list', presetIds: 'ids', dueAt: 'text',
  timezoneOffset: 'number', shareAfterDue: 'flag',
};

/** The workflow composer's flat fields (src/workflows/workflow-composer.ts), for two steps of the test config's Byte count. */
const WORKFLOW_FORM: Record<string, FieldKind> = {
  name: 'text', shortName: 'text', description: 'text', stepCount: 'number', action: 'choice',
  s1_pipeline: 'choice', s1_fields_for: 'text', s1_flags_shown: 'flag', s1_flag_verbose: 'flag', s1_param_everyKiB: 'text', s1_expose_everyKiB: 'flag',
  s2_pipeline: 'choice', s2_inputs: 'choice', s2_keep: 'text',
};

/**
 * The pages' forms and the query parameters each page reads: with the router (routes) and the OpenAPI document
 * (the API's parameters and bodies), every input of the app is listed here. A page POST route that is neither in
 * PAGE_FORMS nor in BODILESS fails the test, so a new form gets junk too.
 */
const PAGE_FORMS: Record<string, Record<string, FieldKind>> = {
  'POST /login': { username: 'text', password: 'text', next: 'text' },
  'POST /profile/display-name': { displayName: 'text' },
  'POST /profile/password': { currentPassword: 'text', newPassword: 'text', confirmPassword: 'text', next: 'text' },
  'POST /profile/tokens': { name: 'text' },
  'POST /profile/email': { email: 'text' },
  'POST /profile/notifications': Object.fromEntries(
    ['run-ended', 'assignment-new', 'hand-in', 'feedback', 'due-soon'].flatMap((kind): Array<[string, FieldKind]> => [[`portal:${kind}`, 'flag'], [`email:${kind}`, 'flag']]),
  ),
  'POST /notifications/read': { ids: 'ids', all: 'flag' },
  'POST /targets': TARGET_FORM,
  'POST /targets/:id': TARGET_FORM,
  'POST /target-lists': { name: 'text' },
  'POST /target-lists/:id/add': { targetIds: 'ids' },
  'POST /target-lists/:id/remove': { targetId: 'id' },
  'POST /targets/:id/data-products': { productType: 'choice', visibility: 'choice', classroomId: 'id' },
  'POST /data-products/:id/sharing': { visibility: 'choice', classroomId: 'id' },
  'POST /groups': { name: 'text', productIds: 'ids', next: 'text' },
  'POST /groups/add': { groupId: 'id', productIds: 'ids', next: 'text' },
  'POST /groups/:id/remove': { productId: 'id' },
  'POST /groups/:id/rename': { name: 'text' },
  'POST /groups/:id/sharing': { visibility: 'choice' },
  'POST /targets/:id/light-curve/series/delete': { key: 'text', curve: 'choice' },
  'POST /pipelines/presets': { pipeline: 'choice', name: 'text', 'flag:verbose': 'flag' },
  'POST /targets/:id/pipeline-runs': { pipeline: 'choice', productIds: 'ids', 'flag:verbose': 'flag', 'preset:FITS header summary': 'id' },
  'POST /pipeline/:id/sharing': { visibility: 'choice' },
  'POST /pipeline/:id/rerun': { fromStep: 'number' },
  'POST /classes': { name: 'text' },
  'POST /classes/join': { code: 'text' },
  'POST /classes/:id/teachers': { username: 'text' },
  'POST /classes/:id/import': { csv: 'text' },
  'POST /classes/:id/import/confirm': { csv: 'text' },
  'POST /targets/import': { csv: 'text', visibility: 'choice' },
  'POST /targets/import/confirm': { csv: 'text', visibility: 'choice' },
  'POST /signup': { code: 'text', username: 'text', displayName: 'text', password: 'text', confirmPassword: 'text' },
  'POST /admin/users': { username: 'text', displayName: 'text', role: 'choice' },
  'POST /admin/users/:id/role': { role: 'choice' },
  'POST /admin/users/:id/display-name': { displayName: 'text' },
  'POST /admin/users/:id/email': { email: 'text' },
  'POST /assignments': ASSIGNMENT_FORM,
  'POST /assignments/:id': ASSIGNMENT_FORM,
  'POST /assignments/:id/runs': { pipeline: 'choice', productIds: 'ids', 'flag:verbose': 'flag', 'preset:Photometry maker': 'id' },
  'POST /assignments/:id/hand-in': { runId: 'id', answer: 'text', value: 'number' },
  'POST /assignments/:id/feedback/:studentId': { feedback: 'text', grade: 'text' },
  'POST /pipelines/new': WORKFLOW_FORM,
  'POST /workflows/:id/edit': WORKFLOW_FORM,
};
/** Page POST routes that read no body: the path says it all. */
/**
 * Routes for processing services, not users: signed by a shared secret, documented with their protocol in
 * docs/writing-pipelines.md rather than in the OpenAPI document. They get junk like every other route.
 */
const SERVICE_ROUTES = ['POST /api/remote/runs/:id/events', 'GET /api/remote/runs/:id/inputs/:productId'];

const BODILESS = [
  'POST /profile/tokens/:id/revoke', 'POST /notifications/:id/open', 'POST /targets/:id/delete', 'POST /target-lists/:id/delete', 'POST /data-products/:id/delete',
  'POST /groups/:id/delete', 'POST /pipelines/presets/:id/delete', 'POST /pipeline/:id/cancel', 'POST /classes/:id/teachers/:userId/remove',
  'POST /classes/:id/students/:userId/remove', 'POST /classes/:id/students/:userId/reset-password', 'POST /classes/:id/join-code/regenerate',
  'POST /classes/:id/join-code/:state', 'POST /assignments/:id/close', 'POST /assignments/:id/reopen', 'POST /assignments/:id/delete', 'POST /admin/users/:id/deactivate', 'POST /admin/users/:id/reactivate', 'POST /admin/users/:id/reset-password',
];
/** Routes left out, and why. */
const LEFT_OUT: Record<string, string> = {
  'POST /logout': 'ends the session whatever it is sent; there is no input to refuse',
};
const PAGE_QUERIES: Record<string, string[]> = {
  'GET /login': ['next'],
  'GET /profile/password': ['next'],
  'GET /targets': ['q', 'ra', 'dec', 'radius', 'list', 'limit', 'offset'],
  'GET /targets/export.csv': ['q', 'ra', 'dec', 'radius', 'list'],
  'GET /targets/:id': ['limit', 'offset', 'scope', 'type', 'rerun', 'curve', 'assignment'],
  'GET /assignments/new': ['classId'],
  'GET /targets/:id/gallery': ['limit', 'offset', 'scope'],
  'GET /data-products/:id/preview.png': ['stretch', 'mapping', 'size'],
  'GET /data-products/:id/pixel': ['x', 'y'],
  'GET /groups': ['limit', 'offset'],
  'GET /targets/:id/light-curve.json': ['view'],
  'GET /targets/:id/light-curve.csv': ['view', 'series', 'format'],
  'GET /pipeline/:id/log': ['after', 'before', 'limit'],
  'GET /runs': ['state', 'mine', 'pipeline', 'user', 'target', 'limit', 'offset'],
  'GET /classes': ['limit', 'offset'],
  'GET /classes/join': ['code'],
  'GET /signup': ['code'],
  'GET /admin/users': ['q', 'role', 'status', 'limit', 'offset'],
  'GET /notifications': ['unread', 'limit', 'offset'],
  'POST /targets/:id/data-products': ['_csrf'],
};

// ---- junk ------------------------------------------------------------------------------------------------------

/** A query or path value sent as it is, not percent-encoded: malformed escapes. */
interface Raw {
  raw: string;
}
type Text = string | Raw;

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as a browser would send it). */
const pct = (text: Text) =>
  typeof text === 'string' ? [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('') : text.raw;

const HUGE = ['2147483648', '4294967296', '9007199254740993', '1e308', '-1e308', '1e309', '99999999999999999999999999', '9'.repeat(400)];
const ODD_NUMBERS = ['0', '-1', '-0', '1.5', '1.0', '1e3', '0x10', '0b1', '0o7', 'NaN', 'Infinity', '-Infinity', '+1', '１', '1_000', '١'];
const CONTROLS = ['\u0000', 'a\u0000b', '\u0001', '\u0007', '\u001b[31m', '\u007f', 'a\nb', '\r\n', '\t', '\b'];
const UNICODE = ['', ' ', '\u200b', 'M13\u200b', '\u202eevil', '\ufeff', '\ud800', '\udfff', '😀', 'ß', 'Ⅻ', 'e\u0301', '<script>', "' OR 1=1 --", '%', '../../etc/passwd', '{{x}}', '__proto__', 'constructor'];
const MALFORMED: Raw[] = [{ raw: '%' }, { raw: '%ZZ' }, { raw: '%E0%A4%A' }, { raw: '%FF' }, { raw: '%C0%80' }, { raw: '%ED%A0%80' }];

/** Never an id: out of range, not a whole number, or well formed but naming no row. */
const junkId: fc.Arbitrary<Text> = fc.oneof(
  fc.constantFrom<Text>(...HUGE, ...ODD_NUMBERS, ...CONTROLS, 'abc', '999999', String(PG_INTEGER_MAX), ...MALFORMED),
  fc.bigInt({ min: BigInt(PG_INTEGER_MAX) + 1n, max: 10n ** 30n }).map(String),
  fc.integer({ max: 0 }).map(String),
  fc.double({ noDefaultInfinity: false }).filter((n) => !Number.isInteger(n) || n <= 0).map(String),
);
const junkText: fc.Arbitrary<Text> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Text>(...CONTROLS) },
  { weight: 3, arbitrary: fc.constantFrom<Text>(...HUGE, ...ODD_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom<Text>(...UNICODE) },
  { weight: 1, arbitrary: fc.constantFrom<Text>(...MALFORMED) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 2000, maxLength: 5000 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer().map(String), fc.double().map(String)) },
);

/** Query entries: mostly the route's own names, each once or repeated, with junk values. */
function junkQuery(names: string[]): fc.Arbitrary<string> {
  const own = fc.constantFrom(...(names.length ? names : ['q']));
  const other = fc.constantFrom('limit', 'offset', 'after', '_csrf', 'x', 'q[a]', 'limit[]', '\u0000', 'a b');
  const name = fc.oneof({ weight: 4, arbitrary: own }, { weight: 1, arbitrary: other });
  const values = fc.oneof({ weight: 2, arbitrary: junkText.map((v) => [v]) }, { weight: 1, arbitrary: fc.array(junkText, { minLength: 2, maxLength: 3 }) });
  return fc.array(fc.tuple(name, values), { maxLength: 4 }).map((entries) => entries.flatMap(([key, list]) => list.map((value) => `${pct(key)}=${pct(value)}`)).join('&'));
}

/** A JSON text nested `depth` deep. */
const deepJson = (depth: number, object: boolean) => (object ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth));

/** A JSON value that is wrong for a field of `kind` (wrong type, out of range, NUL, nested), never null. */
function poisonJson(kind: FieldKind): fc.Arbitrary<unknown> {
  const nul = fc.constantFrom('\u0000', 'a\u0000b', 'M13\u0000');
  const nested = fc.constantFrom({}, { a: { b: 1 } }, [[1]], []);
  const numbers = fc.constantFrom(1e308, -1e308, 2147483648, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2);
  switch (kind) {
    case 'text':
    case 'choice':
      return fc.oneof(nul, numbers, nested, fc.constant(true), ...(kind === 'choice' ? [fc.constantFrom('nope', 'PUBLIC', 'class:0', 'class:99999999999')] : []));
    case 'id':
      return fc.oneof(numbers, nul, nested, fc.constantFrom('1', '1e308', true));
    case 'ids':
      return fc.oneof(numbers.map((n) => [1, n]), fc.constantFrom('1', 1, { 0: 1 }, [[1]], [null], ['\u0000']));
    case 'number':
      return fc.oneof(nul, nested, fc.constantFrom('1', 'NaN', 'Infinity', true));
    case 'flag':
      return fc.oneof(nul, nested, fc.constantFrom('yes', 2));
    case 'object':
    case 'list':
      return fc.oneof(nul, numbers, fc.constantFrom('x', true, kind === 'object' ? [] : {}));
  }
}

/** Any JSON junk for a field: maybe right, maybe wrong. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  junkText.map((text) => (typeof text === 'string' ? text : text.raw)),
  fc.constantFrom(1e308, -1e308, 2147483648, 0, -1, 1.5, null, true, [], {}, [1, 1], [1e308], { $gt: 1 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A form value wrong for a field of `kind`: NUL, given twice (outside checkbox lists), nested, or a bad id or choice. */
function poisonForm(kind: FieldKind, name: string): fc.Arbitrary<Array<[string, Text]>> {
  const nul = fc.constantFrom('\u0000', 'a\u0000b').map((value): Array<[string, Text]> => [[name, value]]);
  const twice = fc.tuple(junkText, junkText).map(([a, b]): Array<[string, Text]> => [[name, a], [name, b]]);
  const nested = junkText.map((value): Array<[string, Text]> => [[`${name}[a]`, value]]);
  switch (kind) {
    case 'id':
      return fc.oneof(nul, twice, nested, junkId.map((value): Array<[string, Text]> => [[name, value]]));
    case 'ids':
      return fc.oneof(nul, nested, fc.array(junkId, { minLength: 1, maxLength: 3 }).map((ids) => ids.map((id): [string, Text] => [name, id])));
    case 'choice':
      return fc.oneof(nul, twice, nested, fc.constantFrom('nope', 'PUBLIC', 'class:0', 'class:99999999999').map((value): Array<[string, Text]> => [[name, value]]));
    default:
      return fc.oneof(nul, twice, nested);
  }
}
const anyForm = (name: string): fc.Arbitrary<Array<[string, Text]>> =>
  fc.oneof(junkText.map((value): Array<[string, Text]> => [[name, value]]), fc.array(junkText, { minLength: 2, maxLength: 3 }).map((values) => values.map((v): [string, Text] => [name, v])));

interface Body {
  type: 'json' | 'form';
  text: string;
}

/**
 * A body for a route: JSON (the API's DTO fields from the OpenAPI document, or the page form's fields) or a form.
 * With `poisoned`, at least one field the route reads is surely wrong, so nothing may change; else anything goes.
 */
function junkBody(fields: Record<string, FieldKind>, json: boolean, poisoned: boolean): fc.Arbitrary<Body> {
  const names = Object.keys(fields);
  const poisonable = names.filter((name) => fields[name] !== 'flag');
  const deep = fc.tuple(fc.integer({ min: 33, max: 3000 }), fc.boolean()).map(([depth, object]): Body => ({ type: 'json', text: deepJson(depth, object) }));
  const odd = fc.constantFrom<Body>(
    { type: 'json', text: '[]' }, { type: 'json', text: '"x"' }, { type: 'json', text: '1e308' }, { type: 'json', text: 'null' },
    { type: 'json', text: '{' }, { type: 'json', text: '{"a":1,"a":2}' }, { type: 'json', text: '{"__proto__":{"x":1}}' },
  );
  const jsonFields = fc
    .tuple(fc.constantFrom(...(poisonable.length ? poisonable : ['x'])), fc.subarray(names), fc.dictionary(fc.string({ maxLength: 5 }), anyJson, { maxKeys: 2 }))
    .chain(([poison, others, extra]) =>
      fc.tuple(poisoned ? poisonJson(fields[poison] ?? 'text') : anyJson, fc.tuple(...others.map(() => anyJson))).map(([bad, values]): Body => {
        const body: Record<string, unknown> = { ...extra };
        others.forEach((name, i) => (body[name] = values[i]));
        body[poison] = bad;
        return { type: 'json', text: JSON.stringify(body) };
      }),
    );
  const formFields = fc.tuple(fc.constantFrom(...(poisonable.length ? poisonable : ['x'])), fc.subarray(names)).chain(([poison, others]) =>
    fc
      .tuple(poisoned ? poisonForm(fields[poison] ?? 'text', poison) : anyForm(poison), fc.tuple(...others.filter((name) => name !== poison).map((name) => anyForm(name))))
      .map(([bad, rest]): Body => ({ type: 'form', text: [...bad, ...rest.flat()].map(([key, value]) => `${pct(key)}=${pct(value)}`).join('&') })),
  );
  return json ? fc.oneof({ weight: 1, arbitrary: deep }, { weight: 1, arbitrary: odd }, { weight: 4, arbitrary: jsonFields }) : fc.oneof(deep, odd, formFields, formFields);
}

// ---- the app's state -------------------------------------------------------------------------------------------

/** Text of an HTML element as shown (Handlebars escapes quotes and equals signs). */
const htmlText = (html: string) =>
  html.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** One digest per table (every column of every row), sessions aside: what "nothing changed" compares. */
async function snapshot(portal: TestPortal): Promise<Record<string, string>> {
  const tables: Array<{ name: string }> = await portal.dataSource.query(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('sessions', 'migrations') ORDER BY 1`,
  );
  const sql = tables.map(({ name }) => `SELECT '${name}' AS name, count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${name}" t`).join(' UNION ALL ');
  const rows: Array<{ name: string; rows: number; digest: string }> = await portal.dataSource.query(sql);
  return Object.fromEntries(rows.map((row) => [row.name, `${row.rows} rows ${row.digest}`]));
}

describe('bad input is a 400 or 404 with a message, and changes nothing (e2e)', () => {
  let portal: TestPortal;
  let student: LoggedIn;
  let admin: LoggedIn;
  const ids: Record<string, number> = {};
  const real: Record<string, string[]> = {};

  const json = (user: LoggedIn, method: Method, url: string, body?: unknown) => user.agent[method](url).set('X-CSRF-Token', user.csrf).set('Accept', 'application/json').send(body as object);

  beforeAll(async () => {
    portal = await startTestPortal({ pipelinesConfig: TEST_PIPELINES, env: { THROTTLE_API_LIMIT: '1000000' } });
    student = await portal.login('student1', 'student');
    admin = await portal.login('admin1', 'admin');
    // Something of each kind, so real ids reach the services with junk around them.
    ids.target = await createTarget(student, { name: 'Probe', ra: '10', dec: '20' });
    ids.publicTarget = await createTarget(admin, { name: 'Public probe', ra: '11', dec: '21', visibility: 'public' });
    ids.product = await uploadOne(student, ids.target, path.join(FIXTURES, 'HorseHead.fits'), 'HorseHead.fits', 'fits_image');
    ids.group = (await json(student, 'post', '/api/groups', { name: 'Probe group', productIds: [ids.product] }).expect(201)).body.id;
    ids.class = (await json(admin, 'post', '/api/classes', { name: 'Probe class' }).expect(201)).body.id;
    await json(student, 'post', `/api/targets/${ids.target}/reduced-data`, { points: [{ timestamp: '2024-01-01T00:00:00Z', magnitude: 12.3, error: 0.1, filter: 'V' }] }).expect(201);
    const list = await admin.agent.post('/target-lists').type('form').send({ name: 'Probe list', _csrf: admin.csrf }).expect(303);
    ids.list = Number(/list=(\d+)/.exec(list.headers.location)![1]);
    await admin.agent.post('/pipelines/presets').type('form').send({ pipeline: 'Byte count', name: 'Probe preset', 'flag:verbose': 'on', _csrf: admin.csrf }).expect(303);
    [{ id: ids.preset }] = await portal.dataSource.query(`SELECT id FROM pipeline_presets`);
    await student.agent.post('/profile/tokens').type('form').send({ name: 'probe', _csrf: student.csrf });
    [{ id: ids.token }] = await portal.dataSource.query(`SELECT id FROM api_tokens`);
    ids.run = (await json(student, 'post', '/api/processes', { targetId: ids.target, pipeline: 'FITS header summary', inputIds: [ids.product] }).expect(201)).body.id;
    await waitForRun(portal, ids.run, ['succeeded']);
    // The worker's thumbnails write to data_products: let them finish before anything is compared.
    for (const deadline = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const [{ pending }] = await portal.dataSource.query(`SELECT count(*)::int AS pending FROM data_products WHERE product_type = 'fits_image' AND thumbnail_path IS NULL AND preview_error IS NULL`);
      if (!pending) break;
      if (Date.now() > deadline) throw new Error('thumbnails not made');
    }
    const series = (await json(student, 'get', `/api/targets/${ids.target}/series`).expect(200)).body;
    const users: Array<{ id: string }> = await portal.dataSource.query(`SELECT id FROM users`);
    real.id = Object.values(ids).map(String);
    real.key = series.map((s: { key: string }) => s.key);
    real.userId = users.map((u) => u.id);
    real.state = ['enable', 'disable'];
  });
  afterAll(() => portal.close());

  /** A refusal as issue 12 asks: the status, a message that says something, no trace, and nothing changed. */
  async function expectRefused(send: () => Promise<Response>, status: number, message: RegExp) {
    const before = await snapshot(portal);
    const response = await send();
    expect({ status: response.status, message: response.body?.message ?? htmlText(/<p class="error">([^<]*)</.exec(response.text)?.[1] ?? '') }).toEqual({
      status,
      message: expect.stringMatching(message),
    });
    expect(await snapshot(portal)).toEqual(before);
  }

  describe('the findings of issue 12', () => {
    it('an id from 2^31 up in a path is a 404 on pages and the API, not an integer overflow', async () => {
      for (const url of ['/targets/2147483648', '/api/targets/2147483648', '/groups/9999999999', '/api/processes/1e308', '/pipeline/4294967296/log']) {
        await expectRefused(() => admin.agent.get(url).set('Accept', 'application/json'), 404, /There is nothing with id "[^"]+": ids are whole numbers from 1 to 2147483647/);
      }
      await expectRefused(() => admin.agent.get('/targets/2147483648'), 404, /ids are whole numbers/);
      // Found by the junk below: `1.0`, ` 1` and `0x1` named row 1, and a group was deleted through `/groups/1.0/delete`.
      for (const id of [`${ids.group}.0`, `%20${ids.group}`, `0x${ids.group}`, `0${ids.group}`]) {
        await expectRefused(() => student.agent.post(`/groups/${id}/delete`).type('form').send({ _csrf: student.csrf }), 404, /There is nothing with id/);
      }
    });

    it('1e308 in id arrays, presetId and offset is a 400 naming the field', async () => {
      await expectRefused(() => json(student, 'post', '/api/groups', { name: 'g', productIds: [ids.product, 1e308] }), 400, /^Validation failed$/);
      const group = await json(student, 'post', '/api/groups', { name: 'g', productIds: [1e308] });
      expect(group.body.errors).toEqual({ productIds: ['each value in productIds must be an id (a whole number from 1 to 2147483647)'] });
      const run = await json(student, 'post', '/api/processes', { targetId: ids.target, pipeline: 'FITS header summary', inputIds: [ids.product], presetId: 1e308 });
      expect([run.status, run.body.errors]).toEqual([400, { presetId: ['presetId must be an id (a whole number from 1 to 2147483647)'] }]);
      const offset = await json(student, 'get', '/api/targets?offset=1e308');
      expect([offset.status, offset.body.errors]).toEqual([400, { offset: ['offset must be a whole number from 0 to 2147483647'] }]);
      await expectRefused(() => student.agent.get('/targets?offset=1e308'), 400, /offset must be a whole number from 0 to 2147483647, not "1e308"/);
      // The page's forms: the preset of the picker and the ticked products.
      await expectRefused(
        () => student.agent.post(`/targets/${ids.target}/pipeline-runs`).type('form').send(`pipeline=Byte+count&productIds=${ids.product}&preset%3AByte+count=1e308&_csrf=${encodeURIComponent(student.csrf)}`),
        400,
        /preset must be an id \(a whole number from 1 to 2147483647\), not "1e308"/,
      );
      await expectRefused(
        () => student.agent.post('/groups').type('form').send(`name=g&productIds=${ids.product}&productIds=1e308&_csrf=${encodeURIComponent(student.csrf)}`),
        400,
        /Invalid data product id "1e308"/,
      );
    });

    it('?after= past the range is a 400 on the page and the API', async () => {
      await expectRefused(() => student.agent.get(`/pipeline/${ids.run}/log?after=1e308`).set('Accept', 'application/json'), 400, /after must be a whole number from 0 to 2147483647/);
      const api = await json(student, 'get', `/api/processes/${ids.run}/log?after=99999999999`);
      expect([api.status, api.body.errors?.after]).toEqual([400, ['after must be a whole number from 0 to 2147483647']]);
    });

    it('a repeated query parameter is a 400 with a message on pages and the API alike', async () => {
      for (const url of ['/targets?q=a&q=b', '/api/targets?q=a&q=b', '/runs?state=failed&state=queued', `/targets/${ids.target}?scope=mine&scope=class`, '/api/groups?limit=1&limit=2']) {
        await expectRefused(() => student.agent.get(url), 400, /The query parameter "\w+" is given 2 times; give it once/);
      }
    });

    it('NUL and other control characters in a search are a 400 with a message', async () => {
      for (const url of ['/targets?q=%00', '/api/targets?q=M13%00', '/admin/users?q=%1b%5b31m', '/api/users?q=a%0Ab']) {
        await expectRefused(() => admin.agent.get(url), 400, /The query parameter "q" holds a control character/);
      }
      await expectRefused(() => json(student, 'post', '/api/targets', { name: 'x\u0000y', ra: 1, dec: 2 }), 400, /The field "name" holds a NUL character/);
    });

    it('JSON nested 3,000 deep is a 400 before anything reads it', async () => {
      for (const [url, text] of [
        ['/api/targets', `{"name": ${deepJson(3000, false)}}`],
        ['/api/processes', `{"targetId": ${ids.target}, "pipeline": "Byte count", "inputIds": [${ids.product}], "flags": ${deepJson(3000, true)}}`],
        ['/groups', deepJson(33, true)],
      ]) {
        await expectRefused(() => student.agent.post(url).set('X-CSRF-Token', student.csrf).set('Content-Type', 'application/json').send(text), 400, /nested more than 32 levels deep/);
      }
      // 32 levels are fine for the parser (the DTO then says what is wrong).
      await expectRefused(() => student.agent.post('/api/targets').set('X-CSRF-Token', student.csrf).set('Content-Type', 'application/json').send(`{"name": ${deepJson(31, false)}}`), 400, /Validation failed/);
    });

    it('a form posted without a body is refused with a message, not a TypeError (found by the junk below)', async () => {
      await expectRefused(() => student.agent.post(`/targets/${ids.target}/pipeline-runs`).set('X-CSRF-Token', student.csrf), 400, /Unknown pipeline ""/);
      await expectRefused(() => student.agent.post('/groups').set('X-CSRF-Token', student.csrf), 400, /./);
    });

    it('a page form field given twice is a 400, not a mangled value', async () => {
      await expectRefused(() => student.agent.post('/target-lists').type('form').send(`name=a&name=b&_csrf=${encodeURIComponent(student.csrf)}`), 400, /The field "name" is given 2 times; give it once/);
      await expectRefused(() => student.agent.post('/targets').type('form').send(`name=Twice&ra=1&ra=2&dec=3&_csrf=${encodeURIComponent(student.csrf)}`), 400, /The field "ra" is given 2 times/);
    });
  });

  describe('generated junk at every route', () => {
    let routes: Route[];
    let openApi: { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: { content: Record<string, { schema: unknown }> } }>>; components: { schemas: Record<string, unknown> } };

    beforeAll(async () => {
      // Every route Nest registered, from express's router: pages, the API, the OpenAPI document and UI.
      const router = (portal.app.getHttpAdapter().getInstance() as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router;
      routes = router.stack
        .filter((layer) => layer.route)
        .flatMap((layer) => Object.keys(layer.route!.methods).map((method) => ({ method: method as Method, path: layer.route!.path })))
        .filter((route) => !LEFT_OUT[routeName(route)])
        // BAD_INPUT_ROUTES (a regular expression) narrows a run to some routes, to look into a failure.
        .filter((route) => !process.env.BAD_INPUT_ROUTES || new RegExp(process.env.BAD_INPUT_ROUTES).test(routeName(route)));
      openApi = (await student.agent.get('/api/docs-json').expect(200)).body;
    });

    /** The API route's OpenAPI operation. */
    const operation = (route: Route) => openApi.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method];

    /** A JSON schema's properties as field kinds (ids by name, since ids and other numbers share a type). */
    function schemaFields(schema: unknown): Record<string, FieldKind> {
      let resolved = schema as { $ref?: string; properties?: Record<string, { type?: string; enum?: unknown[]; items?: { type?: string }; $ref?: string }>; allOf?: unknown[] };
      if (resolved?.$ref) resolved = openApi.components.schemas[resolved.$ref.split('/').pop()!] as typeof resolved;
      const fields: Record<string, FieldKind> = {};
      for (const [name, property] of Object.entries(resolved?.properties ?? {})) {
        const type = property.type;
        fields[name] =
          /Ids$/.test(name) ? 'ids'
          : /Id$/.test(name) ? 'id'
          : property.enum ? 'choice'
          : type === 'string' ? 'text'
          : type === 'number' || type === 'integer' ? 'number'
          : type === 'boolean' ? 'flag'
          : type === 'array' ? 'list'
          : 'object';
      }
      return fields;
    }

    function queryNames(route: Route): string[] {
      const api = operation(route)?.parameters?.filter((p) => p.in === 'query').map((p) => p.name) ?? [];
      return [...api, ...(PAGE_QUERIES[routeName(route)] ?? [])];
    }

    function bodyFields(route: Route): Record<string, FieldKind> {
      const content = operation(route)?.requestBody?.content;
      const schema = content?.['application/json']?.schema ?? content?.['multipart/form-data']?.schema;
      return schema ? schemaFields(schema) : PAGE_FORMS[routeName(route)] ?? {};
    }

    /** A request for `route`: path params (real ones only when reading), junk query, and a body when it changes. */
    function junkRequest(route: Route) {
      const changes = route.method !== 'get';
      const params = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
      const param = (name: string): fc.Arbitrary<Text> => {
        const junk = name === 'id' ? junkId : fc.oneof(junkId, junkText);
        // Writes get an `id` that names nothing, so whatever else is sent, nothing may change.
        if (changes && name === 'id') return junk;
        return real[name]?.length ? fc.oneof(fc.constantFrom<Text>(...real[name]), junk) : junk;
      };
      const poisoned = changes && !params.includes('id');
      const isApi = route.path.startsWith('/api/');
      return fc.record({
        params: fc.tuple(...params.map(param)),
        query: junkQuery(queryNames(route)),
        body: !changes ? fc.constant(undefined) : poisoned ? junkBody(bodyFields(route), isApi, true) : fc.option(junkBody(bodyFields(route), isApi, false), { nil: undefined, freq: 4 }),
        csrf: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      }).map((request) => {
        let i = 0;
        const url = route.path.replace(/:(\w+)/g, () => pct(request.params[i++]));
        return { ...request, url: request.query ? `${url}?${request.query}` : url };
      });
    }

    async function send(user: LoggedIn, route: Route, request: ReturnType<typeof junkRequest> extends fc.Arbitrary<infer R> ? R : never): Promise<Response> {
      let call = user.agent[route.method](request.url).set('Accept', route.path.startsWith('/api/') ? 'application/json' : 'text/html');
      if (request.csrf) call = call.set('X-CSRF-Token', user.csrf);
      if (request.body) {
        const text = request.body.type === 'form' && request.csrf ? `${request.body.text}&_csrf=${encodeURIComponent(user.csrf)}` : request.body.text;
        call = call.set('Content-Type', request.body.type === 'json' ? 'application/json' : 'application/x-www-form-urlencoded').send(text);
      }
      return call;
    }

    /** What every answer to junk must be: below 500, no stack trace, and a refusal that says why. */
    function checkAnswer(response: Response): string | null {
      if (response.status >= 500) return `status ${response.status}: ${response.body?.message ?? response.text.slice(0, 300)}`;
      if (/\bat [\w.<>]+ \([^)]*:\d+:\d+\)/.test(response.text ?? '')) return `a stack trace in the answer (${response.status})`;
      // The error filter's last line of defence: a 400 all the same, but a door let the value through to Postgres.
      if ((response.body?.message ?? htmlText(response.text ?? '')).includes(VALUE_REFUSED_BY_DATABASE)) return 'bad input reached the database (SQLSTATE 22xxx)';
      if (response.status >= 400) {
        const json = typeof response.body?.message === 'string' && response.body.message.trim() !== '';
        const html = /class="(error|field-error|flash error)"/.test(response.text ?? '');
        if (!json && !html && response.status !== 431) return `a ${response.status} without a message: ${(response.text ?? '').slice(0, 200)}`;
      }
      return null;
    }

    it('lists every route: each page form is known, and the API\'s routes are in the OpenAPI document', () => {
      if (!process.env.BAD_INPUT_ROUTES) expect(routes.length).toBeGreaterThan(100);
      const pagePosts = routes.filter((route) => route.method === 'post' && !route.path.startsWith('/api/')).map(routeName);
      expect(pagePosts.filter((name) => !PAGE_FORMS[name] && !BODILESS.includes(name))).toEqual([]);
      const api = routes.filter((route) => route.path.startsWith('/api/') && !route.path.startsWith('/api/docs'));
      expect(api.filter((route) => !operation(route) && !SERVICE_ROUTES.includes(routeName(route))).map(routeName)).toEqual([]);
    });

    for (const role of ['student', 'admin'] as const) {
      it(`gives no 5xx and changes nothing, whatever junk a ${role} sends to any route`, async () => {
        const user = role === 'student' ? student : admin;
        const failures: string[] = [];
        let sent = 0;
        for (const [index, route] of routes.entries()) {
          const seed = SEED + index + (role === 'admin' ? 100_000 : 0);
          const before = await snapshot(portal);
          const changes = route.method !== 'get';
          try {
            await fc.assert(
              fc.asyncProperty(junkRequest(route), async (request) => {
                sent++;
                const response = await send(user, route, request);
                if (process.env.BAD_INPUT_TRACE) console.log(`${role} ${route.method.toUpperCase()} ${request.url} ${request.body?.text.slice(0, 200) ?? ''} -> ${response.status}`);
                const problem = checkAnswer(response);
                if (problem) throw new Error(`${request.url} ${request.body ? request.body.text.slice(0, 300) : ''}: ${problem}`);
                if (changes) {
                  const after = await snapshot(portal);
                  const changed = Object.keys(before).filter((table) => after[table] !== before[table]);
                  if (changed.length) throw new Error(`${request.url} ${request.body?.text.slice(0, 300) ?? ''}: changed ${changed.join(', ')} (status ${response.status})`);
                }
              }),
              { seed, numRuns: RUNS },
            );
          } catch (error) {
            failures.push(`${role} ${routeName(route)} (BAD_INPUT_SEED=${SEED} BAD_INPUT_RUNS=${RUNS}, seed ${seed}): ${(error as Error).message.split('\n').slice(0, 6).join('\n')}`);
          }
          const after = await snapshot(portal);
          const changed = Object.keys(before).filter((table) => after[table] !== before[table]);
          if (changed.length) failures.push(`${role} ${routeName(route)}: changed ${changed.join(', ')}`);
        }
        expect(failures).toEqual([]);
        expect(sent).toBeGreaterThanOrEqual(routes.length * RUNS);
        // Still logged in: the junk was refused, not answered with a log-in page.
        expect((await user.agent.get('/api/me').expect(200)).body.username).toBe(user.username);
      }, 30 * 60_000);
    }
  });
});
