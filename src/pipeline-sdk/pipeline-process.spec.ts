import {
  AsyncError,
  CancelledError,
  hasAllowedSuffix,
  isPipelineClass,
  PipelineOutput,
  PipelineProcess,
  resolveFlags,
} from './pipeline-process';
import { createTestContext } from './testing';

class StatusPipeline extends PipelineProcess {
  static shortName = 'status_test';
  async doPipeline(): Promise<PipelineOutput[]> {
    return [];
  }
}

describe('resolveFlags', () => {
  const specs = {
    allHdus: { default: false, longName: 'Every HDU' },
    subtractSky: { default: true, longName: 'Subtract the sky' },
  };

  it('fills in defaults for flags not asked for', () => {
    expect(resolveFlags(specs, {})).toEqual({
      values: { allHdus: false, subtractSky: true },
      sources: { allHdus: 'default', subtractSky: 'default' },
    });
  });

  it('takes booleans and the strings true/false/on/off', () => {
    expect(resolveFlags(specs, { allHdus: true, subtractSky: 'false' }).values).toEqual({ allHdus: true, subtractSky: false });
    expect(resolveFlags(specs, { allHdus: 'on', subtractSky: 'off' }).values).toEqual({ allHdus: true, subtractSky: false });
    expect(resolveFlags(specs, { allHdus: 'true' }).values.allHdus).toBe(true);
  });

  it("marks a value as the user's when it differs from the default", () => {
    expect(resolveFlags(specs, { allHdus: true, subtractSky: true }).sources).toEqual({ allHdus: 'user', subtractSky: 'default' });
  });

  it('refuses unknown flags, naming them', () => {
    expect(() => resolveFlags(specs, { allHdu: true })).toThrow(/Unknown flag: allHdu/);
    expect(() => resolveFlags(specs, { a: true, b: false })).toThrow(/Unknown flags: a, b/);
    // inherited Object properties are not flags
    expect(() => resolveFlags(specs, { toString: true })).toThrow(/Unknown flag: toString/);
  });

  it('refuses values that are not booleans', () => {
    expect(() => resolveFlags(specs, { allHdus: 'yes please' })).toThrow(/allHdus must be true or false/);
    expect(() => resolveFlags(specs, { allHdus: 1 })).toThrow(/allHdus must be true or false/);
  });
});

describe('hasAllowedSuffix', () => {
  it('compares endings case-insensitively, and an empty list allows anything', () => {
    expect(hasAllowedSuffix('M13.FITS.GZ', ['.fits', '.fits.gz'])).toBe(true);
    expect(hasAllowedSuffix('m13.fits', ['.fits.gz'])).toBe(false);
    expect(hasAllowedSuffix('notes.txt', ['.fits'])).toBe(false);
    expect(hasAllowedSuffix('notes.txt', [])).toBe(true);
  });
});

describe('PipelineProcess', () => {
  it('logs one line per line of a message', () => {
    const run = createTestContext([]);
    const pipeline = new StatusPipeline(run.context);
    pipeline.log('first\r\nsecond\nthird\n');
    pipeline.log('careful', 'warning');
    expect(run.logs).toEqual([
      { level: 'info', text: 'first' },
      { level: 'info', text: 'second' },
      { level: 'info', text: 'third' },
      { level: 'warning', text: 'careful' },
    ]);
  });

  it('withStatus restores the previous status after the work, also when it throws', async () => {
    const run = createTestContext([]);
    const pipeline = new StatusPipeline(run.context);
    pipeline.updateStatus('Outer');
    await expect(
      pipeline.withStatus('Inner', async () => {
        await pipeline.withStatus('Innermost', async () => 1);
        throw new AsyncError('broken');
      }),
    ).rejects.toThrow('broken');
    expect(run.statuses).toEqual(['Outer', 'Inner', 'Innermost', 'Inner', 'Outer']);
    await expect(pipeline.withStatus('Working', async () => 42)).resolves.toBe(42);
    expect(run.statuses.slice(-2)).toEqual(['Working', 'Outer']);
  });

  it('throwIfCancelled throws a CancelledError once the signal aborts', () => {
    const run = createTestContext([]);
    const pipeline = new StatusPipeline(run.context);
    expect(() => pipeline.throwIfCancelled()).not.toThrow();
    run.controller.abort();
    expect(() => pipeline.throwIfCancelled()).toThrow(CancelledError);
  });

  it('recognises its classes and errors, also when made by another copy of the module', () => {
    expect(isPipelineClass(StatusPipeline)).toBe(true);
    expect(isPipelineClass(PipelineProcess)).toBe(false);
    expect(isPipelineClass(class NotAPipeline {})).toBe(false);
    expect(new AsyncError('x')).toBeInstanceOf(Error);
    expect(new AsyncError('x') instanceof CancelledError).toBe(false);
    class SpecificError extends AsyncError {}
    expect(new AsyncError('x') instanceof SpecificError).toBe(false);
    expect(new SpecificError('x') instanceof AsyncError).toBe(true);

    jest.isolateModules(() => {
      const copy = require('./pipeline-process') as typeof import('./pipeline-process');
      expect(copy.AsyncError).not.toBe(AsyncError);
      expect(new copy.AsyncError('from the copy') instanceof AsyncError).toBe(true);
      expect(new copy.CancelledError() instanceof CancelledError).toBe(true);
      class CopyPipeline extends copy.PipelineProcess {
        async doPipeline(): Promise<PipelineOutput[]> {
          return [];
        }
      }
      expect(isPipelineClass(CopyPipeline)).toBe(true);
    });
  });
});
