/**
 * What a run shows (its log lines, status and failure message) names files as their uploaders did. Pipelines read
 * inputs at their storage paths (DATA_DIR/products/ab/<uuid>.fits), and programs print the paths they were given,
 * tracebacks name the temp dir and the portal's own folders: none of that means anything to a student, and server
 * paths are not theirs to see. Pure.
 *
 * - an input's stored file, with or without DATA_DIR/products/xx/ and its stored suffix: its uploaded name;
 * - the run's temp dir: gone (outputs are named relative to it), and alone "the run's folder";
 * - DATA_DIR elsewhere: "DATA_DIR"; the portal's install folder: gone (a stack frame keeps src/..., pipelines/...).
 */

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface RunFileNamesOptions {
  /** The run's inputs: their paths relative to DATA_DIR and their uploaded names. */
  inputs: Array<{ storedPath: string; originalName: string }>;
  dataDir: string;
  tmpdir: string;
  projectRoot: string;
}

export type RunTextMapper = (text: string) => string;

export function runFileNames(options: RunFileNamesOptions): RunTextMapper {
  const byUuid = new Map<string, { name: string; suffix: string }>();
  for (const input of options.inputs) {
    const match = new RegExp(`(${UUID})(.*)$`).exec(input.storedPath.split('/').pop() ?? '');
    if (match) byUuid.set(match[1], { name: input.originalName, suffix: match[2] });
  }
  const dataDir = options.dataDir.replace(/\/+$/, '');
  const stored = new RegExp(`(?:${escape(dataDir)}/)?(?:products/[0-9a-f]{2}/)?(${UUID})`, 'g');
  const anyUuid = new RegExp(UUID);
  // Longest first: the temp dir may lie under DATA_DIR or the install folder.
  const prefixes: Array<[string, string]> = [
    [`${options.tmpdir.replace(/\/+$/, '')}/`, ''],
    [options.tmpdir.replace(/\/+$/, ''), "the run's folder"],
    [`${options.projectRoot.replace(/\/+$/, '')}/`, ''],
    [dataDir, 'DATA_DIR'],
  ];
  prefixes.sort((a, b) => b[0].length - a[0].length);
  const prefixPattern = new RegExp(prefixes.map(([from]) => escape(from)).join('|'), 'g');
  const prefixTo = new Map(prefixes);
  // Most lines name none of these: a few substring tests spare them the regular expression (compiled per run).
  const needles = prefixes.map(([from]) => from);

  return (text: string) => {
    let out = text;
    if (byUuid.size && anyUuid.test(out)) {
      let result = '';
      let last = 0;
      for (const match of out.matchAll(stored)) {
        const entry = byUuid.get(match[1]);
        if (!entry) continue;
        let end = match.index! + match[0].length;
        if (entry.suffix && out.startsWith(entry.suffix, end)) end += entry.suffix.length;
        result += out.slice(last, match.index) + entry.name;
        last = end;
      }
      out = result + out.slice(last);
    }
    return needles.some((needle) => out.includes(needle)) ? out.replace(prefixPattern, (found) => prefixTo.get(found) ?? found) : out;
  };
}
