import { checkParam, paramArgument, ParamsError, paramSpecProblems, PipelineParamSpecs, resolveParams } from './pipeline-params';

const SPECS: PipelineParamSpecs = {
  apertureRadius: { kind: 'number', default: 1.5, min: 0.1, max: 20, longName: 'Aperture radius', unit: 'FWHM' },
  comparisonCount: { kind: 'integer', default: 3, min: 1, max: 10, longName: 'Comparison stars' },
  fps: { kind: 'integer', default: 4, min: 1, max: 30, step: 1, longName: 'Frames per second' },
  binning: { kind: 'number', default: 1, min: 0.5, max: 4, step: 0.5, longName: 'Binning' },
  saturation: { kind: 'number', default: null, longName: 'Saturation level' },
  format: {
    kind: 'choice',
    default: 'gif',
    longName: 'Format',
    options: [
      { value: 'gif', label: 'GIF' },
      { value: 'mp4', label: 'MP4 video' },
    ],
  },
  label: { kind: 'text', default: null, maxLength: 20, pattern: '[A-Za-z0-9 _-]*', longName: 'Label' },
};

describe('checkParam', () => {
  it('integer: whole numbers within min and max, from JSON or text', () => {
    const spec = SPECS.comparisonCount;
    expect(checkParam(spec, 4)).toEqual({ value: 4 });
    expect(checkParam(spec, ' 7 ')).toEqual({ value: 7 });
    expect(checkParam(spec, 2.5)).toEqual({ error: 'must be a whole number' });
    expect(checkParam(spec, '2.5')).toEqual({ error: 'must be a whole number' });
    expect(checkParam(spec, 0)).toEqual({ error: 'must be at least 1' });
    expect(checkParam(spec, '11')).toEqual({ error: 'must be at most 10' });
    expect(checkParam(spec, 'three')).toEqual({ error: 'must be a whole number' });
    expect(checkParam(spec, '0x10')).toEqual({ error: 'must be a whole number' });
    expect(checkParam(spec, '')).toEqual({ error: 'a value is needed' });
    expect(checkParam(spec, true)).toEqual({ error: 'must be a whole number' });
  });

  it('number: finite values, units in messages, steps from min', () => {
    expect(checkParam(SPECS.apertureRadius, '2.25')).toEqual({ value: 2.25 });
    expect(checkParam(SPECS.apertureRadius, '1e1')).toEqual({ value: 10 });
    expect(checkParam(SPECS.apertureRadius, 0)).toEqual({ error: 'must be at least 0.1 FWHM' });
    expect(checkParam(SPECS.apertureRadius, Infinity)).toEqual({ error: 'must be a number' });
    expect(checkParam(SPECS.apertureRadius, 'NaN')).toEqual({ error: 'must be a number' });
    expect(checkParam(SPECS.apertureRadius, '1e308')).toEqual({ error: 'must be at most 20 FWHM' });
    expect(checkParam(SPECS.binning, '1.5')).toEqual({ value: 1.5 });
    expect(checkParam(SPECS.binning, '1.25')).toEqual({ error: 'must go in steps of 0.5 from 0.5' });
  });

  it('optional numbers: empty means none', () => {
    expect(checkParam(SPECS.saturation, '')).toEqual({ value: null });
    expect(checkParam(SPECS.saturation, null)).toEqual({ value: null });
    expect(checkParam(SPECS.saturation, '60000')).toEqual({ value: 60000 });
  });

  it('choice: one of the options by value', () => {
    expect(checkParam(SPECS.format, 'mp4')).toEqual({ value: 'mp4' });
    expect(checkParam(SPECS.format, 'MP4')).toEqual({ error: 'must be one of gif, mp4' });
    expect(checkParam(SPECS.format, 3)).toEqual({ error: 'must be text' });
  });

  it('text: cleaned by the text rule, held to its length and pattern', () => {
    expect(checkParam(SPECS.label, '  night one ')).toEqual({ value: 'night one' });
    expect(checkParam(SPECS.label, 'M13\u200b')).toEqual({ value: 'M13' });
    expect(checkParam(SPECS.label, 'x'.repeat(21))).toEqual({ error: 'must be at most 20 characters' });
    expect(checkParam(SPECS.label, 'a;rm -rf')).toEqual({ error: 'must match [A-Za-z0-9 _-]*' });
    expect(checkParam(SPECS.label, 'bad\u202ename')).toEqual({ error: expect.stringMatching(/control/) });
    expect(checkParam({ kind: 'text', default: 'x', longName: 'Free' }, 'y'.repeat(501))).toEqual({ error: 'is at most 500 characters (this one has 501)' });
  });
});

