/**
 * A process of its own that calls GET /healthz every `intervalMs` until told to stop, and sends back every call's
 * latency: the web process's event loop is measured from outside, without the probe's own work in that loop.
 * Started (compiled) by `startHealthzProbe`.
 */
import { fork } from 'node:child_process';

interface ProbeJob {
  url: string;
  intervalMs: number;
}

export interface HealthzProbe {
  /** Stops polling; resolves with every latency in milliseconds, in order. */
  stop(): Promise<number[]>;
}

export function startHealthzProbe(baseUrl: string, intervalMs = 20): Promise<HealthzProbe> {
  const child = fork(__filename, ['--probe'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (first: { ready?: boolean }) => {
      if (!first.ready) return reject(new Error('the /healthz probe did not start'));
      resolve({
        stop: () =>
          new Promise<number[]>((done, failed) => {
            child.once('message', (reply: { latencies?: number[]; error?: string }) => (reply.latencies ? done(reply.latencies) : failed(new Error(reply.error))));
            child.send('stop');
          }),
      });
    });
    child.send({ url: `${baseUrl}/healthz`, intervalMs } satisfies ProbeJob);
  });
}

async function probe(job: ProbeJob): Promise<void> {
  const latencies: number[] = [];
  let stopping = false;
  process.on('message', (message) => {
    if (message === 'stop') stopping = true;
  });
  // One call before "ready": the connection is open and the route warm.
  await (await fetch(job.url)).text();
  process.send!({ ready: true });
  while (!stopping) {
    const started = performance.now();
    const response = await fetch(job.url);
    await response.text();
    if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, job.intervalMs));
  }
  process.send!({ latencies }, () => process.exit(0));
}

if (process.argv[2] === '--probe') {
  process.once('message', (job: ProbeJob) => {
    probe(job).catch((error: Error) => process.send!({ error: error.message }, () => process.exit(1)));
  });
}
