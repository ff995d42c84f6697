// `export <target>`: a dump tree (or an `.fsm`, decoded first) into a live system or a standard file format.
// Targets live in src/export/<target>/; this file parses flags, opens the input and prints the report.

import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter, AdapterFlag } from '../../adapters/adapter.ts';
import { UserError } from '../../errors.ts';
import { goMarshal } from '../../json/go-json.ts';
import { EXPORT_TARGETS } from '../../export/registry.ts';
import { summarizeReport, type ExportReport } from '../../export/report.ts';
import { runExport, type ExportRun, type ExportTarget } from '../../export/target.ts';
import { randomHex } from '../../tree/publish.ts';
import { removeTree } from '../../tree/remove-tree.ts';
import { trackTemp } from '../../tree/temp-paths.ts';
import { flagValues } from '../adapter-flags.ts';
import { FILTER_FLAGS, filterFromFlags } from '../filter-flags.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs } from '../go-flags.ts';
import { commandFlags } from '../command.ts';
import type { CliIO } from '../io.ts';
import { startProgress } from '../progress.ts';
import { parseSize } from '../size.ts';

const COMMON_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'PATH', help: 'dump tree, or an .fsm snapshot (decoded to a scratch tree first) (required)' },
  to: { type: 'string', value: 'URL', help: 'live target (the forms each target takes are listed above)' },
  format: { type: 'string', value: 'FORMAT', help: 'file output instead of a live target (the formats each target writes are listed above)' },
  output: { type: 'string', value: 'PATH', help: 'where --format writes; must not exist' },
  'dry-run': { type: 'bool', help: 'read everything and report what would be written, writing nothing' },
  expired: { type: 'string', value: 'MODE', default: 'keep', choices: ['keep', 'skip'], help: 'keep (send records whose TTL has passed as they are) or skip (leave out records expired when the export starts)' },
  ...FILTER_FLAGS,
  'memory-budget': { type: 'string', value: 'SIZE', default: '256M', help: 'memory for regrouping records before spilling to disk' },
  'scratch-root': { type: 'string', value: 'DIR', help: 'directory for scratch files (default: the OS temp directory)' },
  json: { type: 'bool', help: 'print the final report as JSON on stdout' },
  quiet: { type: 'bool', help: 'no progress display' },
};

/** The common flags and every target's own; a name two targets share must carry the same spec. */
function exportFlags(targets: readonly ExportTarget[]): FlagSpecs {
  const specs: Record<string, FlagSpecs[string]> = { ...COMMON_FLAGS };
  const owners = new Map<string, AdapterFlag>();
  for (const t of targets) {
    for (const [name, flag] of Object.entries(t.flags)) {
      const owned = owners.get(name);
      if ((owned === undefined && name in specs) || (owned !== undefined && owned !== flag))
        throw new Error(`export flag --${name} of target ${t.adapter} is claimed twice`);
      owners.set(name, flag);
      specs[name] = flag;
    }
  }
  return specs;
}

const EXPORT_FLAGS = exportFlags(EXPORT_TARGETS);

const DESCRIPTION = `Exports the records of a dump tree (or of an .fsm snapshot) into a live system or a standard file format.
Targets:
${EXPORT_TARGETS.map((t) => t.usage).join('\n')}
Credentials are never printed.
Exit codes: 0 success, 1 usage or environment error (bad flags, unreachable target), 2 a record is invalid or
the target refused one (named in the message).`;

export function exportHelp(prog: string): string {
  return renderHelp(`${prog} <${EXPORT_TARGETS.map((t) => t.adapter).join('|')}> --input PATH (--to URL | --format FORMAT --output PATH) [flags]`, DESCRIPTION, EXPORT_FLAGS);
}

export async function exportCommand(
  args: readonly string[],
  io: CliIO,
  prog: string,
  adapters: readonly Adapter[],
): Promise<number> {
  const [target, ...rest] = args;
  if (target === undefined || target === '-h' || target === '--help' || target === '-help') {
    io.stdout.write(exportHelp(prog));
    return target === undefined ? 1 : 0;
  }
  const chosen = EXPORT_TARGETS.find((t) => t.adapter === target);
  if (chosen === undefined)
    throw new UserError(
      'FLAG_INVALID',
      `export: unknown target ${JSON.stringify(target)} (one of ${EXPORT_TARGETS.map((t) => t.adapter).join(', ')})`,
    );
  const flags = commandFlags(rest, EXPORT_FLAGS, io, () => exportHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const expired = flagString(flags, 'expired') === 'skip' ? 'skip' : 'keep';
  const scratchRoot = flagString(flags, 'scratch-root');
  const scratch = join(scratchRoot !== '' ? scratchRoot : tmpdir(), `.ekv-export-scratch-${randomHex()}`);
  const forget = trackTemp(scratch);
  const started = Date.now();
  const progress = startProgress(io, flagBool(flags, 'quiet'), `export ${target}`);
  let report: ExportReport | undefined;
  let partial: ExportReport | undefined;
  try {
    await fsp.mkdir(scratch, { recursive: true });
    const filter = filterFromFlags(flags, adapters);
    const run: ExportRun = {
      flags: flagValues(flags),
      dryRun: flagBool(flags, 'dry-run'),
      expired,
      scratchDir: scratch,
      memoryBudget: parseSize('memory-budget', flagString(flags, 'memory-budget')),
      stdout: io.stdout,
      ...(filter !== undefined ? { filter } : {}),
    };
    report = await runExport(chosen, input, adapters, run, (r) => {
      partial = r;
      progress.update('export', r.records, 0, 'records');
    });
  } catch (err) {
    progress.stop();
    if (partial !== undefined) io.stderr.write(`stopped: ${summarizeReport(partial, (Date.now() - started) / 1000)}\n`);
    throw err;
  } finally {
    progress.stop();
    removeTree(scratch);
    forget();
  }
  const secs = (Date.now() - started) / 1000;
  if (flagBool(flags, 'json'))
    io.stdout.write(`${goMarshal({ ...report, seconds: secs }, { escapeHTML: false, indent: true })}\n`);
  io.stderr.write(`${summarizeReport(report, secs)}\n`);
  return 0;
}