describe('resolveParams', () => {
  it('fills defaults, takes a preset, then what was asked, and says where each value came from', () => {
    const { values, sources } = resolveParams(SPECS, { apertureRadius: '2', format: 'gif' }, { comparisonCount: 5 });
    expect(values).toEqual({ apertureRadius: 2, comparisonCount: 5, fps: 4, binning: 1, saturation: null, format: 'gif', label: null });
    expect(sources).toEqual({
      apertureRadius: 'user',
      comparisonCount: 'preset',
      fps: 'default',
      binning: 'default',
      saturation: 'default',
      format: 'default', // asked, but the default's value
      label: 'default',
    });
  });

  it('refuses every bad field at once, unknown names included', () => {
    let error: unknown;
    try {
      resolveParams(SPECS, { apertureRadius: '-1', fps: 'fast', colour: 'red' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ParamsError);
    expect((error as ParamsError).fields).toEqual({
      apertureRadius: 'must be at least 0.1 FWHM',
      fps: 'must be a whole number',
      colour: expect.stringMatching(/^unknown parameter \(known: apertureRadius, /),
    });
  });

  it('checks a preset the same way', () => {
    expect(() => resolveParams(SPECS, {}, { fps: 99 })).toThrow(/fps: must be at most 30/);
  });
});

describe('paramSpecProblems', () => {
  it('accepts sound declarations, and none at all', () => {
    expect(paramSpecProblems(SPECS)).toEqual([]);
    expect(paramSpecProblems(undefined)).toEqual([]);
  });

  it('names every problem of a declaration', () => {
    expect(
      paramSpecProblems(
        {
          '9lives': { kind: 'integer', default: 1, longName: 'x' },
          radius: { kind: 'float', default: 1, longName: 'Radius' },
          count: { kind: 'integer', default: 1.5, min: 5, max: 2, longName: '' },
          mode: { kind: 'choice', default: 'c', longName: 'Mode', options: [{ value: 'a', label: 'A' }] },
          twice: { kind: 'choice', default: 'a', longName: 'Twice', options: [{ value: 'a', label: 'A' }, { value: 'a', label: 'Again' }] },
          name: { kind: 'text', default: 'x', pattern: '(', longName: 'Name' },
          verbose: { kind: 'integer', default: 1, longName: 'Verbose' },
        },
        ['verbose'],
      ),
    ).toEqual([
      'parameter "9lives": a name is a letter, then letters, digits or _ (at most 64)',
      'parameter "radius": kind must be one of integer, number, choice, text',
      'parameter "count": longName must be a non-empty string',
      'parameter "count": min is above max',
      'parameter "mode": its default is refused (must be one of a)',
      'parameter "twice": option "a" is listed twice',
      expect.stringMatching(/^parameter "name": pattern is not a regular expression/),
      'parameter "verbose": a flag has the same name',
    ]);
    expect(paramSpecProblems({ n: { kind: 'integer', default: 0, min: 1, longName: 'N' } })).toEqual(['parameter "n": its default is refused (must be at least 1)']);
    expect(paramSpecProblems([1])).toEqual(['"params" must be an object of parameter name → declaration']);
  });
});

it('paramArgument writes values for a command line', () => {
  expect(paramArgument(2.5)).toBe('2.5');
  expect(paramArgument('gif')).toBe('gif');
  expect(paramArgument(null)).toBe('');
});
