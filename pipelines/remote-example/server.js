#!/usr/bin/env node
// An example processing service for the portal's remote pipelines: a plain Node script (no dependencies, nothing
// of the portal imported) that takes tasks, downloads each input, checks its sha256, logs a line per frame and
// returns a CSV of the frames' sizes, checksums and mean byte value. See docs/writing-pipelines.md for the protocol.
//
//   REMOTE_EXAMPLE_SECRET=change-me node pipelines/remote-example/server.js   (PORT=4100, HOST=127.0.0.1)
//
// Flags and parameters it understands: params.pauseMs (a pause after each frame), flags.fail (report a failure
// after the first frame, to see what a failure looks like).
/* global require, process, console, Buffer, setTimeout, fetch */
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');

const SECRET = process.env.REMOTE_EXAMPLE_SECRET;
const PORT = Number(process.env.PORT || 4100);
const HOST = process.env.HOST || '127.0.0.1';
if (!SECRET) {
  console.error('Set REMOTE_EXAMPLE_SECRET to the secret the portal has for this service.');
  process.exit(2);
}

/** Tasks by run id: { state, cancelled } (GET /tasks/<id> shows them, for whoever is watching). */
const tasks = new Map();

function signature(timestamp, body) {
  return 'sha256=' + crypto.createHmac('sha256', SECRET).update(`${timestamp}.`).update(body).digest('hex');
}

function signedHeaders(body) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { 'X-Portal-Timestamp': timestamp, 'X-Portal-Signature': signature(timestamp, body) };
}

/** Whether a request from the portal is signed with the shared secret and recent. */
function verified(req, body) {
  const timestamp = req.headers['x-portal-timestamp'];
  const presented = String(req.headers['x-portal-signature'] || '');
  if (!/^\d+$/.test(String(timestamp)) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = signature(timestamp, body);
  return presented.length === expected.length && crypto.timingSafeEqual(Buffer.from(presented), Buffer.from(expected));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one event to the portal; answers with the portal's status and message. */
async function send(task, event) {
  const body = JSON.stringify(event);
  const response = await fetch(task.notifyUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signedHeaders(body) }, body });
  if (!response.ok) console.log(`task ${task.runId}: the portal refused ${event.kind} ${event.id}: ${response.status} ${await response.text()}`);
  return response.status;
}

/** Sends a file as an output event (multipart: the event as JSON in "event", the file in "file"). */
async function sendFile(task, event, name, content) {
  const boundary = `----remote-example-${crypto.randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="event"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(event)}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const response = await fetch(task.notifyUrl, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...signedHeaders(body) }, body });
  if (!response.ok) console.log(`task ${task.runId}: the portal refused the output: ${response.status} ${await response.text()}`);
  return response.status;
}

async function work(task) {
  const state = tasks.get(task.runId);
  let seq = 0;
  const id = () => `${task.runId}-${crypto.randomBytes(4).toString('hex')}-${++seq}`;
  const log = (text, level = 'info') => send(task, { id: id(), kind: 'log', lines: [{ level, text }] });
  try {
    await log(`Remote example: ${task.inputs.length} frame(s) of ${task.target.name}`);
    const rows = ['file,bytes,sha256,mean_byte'];
    for (const [index, input] of task.inputs.entries()) {
      if (state.cancelled) return;
      await send(task, { id: id(), kind: 'progress', i: index, n: task.inputs.length, text: `Frame ${input.name}` });
      const response = await fetch(input.url);
      if (!response.ok) throw new Error(`could not download ${input.name}: HTTP ${response.status}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== input.sha256) throw new Error(`${input.name} arrived damaged: its sha256 is ${sha256}, not ${input.sha256}`);
      let sum = 0;
      for (const byte of bytes) sum += byte;
      const mean = bytes.length ? sum / bytes.length : 0;
      rows.push(`${input.name},${bytes.length},${sha256},${mean.toFixed(3)}`);
      await log(`Frame ${index + 1}/${task.inputs.length}: ${input.name}, ${bytes.length} bytes, sha256 checked, mean byte ${mean.toFixed(3)}`);
      if (task.flags && task.flags.fail) throw new Error('failing on purpose, as the "fail" flag asked');
      const pause = Number((task.params && task.params.pauseMs) || 0);
      if (pause > 0) await sleep(pause);
    }
    if (state.cancelled) return;
    await send(task, { id: id(), kind: 'progress', i: task.inputs.length, n: task.inputs.length, text: 'Frames' });
    await sendFile(task, { id: id(), kind: 'output', name: 'frame_checksums.csv', outputType: 'DataProduct', productType: 'other' }, 'frame_checksums.csv', Buffer.from(rows.join('\n') + '\n'));
    await send(task, { id: id(), kind: 'done' });
    state.state = 'done';
    console.log(`task ${task.runId}: done`);
  } catch (error) {
    if (state.cancelled) return;
    state.state = 'failed';
    console.log(`task ${task.runId}: failed: ${error.message}`);
    await send(task, { id: id(), kind: 'failed', message: error.message }).catch(() => undefined);
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const answer = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const match = /^\/tasks(?:\/(\d+))?$/.exec(req.url || '');
    if (!match) return answer(404, { error: 'not found' });
    if (req.method === 'GET' && match[1]) {
      const task = tasks.get(Number(match[1]));
      return task ? answer(200, { runId: Number(match[1]), state: task.state }) : answer(404, { error: 'no such task' });
    }
    if (!verified(req, body)) return answer(401, { error: 'bad or missing signature' });
    if (req.method === 'POST' && !match[1]) {
      let task;
      try {
        task = JSON.parse(body.toString('utf8'));
      } catch {
        return answer(400, { error: 'the task is not JSON' });
      }
      if (!Number.isInteger(task.runId) || !Array.isArray(task.inputs) || typeof task.notifyUrl !== 'string') return answer(400, { error: 'a task has runId, inputs and notifyUrl' });
      tasks.set(task.runId, { state: 'running', cancelled: false });
      console.log(`task ${task.runId}: ${task.pipeline} on ${task.inputs.length} input(s)`);
      answer(202, { accepted: true });
      void work(task);
      return;
    }
    if (req.method === 'DELETE' && match[1]) {
      const task = tasks.get(Number(match[1]));
      if (!task) return answer(404, { error: 'no such task' });
      task.cancelled = true;
      task.state = 'cancelled';
      console.log(`task ${match[1]}: cancelled by the portal`);
      return answer(200, { cancelled: true });
    }
    answer(405, { error: 'method not allowed' });
  });
});

server.listen(PORT, HOST, () => console.log(`Remote example service listening on http://${HOST}:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
