import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request, { Response } from 'supertest';
import * as yauzl from 'yauzl';
import { ApiTokensService } from '../src/api-tokens/api-tokens.service';
import { ClassroomsService } from '../src/classrooms/classrooms.service';
import { UsersService } from '../src/users/users.service';
import { createTarget, FIXTURES, LoggedIn, startTestPortal, TestPortal, waitForRun } from './utils/test-app';

/**
 * Zip downloads (issue 13, item 5): a group's products (`/groups/:id/download`, `/api/groups/:id/download`) and a
 * run's outputs with its log (`/pipeline/:id/outputs.zip`, `/api/processes/:id/outputs.zip`). Every zip is opened
 * with yauzl and read entry by entry: names, and SHA-256 of each entry against the file that was uploaded (or
 * stored by the run). Cast: teacher A with class A (students a1, a2); b1, a student of no class of theirs.
 */
type Who = 'teacherA' | 'a1' | 'a2' | 'b1';

const EIT = path.join(FIXTURES, 'eit-195-2004-03-01');
const FILES = {
  horsehead: path.join(FIXTURES, 'HorseHead.fits'),
  eit0: path.join(EIT, 'efz20040301.000010_s.fits'),
  eit1: path.join(EIT, 'efz20040301.010016_s.fits'),
};
const GROUP_NAME = 'Nacht über M42';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fileSha = (file: string) => sha256(fs.readFileSync(file));

interface Entry {
  name: string;
  sha256: string;
  bytes: Buffer;
}

/** Reads a body as bytes, whatever its type. */
function binary(res: unknown, done: (error: Error | null, body: Buffer) => void) {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Every entry of a zip, in order, read through yauzl (which checks each entry's size and CRC). */
function unzip(zip: Buffer): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (error, file) => {
      if (error || !file) return reject(error ?? new Error('no zip'));
      const entries: Entry[] = [];
      file.on('error', reject);
      file.on('end', () => resolve(entries));
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            const bytes = Buffer.concat(chunks);
            entries.push({ name: entry.fileName, sha256: sha256(bytes), bytes });
            file.readEntry();
          });
        });
      });
      file.readEntry();
    });
  });
}

/** The zip's entries as name → sha256. */
const digests = (entries: Entry[]) => Object.fromEntries(entries.map((entry) => [entry.name, entry.sha256]));

