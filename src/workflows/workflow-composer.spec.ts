import { BadRequestException } from '@nestjs/common';
import { RegisteredPipeline } from '../pipeline-registry/pipeline-config.loader';
import { applyStepAction, composerView, draftFrom, keepFromText, readComposerForm, stateFromVersion } from './workflow-composer';
import { WorkflowVersion } from './workflow-version.entity';

const pipeline = (name: string, extra: Partial<RegisteredPipeline>): RegisteredPipeline =>
  ({ name, key: name, shortName: name.toLowerCase(), kind: 'class', flags: {}, params: {}, allowedSuffixes: ['.fits'], description: '', version: '1', ...extra }) as RegisteredPipeline;

const COUNT = pipeline('Byte count', {
  flags: { verbose: { default: false, longName: 'Print more' }, quiet: { default: true, longName: 'Quiet' } },
  params: { everyKiB: { kind: 'integer', default: 100, min: 1, max: 10240, unit: 'KiB', longName: 'A line every' } },
});
const INSPECT = pipeline('Inspect frames', { params: { saturation: { kind: 'number', default: null, min: 0, longName: 'Saturation level' } } });
const PIPELINES = [COUNT, INSPECT];
const named = (name: string) => PIPELINES.find((candidate) => candidate.name === name);

describe('the workflow composer form', () => {
  it('reads flat fields into steps: ticked flags, typed values, exposed parameters, inputs and what to keep', () => {
    const { state, action } = readComposerForm(
      {
        name: 'Flow', shortName: 'flow', description: 'd', stepCount: '2', action: 'save',
        s1_pipeline: 'Inspect frames', s1_flags_shown: '1', s1_param_saturation: '', s1_expose_saturation: 'on',
        s2_pipeline: 'Byte count', s2_fields_for: 'Byte count', s2_flags_shown: '1', s2_flag_verbose: 'on', s2_param_everyKiB: ' 64 ', s2_param_other: 'x', s2_keep: '.csv, photometry .txt',
      },
      named,
    );
    expect(action).toBe('save');
    expect(state.steps).toEqual([
      { pipeline: 'Inspect frames', flags: {}, params: {}, expose: ['saturation'], inputs: 'run', keep: '' },
      { pipeline: 'Byte count', flags: { verbose: true, quiet: false }, params: { everyKiB: ' 64 ' }, expose: [], inputs: 'previous', keep: '.csv, photometry .txt' },
    ]);
    expect(draftFrom(state)).toEqual({
      name: 'Flow',
      shortName: 'flow',
      description: 'd',
      steps: [
        { pipeline: 'Inspect frames', flags: {}, expose: ['saturation'] },
        { pipeline: 'Byte count', flags: { verbose: true, quiet: false }, params: { everyKiB: ' 64 ' }, inputs: 'previous', keep: { suffixes: ['.csv', '.txt'], productTypes: ['photometry'] } },
      ],
    });
  });

  it("starts a step's flags and values from the pipeline's defaults when the form showed another pipeline's", () => {
    const { state } = readComposerForm({ stepCount: '1', s1_pipeline: 'Byte count', s1_fields_for: 'Inspect frames', s1_flags_shown: '1', s1_expose_everyKiB: 'on' }, named);
    expect(state.steps[0]).toMatchObject({ flags: null, params: {}, expose: [] });
    // Without the flags shown, the draft leaves the flags out: the pipeline's defaults.
    expect(draftFrom(state).steps).toEqual([{ pipeline: 'Byte count' }]);
  });

  it('refuses what no form of the page sends with a 400: nested values, a step count out of range, unknown actions', () => {
    for (const body of [[], { name: ['a'] }, { stepCount: '11' }, { stepCount: '1e3' }, { action: 'delete-everything' }, { stepCount: '1', action: 'remove-step-2' }]) {
      expect(() => readComposerForm(body, named)).toThrow(BadRequestException);
    }
    expect(readComposerForm(undefined, named).state.steps).toHaveLength(1);
  });

  it('adds rows up to ten steps and removes them, the new first step on the run\'s inputs', () => {
    const { state } = readComposerForm({ stepCount: '2', s1_pipeline: 'Inspect frames', s2_pipeline: 'Byte count', s2_inputs: 'previous' }, named);
    applyStepAction(state, { removeStep: 1 });
    expect(state.steps.map((step) => [step.pipeline, step.inputs])).toEqual([['Byte count', 'run']]);
    applyStepAction(state, { removeStep: 1 });
    expect(state.steps.map((step) => step.pipeline)).toEqual(['']);
    for (let i = 0; i < 9; i++) expect(applyStepAction(state, 'add-step')).toBeUndefined();
    expect(applyStepAction(state, 'add-step')).toBe('A workflow has at most 10 steps');
    expect(state.steps).toHaveLength(10);
  });

  it('splits what to keep into endings and product types', () => {
    expect(keepFromText('  ')).toBeUndefined();
    expect(keepFromText('.fits,.csv')).toEqual({ suffixes: ['.fits', '.csv'] });
    expect(keepFromText('image')).toEqual({ productTypes: ['image'] });
  });

  it('fills the composer from a stored version, and back to the same draft', () => {
    const version = {
      name: 'Flow', shortName: 'flow', description: '', version: 3,
      steps: [
        { pipeline: 'Inspect frames', flags: {}, params: { saturation: null }, expose: ['saturation'], inputs: 'run' },
        { pipeline: 'Byte count', flags: { verbose: true, quiet: true }, params: { everyKiB: 64 }, expose: [], inputs: 'previous', keep: { suffixes: ['.csv'], productTypes: ['other'] } },
      ],
    } as unknown as WorkflowVersion;
    const state = stateFromVersion(version);
    expect(state.steps[1]).toEqual({ pipeline: 'Byte count', flags: { verbose: true, quiet: true }, params: { everyKiB: '64' }, expose: [], inputs: 'previous', keep: '.csv, other' });
    expect(draftFrom(state).steps).toEqual([
      { pipeline: 'Inspect frames', flags: {}, expose: ['saturation'] },
      { pipeline: 'Byte count', flags: { verbose: true, quiet: true }, params: { everyKiB: '64' }, inputs: 'previous', keep: { suffixes: ['.csv'], productTypes: ['other'] } },
    ]);
  });

  it('places each problem beside its field and lists the others apart', () => {
    const { state } = readComposerForm({ stepCount: '1', s1_pipeline: 'Byte count', s1_param_everyKiB: '0' }, named);
    const view = composerView(state, PIPELINES, { name: 'needed', 'steps.1.params.everyKiB': 'A line every: must be at least 1 KiB', 'steps.3.pipeline': 'gone' });
    expect(view.errors.name).toBe('needed');
    expect(view.steps[0].params[0]).toMatchObject({ field: 's1_param_everyKiB', value: '0', error: 'A line every: must be at least 1 KiB', defaultText: '100 KiB' });
    expect(view.steps[0].hasErrors).toBe(true);
    expect(view.steps[0].flags.map((flag) => [flag.field, flag.checked])).toEqual([['s1_flag_verbose', false], ['s1_flag_quiet', true]]);
    expect(view.otherProblems).toEqual([{ field: 'steps.3.pipeline', message: 'gone' }]);
    expect(view.problemSummary).toBe('3 problems, shown beside their fields');
  });
});
