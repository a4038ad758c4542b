import type { Request, Response } from 'express';
import { setFlash } from '../common/flash';
import { ParamsRefusedException } from './params-refused.exception';
import type { PickerPrefill } from './pipeline-picker';
import type { PipelineRun } from './pipeline-run.entity';

/** A refused start from the target page's picker, kept in the session until that page shows it. */
interface PickerRefusal extends PickerPrefill {
  targetId: number;
  inputIds: number[];
}

type RefusalSession = { pickerRefusal?: PickerRefusal };

/**
 * After a start refused for its parameter values, the picker comes back with everything the student chose (inputs,
 * pipeline, flags, preset, the values as typed) and each refusal beside its field. Only for pages: the API answers
 * a 400 naming the fields. Returns false (nothing done) for any other error, or a JSON request.
 */
export function keepPickerRefusal(req: Request, error: unknown, choice: PickerRefusal): boolean {
  if (!(error instanceof ParamsRefusedException) || req.accepts(['html', 'json']) === 'json') return false;
  (req.session as unknown as RefusalSession).pickerRefusal = { ...choice, errors: error.fields };
  setFlash(req, 'error', `Nothing was started: ${Object.keys(error.fields).length === 1 ? 'a parameter needs' : 'some parameters need'} another value (see below).`);
  return true;
}

/**
 * Starts a run chosen in a page's picker (`start`). A start refused for its parameter values is kept for the picker
 * with `prefill` (what the student chose; keepPickerRefusal) and answered with a 303 back to `pickerUrl`: the run is
 * then undefined and the response already sent. Any other error, and any refusal to a JSON request, is thrown.
 */
export async function startOrReturnToPicker(
  req: Request,
  res: Response,
  pickerUrl: string,
  prefill: PickerRefusal,
  start: () => Promise<PipelineRun>,
): Promise<PipelineRun | undefined> {
  try {
    return await start();
  } catch (error) {
    if (!keepPickerRefusal(req, error, prefill)) throw error;
    res.redirect(303, pickerUrl);
    return undefined;
  }
}

/** The refusal kept for this target's page, taken from the session (shown once). */
export function takePickerRefusal(req: Request, targetId: number): PickerRefusal | null {
  const session = req.session as unknown as RefusalSession | undefined;
  const refusal = session?.pickerRefusal;
  if (!refusal || refusal.targetId !== targetId) return null;
  delete session!.pickerRefusal;
  return refusal;
}
