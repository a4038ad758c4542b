#!/usr/bin/env node
// CI stage: the built dist/ on the real servers, as an operator runs it. A web process with its in-process worker
// off seeds the demo on an empty database (SEED_DEMO's default); a demo account logs in and makes an API token on
// /profile; a run started through the API stays queued until a separate `node dist/src/worker.js` takes it and
// finishes it; both processes stop on SIGTERM with exit code 0.
// Needs DATABASE_URL (an EMPTY database) and REDIS_URL; plain Node, no dependencies.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const children = [];

function fail(message) {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    process.stderr.write(`\n-- ${child.name} output (last 40 lines) --\n${child.output.split('\n').slice(-40).join('\n')}\n`);
  }
  process.stderr.write(`dist-smoke: FAILED: ${message}\n`);
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function start(name, entry, env) {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', entry)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.name = name;
  child.output = '';
  child.waiters = [];
  const onData = (chunk) => {
    child.output += chunk;
    child.waiters = child.waiters.filter((waiter) => !waiter());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', () => {
    for (const waiter of child.waiters) waiter(true);
  });
  children.push(child);
  return child;
}

/** Resolves when the child's output matches `pattern`; fails the stage when it exits first or time runs out. */
function waitFor(child, pattern, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => fail(`${child.name}: no ${pattern} within ${timeoutMs / 1000} s`), timeoutMs);
    const check = (exited) => {
      const match = pattern.exec(child.output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
        return true;
      }
      if (exited) fail(`${child.name} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}`);
      return false;
    };
    if (!check(child.exitCode !== null)) child.waiters.push(check);
  });
}

/** SIGTERM, then the exit code (0 expected); SIGKILL and fail after 60 s. */
function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? child.signalCode);
    const timer = setTimeout(() => fail(`${child.name} did not exit within 60 s of SIGTERM`), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
    child.kill('SIGTERM');
  });
}

async function main() {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) fail('needs DATABASE_URL (an empty database) and REDIS_URL');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-dist-smoke-'));
  // SEED_DEMO is left unset on purpose: seeding an empty database is the default the quick start promises.
  delete process.env.SEED_DEMO;
  const env = { PORT: String(port), DATA_DIR: dataDir, IN_PROCESS_WORKER: 'false' };

  const web = start('web (node dist/src/main.js)', 'main.js', env);
  await waitFor(web, /Demo class: .*join code \S+/, 180_000);
  const accounts = [...web.output.matchAll(/Demo account: (\S+) \/ (.+) \((admin|teacher|student)\)/g)].map((m) => ({ username: m[1], password: m[2].trim(), role: m[3] }));
  const roles = accounts.map((a) => a.role).sort().join(',');
  if (roles !== 'admin,student,student,teacher') fail(`the seed printed accounts with roles [${roles}], expected an admin, a teacher and two students`);
  console.log(`demo seed printed ${accounts.length} accounts: ${accounts.map((a) => `${a.username} (${a.role})`).join(', ')}`);

  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i === 120) fail('GET /healthz did not succeed within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  // Log in with the printed teacher account, through the login form as a browser does.
  const teacher = accounts.find((a) => a.role === 'teacher');
  let cookie = '';
  const request = async (method, url, { form, json, token } = {}) => {
    const headers = {};
    if (cookie && !token) headers.cookie = cookie;
    if (token) headers.authorization = `Bearer ${token}`;
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    } else if (json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    }
    const response = await fetch(base + url, { method, headers, body, redirect: 'manual' });
    const setCookie = response.headers.getSetCookie?.() ?? [];
    if (setCookie.length && !token) cookie = setCookie.map((c) => c.split(';')[0]).join('; ');
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  };
  const csrf = (html) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? fail('no CSRF token on the page');

  const loginPage = await request('GET', '/login');
  const login = await request('POST', '/login', { form: { username: teacher.username, password: teacher.password, _csrf: csrf(loginPage.text), next: '/targets' } });
  if (login.status !== 303 || login.location !== '/targets') fail(`logging in as ${teacher.username} with the printed password: ${login.status} to ${login.location}`);
  const targetsPage = await request('GET', '/targets');
  if (targetsPage.status !== 200 || !targetsPage.text.includes(teacher.username)) fail(`/targets after login: ${targetsPage.status}, without the user's name`);
  console.log(`logged in as ${teacher.username} with the printed password`);

  const profile = await request('GET', '/profile');
  const made = await request('POST', '/profile/tokens', { form: { name: 'ci dist smoke', _csrf: csrf(profile.text) } });
  const token = /id="new-token-value"[^>]*value="([^"]+)"/.exec(made.text)?.[1];
  if (made.status !== 201 || !token) fail(`POST /profile/tokens: ${made.status}, no token shown`);

  const api = async (method, url, json) => {
    const response = await request(method, url, { json, token });
    if (response.status >= 300) fail(`${method} ${url}: ${response.status} ${response.text.slice(0, 300)}`);
    return JSON.parse(response.text);
  };
  const targets = await api('GET', '/api/targets');
  const target = (targets.items ?? targets)[0] ?? fail('GET /api/targets lists no demo target');
  const products = await api('GET', `/api/targets/${target.id}/data-products`);
  const product = (products.items ?? products)[0] ?? fail(`the demo target ${target.name} has no data products`);
  const run = await api('POST', '/api/processes', { targetId: target.id, pipeline: 'FITS header summary', inputIds: [product.id] });
  if (run.state !== 'queued') fail(`a new run with no worker running is ${run.state}, not queued`);
  console.log(`run ${run.id} (FITS header summary on ${target.name}) queued through the API with the token`);

  const worker = start('worker (node dist/src/worker.js)', 'worker.js', env);
  await waitFor(worker, /Worker ready/, 120_000);
  let state = run.state;
  for (let i = 0; !['succeeded', 'failed', 'cancelled', 'interrupted'].includes(state); i++) {
    if (i === 240) fail(`run ${run.id} still ${state} after 120 s with the worker ready`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    state = (await api('GET', `/api/processes/${run.id}`)).state;
  }
  if (state !== 'succeeded') fail(`run ${run.id} ended ${state}`);
  const log = await api('GET', `/api/processes/${run.id}/log`);
  const startLine = log.lines.map((line) => line.text).find((text) => /^Running /.test(text)) ?? '';
  if (!new RegExp(`worker [^:]+:${worker.pid}\\b`).test(startLine)) fail(`run ${run.id} was not run by the worker process ${worker.pid}: "${startLine}"`);
  console.log(`run ${run.id} succeeded on the worker process (pid ${worker.pid})`);

  const [workerCode, webCode] = [await stop(worker), await stop(web)];
  if (workerCode !== 0 || webCode !== 0) fail(`after SIGTERM the worker exited ${workerCode} and the web process ${webCode}; both must exit 0`);
  console.log('worker and web process stopped on SIGTERM with exit code 0');
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => fail(error.stack ?? String(error)));
