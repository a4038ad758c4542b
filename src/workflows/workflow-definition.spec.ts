import { checkWorkflow, stepValues, StepPipeline, storedSteps } from './workflow-definition';

const PIPELINES: Record<string, StepPipeline> = {
  Inspect: { name: 'Inspect', flags: {}, params: { saturation: { kind: 'number', default: null, longName: 'Saturation' } }, allowedSuffixes: ['.fits'] },
  Photometry: {
    name: 'Photometry',
    flags: { noWcs: { default: false, longName: 'Without a WCS' } },
    params: { radius: { kind: 'number', default: 1.5, min: 0.1, max: 10, longName: 'Radius' }, unit: { kind: 'choice', default: 'fwhm', options: [{ value: 'fwhm', label: 'FWHM' }, { value: 'px', label: 'px' }], longName: 'Unit' } },
    allowedSuffixes: ['.fits'],
  },
};
const named = (name: string) => PIPELINES[name];

describe('checkWorkflow', () => {
  it('checks steps against the pipelines: fixed values, flags, exposed parameters with the fixed value as default, inputs', () => {
    const checked = checkWorkflow(
      { shortName: 'two', steps: [{ pipeline: 'Inspect', expose: ['saturation'] }, { pipeline: 'Photometry', inputs: 'run', flags: { noWcs: true }, params: { radius: '2' }, expose: ['radius'] }] },
      named,
    );
    expect(checked.problems).toBeUndefined();
    const workflow = checked.workflow!;
    expect(workflow.steps.map((step) => [step.position, step.pipeline, step.inputs])).toEqual([
      [1, 'Inspect', 'run'],
      [2, 'Photometry', 'run'],
    ]);
    expect(workflow.steps[1].flags).toEqual({ noWcs: true });
    expect(workflow.steps[1].params).toEqual({ radius: 2 });
    expect(workflow.params.radius).toMatchObject({ kind: 'number', default: 2, min: 0.1, help: 'Step 2, Photometry.' });
    expect(workflow.exposedBy).toEqual({ saturation: 1, radius: 2 });
    expect(workflow.allowedSuffixes).toEqual(['.fits']);
    expect(stepValues(workflow.steps[1], { radius: 3, saturation: 60000 })).toEqual({ radius: 3 });
    expect(storedSteps(workflow)[1]).toEqual({ pipeline: 'Photometry', flags: { noWcs: true }, params: { radius: 2 }, expose: ['radius'], inputs: 'run' });
  });

  it('names every problem by its field', () => {
    const checked = checkWorkflow(
      {
        shortName: 'bad name!',
        steps: [
          { pipeline: 'Photometry', inputs: 'previous', params: { radius: 50, size: 3 }, expose: ['radius', 'nope'] },
          { pipeline: 'Nothing' },
          { pipeline: 'Photometry', expose: ['radius'], keep: { productTypes: ['movie'] } },
        ],
      },
      named,
    );
    expect(checked.problems).toEqual({
      shortName: 'a short name of up to 60 letters, digits, _ and - is needed',
      'steps.1.inputs': "the first step works on the run's inputs",
      'steps.1.params.radius': 'Radius: must be at most 10',
      'steps.1.params.size': 'Photometry has no parameter size (it has: radius, unit)',
      'steps.1.expose': 'Photometry has no parameter nope',
      'steps.2.pipeline': 'no pipeline is registered as "Nothing"',
      'steps.3.expose': 'radius is already exposed by step 1; a name may be exposed by one step only',
      'steps.3.keep': expect.stringMatching(/^product types must be among /),
    });
    expect(checkWorkflow({ shortName: 'x', steps: [] }, named).problems).toEqual({ steps: 'a workflow needs at least one step' });
  });
});
