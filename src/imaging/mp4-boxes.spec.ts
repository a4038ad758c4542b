import { faststart, parseBoxes, readMp4Info, setFrameRate } from './mp4-boxes';

// A hand-made MP4 skeleton laid out as our encoder writes it: ftyp, free, mdat, moov (at the end), free.

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

function u64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b;
}

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(body.length + 8), Buffer.from(type, 'latin1'), body]);
}

const full = (version: number) => u32(version << 24);

function sample(options: { wide: boolean; media: Buffer[] }): Buffer {
  const { wide, media } = options;
  const time = wide ? u64 : u32;
  const ftyp = box('ftyp', Buffer.from('mp42'), u32(0), Buffer.from('mp42isom'));
  const free = box('free', Buffer.alloc(16));
  const mdat = box('mdat', ...media);
  const mdatBody = ftyp.length + free.length + 8;
  const offsets = media.map((_, i) => mdatBody + media.slice(0, i).reduce((sum, m) => sum + m.length, 0));
  const v = wide ? 1 : 0;
  const stbl = box(
    'stbl',
    box('stts', full(0), u32(1), u32(media.length), u32(3000)),
    box('stsz', full(0), u32(0), u32(media.length), ...media.map((m) => u32(m.length))),
    box('stsc', full(0), u32(1), u32(1), u32(1), u32(1)),
    wide ? box('co64', full(0), u32(media.length), ...offsets.map(u64)) : box('stco', full(0), u32(media.length), ...offsets.map(u32)),
  );
  const trak = box(
    'trak',
    box('tkhd', full(v), time(0), time(0), u32(1), u32(0), time(100), Buffer.alloc(52), u32(100 * 65536), u32(74 * 65536)),
    box(
      'mdia',
      box('mdhd', full(v), time(0), time(0), u32(90000), time(media.length * 3000), u32(0)),
      box('hdlr', full(0), u32(0), Buffer.from('vide'), Buffer.alloc(13)),
      box('minf', box('vmhd', full(0), Buffer.alloc(8)), stbl),
    ),
  );
  const moov = box('moov', box('mvhd', full(v), time(0), time(0), u32(1000), time(100), Buffer.alloc(80)), trak);
  return Buffer.concat([ftyp, free, mdat, moov, free]);
}

describe('MP4 boxes', () => {
  const media = [Buffer.from('first-frame'), Buffer.from('second'), Buffer.from('third!!')];

  it.each([false, true])('reads, retimes and moves moov to the front (64-bit fields: %s)', (wide) => {
    const file = sample({ wide, media });
    expect(readMp4Info(file)).toEqual({ width: 100, height: 74, frameCount: 3, delayMs: 33, durationMs: 100 });

    setFrameRate(file, 2.5);
    expect(readMp4Info(file)).toMatchObject({ frameCount: 3, delayMs: 400, durationMs: 1200 });

    const fast = faststart(file);
    const top = parseBoxes(fast);
    expect(top.map((b) => b.type)).toEqual(['ftyp', 'moov', 'mdat']);
    expect(readMp4Info(fast)).toMatchObject({ frameCount: 3, delayMs: 400, width: 100, height: 74 });
    // Every chunk offset still points at its frame's bytes.
    const fastBuf = Buffer.from(fast);
    const table = fastBuf.indexOf(wide ? 'co64' : 'stco') + 4;
    media.forEach((m, i) => {
      const offset = wide ? Number(fastBuf.readBigUInt64BE(table + 8 + i * 8)) : fastBuf.readUInt32BE(table + 8 + i * 4);
      expect(fastBuf.subarray(offset, offset + m.length).toString()).toBe(m.toString());
    });
    // Already fast: returned as is.
    expect(faststart(fast)).toBe(fast);
  });

  it('rejects truncated or foreign data', () => {
    const file = sample({ wide: false, media });
    expect(() => parseBoxes(file.subarray(0, file.length - 30))).toThrow(/overruns/);
    expect(() => readMp4Info(file.subarray(0, 40))).toThrow();
    expect(() => readMp4Info(box('ftyp', Buffer.alloc(8)))).toThrow('no moov box');
  });
});
