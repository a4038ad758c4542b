import { spawn } from 'node:child_process';
import * as net from 'node:net';
import Redis from 'ioredis';
import type { EmbeddedRedis } from './embedded-redis';

/** A free loopback port (the server picks it; it is free again once closed). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `EMBEDDED_REDIS=redis-server`: a real redis-server from PATH, on loopback, keeping nothing on disk (the runs are
 * queued again from Postgres at start, as with the built-in server). `onExit` hears of it dying on its own.
 */
export async function startRedisServerProcess(onExit: (description: string) => void): Promise<EmbeddedRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stopping = false;
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ENOENT' ? 'EMBEDDED_REDIS=redis-server, but there is no redis-server on PATH (install Redis, or leave EMBEDDED_REDIS unset for the built-in server)' : `redis-server could not start: ${error.message}`),
    );
    child.once('exit', (code, signal) => resolve(`redis-server ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const failed = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 50))]);
      if (failed) throw new Error(failed);
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
      }
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    probe.disconnect();
  }
  void exited.then((description) => {
    if (!stopping) onExit(description);
  });
  return {
    url,
    close: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
