import { Request, Response } from 'express';
import { adminOnly, sameOriginWrites } from './admin-access';

function call(middleware: typeof adminOnly, req: Partial<Record<string, unknown>> & { headers?: Record<string, string> }) {
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const request = {
    method: 'GET',
    protocol: 'http',
    path: '/admin/queues',
    originalUrl: '/admin/queues',
    get: (name: string) => headers[name.toLowerCase()],
    accepts: (types: string[]) => (headers.accept === 'application/json' ? types[1] : types[0]),
    ...req,
  } as unknown as Request;
  const result: { next?: boolean; status?: number; redirect?: string; view?: string; json?: any } = {};
  const res = {
    status: (status: number) => ((result.status = status), res),
    redirect: (url: string) => (result.redirect = url),
    render: (view: string) => (result.view = view),
    json: (body: unknown) => (result.json = body),
  } as unknown as Response;
  middleware(request, res, () => (result.next = true));
  return result;
}

describe('adminOnly', () => {
  it('lets an admin through, sends the anonymous to log in, and shows teachers and students the 403 page', () => {
    expect(call(adminOnly, { user: { role: 'admin' } }).next).toBe(true);
    expect(call(adminOnly, {})).toEqual({ redirect: '/login?next=%2Fadmin%2Fqueues' });
    for (const role of ['teacher', 'student']) {
      expect(call(adminOnly, { user: { role } })).toMatchObject({ status: 403, view: 'error' });
      expect(call(adminOnly, { user: { role }, headers: { accept: 'application/json' } })).toMatchObject({ status: 403, json: { statusCode: 403, message: 'Only admins may see the queues.' } });
    }
  });
});

describe('sameOriginWrites', () => {
  const put = (headers: Record<string, string>) => call(sameOriginWrites, { method: 'PUT', headers: { host: 'portal.school:3000', ...headers } });

  it('lets reads through whatever their origin', () => {
    expect(call(sameOriginWrites, { method: 'GET', headers: { 'sec-fetch-site': 'cross-site' } }).next).toBe(true);
  });

  it('accepts a write from a page of this origin', () => {
    expect(put({ 'sec-fetch-site': 'same-origin', origin: 'http://portal.school:3000' }).next).toBe(true);
    expect(put({ 'sec-fetch-site': 'same-origin' }).next).toBe(true);
    // An older browser without Sec-Fetch-*: its Origin must name our host (https when a TLS proxy sits in front).
    expect(put({ origin: 'http://portal.school:3000' }).next).toBe(true);
    expect(put({ origin: 'https://portal.school:3000' }).next).toBe(true);
  });

  it('refuses writes from other sites, sibling subdomains, or with no browser headers at all', () => {
    expect(put({ 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' }).status).toBe(403);
    expect(put({ 'sec-fetch-site': 'same-site', origin: 'http://other.school:3000' }).status).toBe(403);
    expect(put({ origin: 'http://portal.school:3000.evil.example' }).status).toBe(403);
    expect(put({ origin: 'null' }).status).toBe(403);
    expect(put({}).status).toBe(403);
  });
});
