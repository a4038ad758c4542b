const FLAG_FIELD = 'flag:';

/**
 * Checkbox fields into flag values; absent means off. `flag:<name>` is for a form of one pipeline (a `flag:` field
 * the pipeline lacks is kept, so it is refused); the target page's picker, which lists every pipeline, names them
 * `flag:<shortName>:<name>` and only the chosen pipeline's are read.
 */
export function flagsFromForm(pipeline: { shortName: string; flags: Record<string, unknown> }, body: Record<string, unknown>): Record<string, unknown> {
  const flags: Record<string, unknown> = Object.fromEntries(Object.keys(pipeline.flags).map((name) => [name, false]));
  for (const [field, value] of Object.entries(body)) {
    if (!field.startsWith(FLAG_FIELD)) continue;
    const parts = field.slice(FLAG_FIELD.length).split(':');
    if (parts.length === 2 && parts[0] !== pipeline.shortName) continue;
    flags[parts[parts.length - 1]] = value === 'on' || value === 'true' || value === true;
  }
  return flags;
}

const PARAM_FIELD = 'param:';

/**
 * Parameter inputs into their text values: `param:<name>` on a form of one pipeline, `param:<shortName>:<name>` on
 * the target page's picker (only the chosen pipeline's are read). Values stay text: the parameter's kind converts
 * and checks them when the run starts, so a refusal can name the field.
 */
export function paramsFromForm(pipeline: { shortName: string }, body: Record<string, unknown>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [field, value] of Object.entries(body)) {
    if (!field.startsWith(PARAM_FIELD)) continue;
    const parts = field.slice(PARAM_FIELD.length).split(':');
    if (parts.length === 2 && parts[0] !== pipeline.shortName) continue;
    if (parts.length > 2) continue;
    params[parts[parts.length - 1]] = typeof value === 'string' ? value : String(value ?? '');
  }
  return params;
}
