/**
 * Just enough ISO BMFF (MP4) box handling for our H.264 timelapses: read the video track's size, frame count
 * and frame duration; set an exact frame duration; move `moov` before `mdat` ("faststart", so a browser can
 * start playing before the whole file has arrived).
 */

export interface Box {
  type: string;
  /** Offset of the box header. */
  start: number;
  /** Offset of the box's contents (after the size/type header). */
  body: number;
  /** Offset just past the box. */
  end: number;
}

/** The boxes laid end to end in `buf[start, end)`; throws on a box that overruns its parent. */
export function parseBoxes(buf: Uint8Array, start = 0, end = buf.length): Box[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const boxes: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(buf[at + 4], buf[at + 5], buf[at + 6], buf[at + 7]);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) throw new Error(`MP4 box ${type} at ${at} is truncated`);
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) throw new Error(`MP4 box ${type} at ${at} (${size} bytes) overruns its parent`);
    boxes.push({ type, start: at, body: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

/** The children of a container box. */
export function children(buf: Uint8Array, box: Box): Box[] {
  return parseBoxes(buf, box.body, box.end);
}

/** The first box along a path of types below `parent` (e.g. `['mdia', 'minf', 'stbl', 'stsz']`). */
export function findPath(buf: Uint8Array, parent: Box, types: string[]): Box | undefined {
  let current: Box | undefined = parent;
  for (const type of types) {
    if (!current) return undefined;
    current = children(buf, current).find((box) => box.type === type);
  }
  return current;
}

interface Track {
  trak: Box;
  tkhd: Box;
  mdhd: Box;
  stts: Box;
  stsz: Box;
}

function videoTrack(buf: Uint8Array, moov: Box): Track {
  for (const trak of children(buf, moov).filter((box) => box.type === 'trak')) {
    const hdlr = findPath(buf, trak, ['mdia', 'hdlr']);
    // hdlr: version/flags (4), pre_defined (4), handler_type (4).
    const handler = hdlr ? String.fromCharCode(...buf.subarray(hdlr.body + 8, hdlr.body + 12)) : '';
    if (handler !== 'vide') continue;
    const tkhd = findPath(buf, trak, ['tkhd']);
    const mdhd = findPath(buf, trak, ['mdia', 'mdhd']);
    const stts = findPath(buf, trak, ['mdia', 'minf', 'stbl', 'stts']);
    const stsz = findPath(buf, trak, ['mdia', 'minf', 'stbl', 'stsz']) ?? findPath(buf, trak, ['mdia', 'minf', 'stbl', 'stz2']);
    if (!tkhd || !mdhd || !stts || !stsz) throw new Error('the MP4 video track lacks one of tkhd, mdhd, stts, stsz');
    return { trak, tkhd, mdhd, stts, stsz };
  }
  throw new Error('the MP4 file has no video track');
}

function topLevel(buf: Uint8Array): { boxes: Box[]; moov: Box } {
  const boxes = parseBoxes(buf);
  const moov = boxes.find((box) => box.type === 'moov');
  if (!moov) throw new Error('the MP4 file has no moov box');
  return { boxes, moov };
}

/** Reads a version-dependent field of a full box: 32 bits in version 0, 64 bits in version 1. */
function fullBoxTime(view: DataView, box: Box, offsetV0: number, offsetV1: number): { at: number; wide: boolean } {
  const wide = view.getUint8(box.body) === 1;
  return { at: box.body + (wide ? offsetV1 : offsetV0), wide };
}

function readTime(view: DataView, field: { at: number; wide: boolean }): number {
  return field.wide ? Number(view.getBigUint64(field.at)) : view.getUint32(field.at);
}

/** The 32-bit timescale of an mvhd or mdhd box (after the creation and modification times). */
function timescaleOf(view: DataView, box: Box): number {
  return view.getUint32(box.body + (view.getUint8(box.body) === 1 ? 20 : 12));
}

function writeTime(view: DataView, field: { at: number; wide: boolean }, value: number): void {
  if (field.wide) view.setBigUint64(field.at, BigInt(value));
  else view.setUint32(field.at, value);
}

// Offsets (from the box body) of the duration in mvhd and mdhd, and in tkhd, by version.
const DURATION = { v0: 16, v1: 24 };
const TKHD_DURATION = { v0: 20, v1: 28 };

export interface Mp4Info {
  width: number;
  height: number;
  frameCount: number;
  /** Duration of the first frame in milliseconds. */
  delayMs?: number;
  durationMs: number;
}

/** Size, frame count and timing of the (first) video track of an MP4 file held in memory. */
export function readMp4Info(buf: Uint8Array): Mp4Info {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { moov } = topLevel(buf);
  const track = videoTrack(buf, moov);
  // tkhd ends with width and height as 16.16 fixed point.
  const width = view.getUint32(track.tkhd.end - 8) / 65536;
  const height = view.getUint32(track.tkhd.end - 4) / 65536;
  // stsz / stz2: version/flags (4), sample_size or reserved+field_size (4), sample_count (4).
  const frameCount = view.getUint32(track.stsz.body + 8);
  const mediaTimescale = timescaleOf(view, track.mdhd);
  const duration = readTime(view, fullBoxTime(view, track.mdhd, DURATION.v0, DURATION.v1));
  // stts: version/flags (4), entry_count (4), then (sample_count, sample_delta) pairs.
  const entries = view.getUint32(track.stts.body + 4);
  const firstDelta = entries > 0 ? view.getUint32(track.stts.body + 12) : undefined;
  return {
    width: Math.round(width),
    height: Math.round(height),
    frameCount,
    delayMs: firstDelta !== undefined && mediaTimescale ? Math.round((firstDelta * 1000) / mediaTimescale) : undefined,
    durationMs: mediaTimescale ? Math.round((duration * 1000) / mediaTimescale) : 0,
  };
}

/**
 * Gives every frame of the video track the duration 1/fps (to the track's timescale) and updates the track
 * and movie durations. Works in place: only fixed-size fields change.
 */
export function setFrameRate(buf: Uint8Array, fps: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { moov } = topLevel(buf);
  const track = videoTrack(buf, moov);
  const mvhd = findPath(buf, moov, ['mvhd']);
  if (!mvhd) throw new Error('the MP4 file has no mvhd box');

  const mediaTimescale = timescaleOf(view, track.mdhd);
  const movieTimescale = timescaleOf(view, mvhd);
  const delta = Math.max(1, Math.round(mediaTimescale / fps));

  // stts: version/flags (4), entry_count (4), then (sample_count, sample_delta) pairs.
  const entries = view.getUint32(track.stts.body + 4);
  let samples = 0;
  for (let i = 0; i < entries; i++) {
    const at = track.stts.body + 8 + i * 8;
    samples += view.getUint32(at);
    view.setUint32(at + 4, delta);
  }
  const mediaDuration = samples * delta;
  const movieDuration = Math.round((mediaDuration * movieTimescale) / mediaTimescale);
  writeTime(view, fullBoxTime(view, track.mdhd, DURATION.v0, DURATION.v1), mediaDuration);
  writeTime(view, fullBoxTime(view, mvhd, DURATION.v0, DURATION.v1), movieDuration);
  writeTime(view, fullBoxTime(view, track.tkhd, TKHD_DURATION.v0, TKHD_DURATION.v1), movieDuration);

  // An edit list, if any, plays the whole track: its one segment lasts as long as the track.
  const elst = findPath(buf, track.trak, ['edts', 'elst']);
  if (elst && view.getUint32(elst.body + 4) === 1) {
    writeTime(view, { at: elst.body + 8, wide: view.getUint8(elst.body) === 1 }, movieDuration);
  }
}

/**
 * The file with `moov` right after `ftyp` and before the media data, `free`/`skip` padding dropped, and every
 * chunk offset (stco/co64) moved to match. Returns the input unchanged if `moov` already precedes `mdat`.
 */
export function faststart(buf: Uint8Array): Uint8Array {
  const { boxes, moov } = topLevel(buf);
  const firstMdat = boxes.find((box) => box.type === 'mdat');
  if (!firstMdat || moov.start < firstMdat.start) return buf;

  const ordered = [
    ...boxes.filter((box) => box.type === 'ftyp'),
    moov,
    ...boxes.filter((box) => !['ftyp', 'moov', 'free', 'skip'].includes(box.type)),
  ];
  const newStart = new Map<Box, number>();
  let length = 0;
  for (const box of ordered) {
    newStart.set(box, length);
    length += box.end - box.start;
  }
  const moved = (offset: number): number => {
    const owner = boxes.find((box) => offset >= box.start && offset < box.end);
    if (!owner || !newStart.has(owner)) throw new Error(`MP4 chunk offset ${offset} points outside the media data`);
    return newStart.get(owner)! + (offset - owner.start);
  };

  const out = new Uint8Array(length);
  for (const box of ordered) out.set(buf.subarray(box.start, box.end), newStart.get(box)!);
  // Patch chunk offsets inside the copied moov.
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const shift = newStart.get(moov)! - moov.start;
  const inView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const trak of children(buf, moov).filter((box) => box.type === 'trak')) {
    const stbl = findPath(buf, trak, ['mdia', 'minf', 'stbl']);
    if (!stbl) continue;
    for (const table of children(buf, stbl)) {
      if (table.type !== 'stco' && table.type !== 'co64') continue;
      const count = inView.getUint32(table.body + 4);
      const wide = table.type === 'co64';
      for (let i = 0; i < count; i++) {
        const at = table.body + 8 + i * (wide ? 8 : 4);
        if (wide) outView.setBigUint64(at + shift, BigInt(moved(Number(inView.getBigUint64(at)))));
        else outView.setUint32(at + shift, moved(inView.getUint32(at)));
      }
    }
  }
  return out;
}
