/**
 * H.264 MP4 encoding.
 *
 * Choice: the npm package `h264-mp4-encoder` (MIT; minih264 + minimp4 compiled to WebAssembly, ~2 MB, no
 * dependencies, no install script). It installs with `npm ci` alone on any platform, needs no native binary,
 * no exec bit and no system ffmpeg. Rejected: `@ffmpeg-installer/linux-x64` (a 68 MB GPL static ffmpeg 4.1
 * from 2018, per-platform, with a postinstall `chmod` this machine's npm does not run) and Debian's ffmpeg
 * (absent on a fresh machine). The output is H.264 Baseline, yuv420p, which every browser plays.
 *
 * The encoder runs in a worker thread, for three reasons: its Emscripten glue installs process-wide
 * `uncaughtException`/`unhandledRejection` handlers that abort (harmless inside a worker, fatal for the app);
 * encoding is synchronous CPU work that would otherwise block the event loop (Bull lock renewals, log
 * streaming); and the WebAssembly memory, which only grows, is given back when the worker exits.
 *
 * Afterwards, on the main thread, every frame gets exactly 1/fps (the encoder only knows whole frame rates)
 * and `moov` is moved before `mdat` so that browsers can start playing at once.
 */
import { Worker } from 'node:worker_threads';
import { faststart, setFrameRate } from './mp4-boxes';
import type { Size } from './gray-frame';

const PACKAGE = 'h264-mp4-encoder';

/** Quantiser 10 (best) … 51 (smallest); the encoder's default 33 smears faint stars. */
const QUANTIZATION_PARAMETER = 24;

/** Gray level 0…255 → H.264 luma in "limited" (TV) range 16…235, which is how players decode it. */
const VIDEO_RANGE = Uint8Array.from({ length: 256 }, (_, gray) => 16 + Math.round((gray * 219) / 255));

export function mp4Availability(): { available: boolean; reason?: string } {
  if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object') return { available: false, reason: 'this Node.js has no WebAssembly support' };
  try {
    require.resolve(PACKAGE);
    return { available: true };
  } catch {
    return { available: false, reason: `the npm package ${PACKAGE} is not installed (run npm ci)` };
  }
}

// Plain JavaScript run with `eval: true`, so that it works the same from ts-jest, ts-node and compiled code.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { modulePath, width, height, frameRate, quantizationParameter } = workerData;
let encoder;
let yuv;
const outputFilename = 'timelapse-' + process.pid + '-' + Date.now() + '-' + Math.random().toString(36).slice(2) + '.mp4';
function fail(error) {
  parentPort.postMessage({ type: 'error', message: (error && error.message) || String(error) });
}
parentPort.on('message', (message) => {
  try {
    if (message.type === 'frame') {
      yuv.set(message.luma, 0);
      encoder.addFrameYuv(yuv);
      parentPort.postMessage({ type: 'ack' });
    } else if (message.type === 'end') {
      encoder.finalize();
      const data = encoder.FS.readFile(outputFilename);
      try { encoder.FS.unlink(outputFilename); } catch {}
      encoder.delete();
      parentPort.postMessage({ type: 'done', data }, [data.buffer]);
    }
  } catch (error) {
    fail(error);
  }
});
require(modulePath).createH264MP4Encoder().then((created) => {
  encoder = created;
  encoder.width = width;
  encoder.height = height;
  encoder.frameRate = frameRate;
  encoder.quantizationParameter = quantizationParameter;
  encoder.outputFilename = outputFilename;
  encoder.initialize();
  // Gray: the luma plane is the frame, both chroma planes are neutral.
  yuv = new Uint8Array(width * height * 3 / 2).fill(128);
  parentPort.postMessage({ type: 'ready' });
}, fail);
`;

type WorkerMessage = { type: 'ready' } | { type: 'ack' } | { type: 'done'; data: Uint8Array } | { type: 'error'; message: string };

/**
 * Encodes `count` frames of `size` (even sides) to an MP4 file held in memory. `frame(i)` supplies frame i's
 * pixels (one byte each, exactly size.width×size.height); it is called one frame ahead of the encoder, so only
 * about two frames are in memory at a time.
 */
export async function encodeMp4(count: number, size: Size, fps: number, frame: (index: number) => Promise<Uint8Array>): Promise<Uint8Array> {
  const availability = mp4Availability();
  if (!availability.available) throw new Error(`MP4 output is unavailable: ${availability.reason}`);
  if (size.width % 2 || size.height % 2) throw new Error(`MP4 frames need even sides, not ${size.width}×${size.height}`);

  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      modulePath: require.resolve(PACKAGE),
      width: size.width,
      height: size.height,
      frameRate: Math.max(1, Math.round(fps)),
      quantizationParameter: QUANTIZATION_PARAMETER,
    },
  });
  // One pending wait at a time: the protocol is strictly request/answer.
  let pending: { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void } | undefined;
  let failure: Error | undefined;
  const settleFailure = (error: Error) => {
    failure ??= error;
    pending?.reject(failure);
    pending = undefined;
  };
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'error') return settleFailure(new Error(`MP4 encoder: ${message.message}`));
    const waiting = pending;
    pending = undefined;
    waiting?.resolve(message);
  });
  worker.on('error', (error) => settleFailure(new Error(`MP4 encoder worker failed: ${error.message}`)));
  worker.on('exit', (code) => settleFailure(new Error(`MP4 encoder worker exited early (code ${code})`)));
  const next = (expected: WorkerMessage['type']): Promise<WorkerMessage> => {
    const answer = new Promise<WorkerMessage>((resolve, reject) => {
      if (failure) return reject(failure);
      pending = { resolve, reject };
    }).then((message) => {
      if (message.type !== expected) throw new Error(`MP4 encoder answered ${message.type}, expected ${expected}`);
      return message;
    });
    // The answer is awaited later (after the next frame is prepared); until then a failure must not count as
    // an unhandled rejection.
    answer.catch(() => undefined);
    return answer;
  };

  try {
    let answer = next('ready');
    for (let index = 0; index < count; index++) {
      const pixels = await frame(index); // prepared while the worker encodes the previous frame
      if (pixels.length !== size.width * size.height) throw new Error(`MP4 frame ${index + 1} has ${pixels.length} pixels, expected ${size.width * size.height}`);
      await answer;
      answer = next('ack');
      // A copy we own (so that it can be transferred), in video range: players map luma 16…235 to black…white.
      const luma = new Uint8Array(pixels.length);
      for (let i = 0; i < pixels.length; i++) luma[i] = VIDEO_RANGE[pixels[i]];
      worker.postMessage({ type: 'frame', luma }, [luma.buffer]);
    }
    await answer;
    const done = next('done');
    worker.postMessage({ type: 'end' });
    const { data } = (await done) as { type: 'done'; data: Uint8Array };
    setFrameRate(data, fps);
    return faststart(data);
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
