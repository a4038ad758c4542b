import { describeUnlessMissing } from '../../test/utils/required';
import { encodeMp4, mp4Availability } from './mp4-encoder';

describeUnlessMissing(mp4Availability().reason ?? '', 'MP4 encoder worker', () => {
  const size = { width: 16, height: 8 };
  const gray = () => Promise.resolve(new Uint8Array(16 * 8).fill(90));

  it('passes on a failure while preparing a frame and stops the worker', async () => {
    const frame = (index: number) => (index === 1 ? Promise.reject(new Error('cannot read frame 2')) : gray());
    await expect(encodeMp4(3, size, 10, frame)).rejects.toThrow('cannot read frame 2');
  });

  it('rejects frames of the wrong length and odd sizes', async () => {
    await expect(encodeMp4(2, size, 10, () => Promise.resolve(new Uint8Array(10)))).rejects.toThrow('MP4 frame 1 has 10 pixels, expected 128');
    await expect(encodeMp4(2, { width: 15, height: 8 }, 10, gray)).rejects.toThrow('even sides');
  });

  it('encodes a single frame', async () => {
    const data = await encodeMp4(1, size, 1, gray);
    expect(Buffer.from(data.subarray(4, 8)).toString('latin1')).toBe('ftyp');
  });
});