describe('zip downloads of groups and runs (e2e)', () => {
  let portal: TestPortal;
  const users = {} as Record<Who, LoggedIn & { id: string; token: string }>;
  let classA: number;
  let targetId: number;
  let groupId: number;
  let emptyGroupId: number;
  /** What a1 uploaded, by the name it was given, with the uploaded bytes' SHA-256. */
  const uploaded: Array<{ id: number; name: string; sha256: string; shared: boolean }> = [];

  const page = (who: Who, url: string) => users[who].agent.get(url).set('Accept', 'text/html').buffer(true).parse(binary);
  const api = (who: Who, url: string) => request(portal.app.getHttpServer()).get(url).set('Authorization', `Bearer ${users[who].token}`).buffer(true).parse(binary);
  const json = (res: Response) => JSON.parse((res.body as Buffer).toString('utf8'));

  async function upload(who: Who, file: string | Buffer, name: string, productType: string, shared: boolean): Promise<number> {
    let req = users[who].agent
      .post(`/targets/${targetId}/data-products?_csrf=${encodeURIComponent(users[who].csrf)}`)
      .set('Accept', 'application/json')
      .field('productType', productType);
    if (shared) req = req.field('visibility', 'class').field('classroomId', String(classA));
    const response = await req.attach('files', file, name).expect(201);
    const id = response.body.created[0].id;
    uploaded.push({ id, name, sha256: typeof file === 'string' ? fileSha(file) : sha256(file), shared });
    return id;
  }

  /** Checks a zip answer: streamed, an attachment named after `name` in UTF-8, application/zip; returns its entries. */
  async function zipOf(res: Response, name: string): Promise<Entry[]> {
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    // Streamed as it is made: no length known up front, so chunked.
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const disposition = res.headers['content-disposition'] as string;
    expect(disposition).toMatch(/^attachment; /);
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
    return unzip(res.body as Buffer);
  }

  beforeAll(async () => {
    portal = await startTestPortal();
    for (const [who, role] of [['teacherA', 'teacher'], ['a1', 'student'], ['a2', 'student'], ['b1', 'student']] as const) {
      const loggedIn = await portal.login(who, role);
      const [{ id }] = await portal.dataSource.query('SELECT id FROM users WHERE username = $1', [who]);
      const { token } = await portal.app.get(ApiTokensService).create({ id }, 'exports');
      users[who] = { ...loggedIn, id, token };
    }
    const classes = portal.app.get(ClassroomsService);
    const sessionUser = async (who: Who) => (await portal.app.get(UsersService).findSessionUser(users[who].id))!;
    const a = await classes.create({ teacherId: users.teacherA.id, name: 'Class A' });
    classA = a.id;
    await classes.joinByCode(await sessionUser('a1'), a.joinCode);
    await classes.joinByCode(await sessionUser('a2'), a.joinCode);

    targetId = await createTarget(users.teacherA, { name: 'Export sky', ra: '83.8', dec: '-5.4', visibility: 'public' });
    // Three different frames that share a name (one in another case), a UTF-8 name, and one private file.
    await upload('a1', FILES.horsehead, 'frame.fits', 'fits_image', true);
    await upload('a1', FILES.eit0, 'frame.fits', 'fits_image', true);
    await upload('a1', FILES.eit1, 'FRAME.fits', 'fits_image', true);
    await upload('a1', Buffer.from('magnitudes by eye\n'), 'Mészáros_ü.txt', 'other', true);
    await upload('a1', Buffer.from('only for me and my teacher\n'), 'private-notes.txt', 'other', false);

    const group = await users.a1.agent
      .post('/api/groups')
      .set('X-CSRF-Token', users.a1.csrf)
      .send({ name: GROUP_NAME, productIds: uploaded.map((file) => file.id), visibility: 'class', classroomId: classA })
      .expect(201);
    groupId = group.body.id;
    const empty = await users.a1.agent
      .post('/api/groups')
      .set('X-CSRF-Token', users.a1.csrf)
      .send({ name: 'Only private', productIds: [uploaded[4].id], visibility: 'class', classroomId: classA })
      .expect(201);
    emptyGroupId = empty.body.id;
  }, 120_000);
  afterAll(() => portal?.close());

  describe('a group', () => {
    const expectedNames = ['frame.fits', 'frame (2).fits', 'FRAME (3).fits', 'Mészáros_ü.txt'];

    it('gives a classmate the products shared with her, under their uploaded names made distinct, byte for byte', async () => {
      const response = await page('a2', `/groups/${groupId}/download`);
      // The header stays ASCII; the exact name is the UTF-8 form.
      expect(response.headers['content-disposition']).toBe(`attachment; filename="Nacht _ber M42.zip"; filename*=UTF-8''Nacht%20%C3%BCber%20M42.zip`);
      const entries = await zipOf(response, `${GROUP_NAME}.zip`);
      expect(entries.map((entry) => entry.name)).toEqual(expectedNames);
      expect(digests(entries)).toEqual(Object.fromEntries(uploaded.slice(0, 4).map((file, i) => [expectedNames[i], file.sha256])));
      // Another student's private product in the shared group is not in it.
      expect(entries.some((entry) => entry.name === 'private-notes.txt')).toBe(false);
      expect(entries.some((entry) => entry.bytes.toString('utf8').includes('only for me'))).toBe(false);
    });

    it('gives the same zip through the API (bearer token), and the teacher every product including the private one', async () => {
      const viaApi = await zipOf(await api('a2', `/api/groups/${groupId}/download`), `${GROUP_NAME}.zip`);
      expect(digests(viaApi)).toEqual(Object.fromEntries(uploaded.slice(0, 4).map((file, i) => [expectedNames[i], file.sha256])));
      const teacher = await zipOf(await page('teacherA', `/groups/${groupId}/download`), `${GROUP_NAME}.zip`);
      expect(digests(teacher)).toEqual(Object.fromEntries(uploaded.map((file, i) => [[...expectedNames, 'private-notes.txt'][i], file.sha256])));
      // Each entry is the stored file, which is the upload: the product download agrees.
      const single = await page('a2', `/data-products/${uploaded[1].id}/download`).expect(200);
      expect(sha256(single.body as Buffer)).toBe(teacher.find((entry) => entry.name === 'frame (2).fits')!.sha256);
    });

    it('refuses a stranger as the group page does (403), and an unknown or malformed id with 404, page and API alike', async () => {
      const refusedPage = await page('b1', `/groups/${groupId}/download`);
      expect(refusedPage.status).toBe(403);
      expect(refusedPage.headers['content-type']).toMatch(/^text\/html/);
      expect(refusedPage.headers['content-disposition']).toBeUndefined();
      expect((await page('b1', `/groups/${groupId}`)).status).toBe(403);
      const refusedApi = await api('b1', `/api/groups/${groupId}/download`);
      expect(refusedApi.status).toBe(403);
      expect(json(refusedApi).message).toBe('This group is not shared with you');
      expect((await page('a2', '/groups/999999/download')).status).toBe(404);
      expect((await page('a2', '/groups/abc/download')).status).toBe(404);
      const unknown = await api('a2', '/api/groups/999999/download');
      expect(unknown.status).toBe(404);
      expect(json(unknown).message).toBe('There is no group with id 999999');
      expect((await request(portal.app.getHttpServer()).get(`/api/groups/${groupId}/download`)).status).toBe(401);
    });

    it('gives a valid empty zip for a group with nothing the viewer may see, and the page offers no download then', async () => {
      const entries = await zipOf(await page('a2', `/groups/${emptyGroupId}/download`), 'Only private.zip');
      expect(entries).toEqual([]);
      expect((await page('a2', `/groups/${emptyGroupId}`).expect(200)).body.toString()).not.toContain(`/groups/${emptyGroupId}/download`);
      expect((await page('a1', `/groups/${emptyGroupId}`).expect(200)).body.toString()).toContain(`href="/groups/${emptyGroupId}/download"`);
    });

    it('is linked from the group page', async () => {
      const html = (await page('a2', `/groups/${groupId}`).expect(200)).body.toString();
      expect(html).toContain(`<a class="button secondary" href="/groups/${groupId}/download" download>Download all (.zip)</a>`);
      expect(html).toContain('the 4 product(s) you may see');
    });
  });

  describe('a run', () => {
    let runId: number;

    beforeAll(async () => {
      const started = await users.a1.agent
        .post('/api/processes')
        .set('X-CSRF-Token', users.a1.csrf)
        .send({ targetId, pipeline: 'FITS header summary', inputIds: [uploaded[0].id, uploaded[1].id] })
        .expect(201);
      runId = started.body.id;
      const run = await waitForRun(portal, runId, ['succeeded', 'failed'], 60_000);
      expect(run.state).toBe('succeeded');
    }, 90_000);

    /** The run's stored outputs (name, sha256 as stored) and its log as the log download gives it. */
    async function expected(): Promise<Record<string, string>> {
      const outputs: Array<{ original_name: string; sha256: string; stored_path: string }> = await portal.dataSource.query(
        `SELECT p.original_name, p.sha256, p.stored_path FROM data_products p
           JOIN data_product_group_members m ON m.data_product_id = p.id
           JOIN pipeline_runs r ON r.output_group_id = m.group_id WHERE r.id = $1 ORDER BY p.id`,
        [runId],
      );
      expect(outputs.map((output) => output.original_name)).toEqual(['header_summary.csv']);
      // The stored file is what its row says it is.
      for (const output of outputs) expect(fileSha(path.join(portal.dataDir, output.stored_path))).toBe(output.sha256);
      const log = await page('a1', `/pipeline/${runId}/log.txt`).expect(200);
      expect((log.body as Buffer).toString()).toContain('Wrote 2 row(s) to header_summary.csv');
      return { ...Object.fromEntries(outputs.map((output) => [output.original_name, output.sha256])), 'log.txt': sha256(log.body as Buffer) };
    }

    it('gives its starter the outputs and the whole log as log.txt, page and API alike', async () => {
      const [{ identifier }] = await portal.dataSource.query('SELECT identifier FROM pipeline_runs WHERE id = $1', [runId]);
      const want = await expected();
      const entries = await zipOf(await page('a1', `/pipeline/${runId}/outputs.zip`), `${identifier}_outputs.zip`);
      expect(entries.map((entry) => entry.name)).toEqual(['header_summary.csv', 'log.txt']);
      expect(digests(entries)).toEqual(want);
      expect(entries[0].bytes.toString()).toMatch(/^file,hdu,object,/);
      expect(digests(await zipOf(await api('a1', `/api/processes/${runId}/outputs.zip`), `${identifier}_outputs.zip`))).toEqual(want);
    });

    it('refuses a classmate while the run is private and a stranger always (403), an unknown run with 404; shared, the classmate gets it', async () => {
      for (const who of ['a2', 'b1'] as const) {
        expect((await page(who, `/pipeline/${runId}/outputs.zip`)).status).toBe(403);
        const refused = await api(who, `/api/processes/${runId}/outputs.zip`);
        expect(refused.status).toBe(403);
        expect(json(refused).message).toContain('This run is not shared with you');
      }
      expect((await page('a1', '/pipeline/999999/outputs.zip')).status).toBe(404);
      expect((await api('a1', '/api/processes/999999/outputs.zip')).status).toBe(404);

      await users.a1.agent.patch(`/api/processes/${runId}`).set('X-CSRF-Token', users.a1.csrf).send({ visibility: 'class', classroomId: classA }).expect(200);
      const [{ identifier }] = await portal.dataSource.query('SELECT identifier FROM pipeline_runs WHERE id = $1', [runId]);
      expect(digests(await zipOf(await page('a2', `/pipeline/${runId}/outputs.zip`), `${identifier}_outputs.zip`))).toEqual(await expected());
      expect((await page('b1', `/pipeline/${runId}/outputs.zip`)).status).toBe(403);
    });

    it('is linked from the run page', async () => {
      const html = (await page('a1', `/pipeline/${runId}`).expect(200)).body.toString();
      expect(html).toContain(`href="/pipeline/${runId}/outputs.zip" id="outputs-download" download>Outputs and log (.zip)</a>`);
    });
  });
});
