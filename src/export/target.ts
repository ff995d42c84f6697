// What an export target is: the adapter whose records it exports, its flags and usage lines, and how it checks
// them and runs. Every target is run the same way (runExport): checked before anything is opened, its report
// made, the input opened (an `.fsm` decoded to the target's adapter only), the records written, the input closed.

import { UserError } from '../errors.ts';
import type { Adapter, AdapterFlag, AdapterFlagValues, ExpiredPolicy } from '../adapters/adapter.ts';
import type { AdapterName } from '../adapters/registry.ts';
import type { RecordFilter } from '../filter/record-filter.ts';
import type { TreeReader } from '../tree/reader.ts';
import { newReport, type ExportReport } from './report.ts';
import { openExportSource } from './source.ts';

/** What an export run gives its target. */
export interface ExportRun {
  /** Every flag of the export command: `to`, `format`, `output` and the target's own. */
  readonly flags: AdapterFlagValues;
  readonly dryRun: boolean;
  /** `skip`: leave out records expired when the export starts. */
  readonly expired: ExpiredPolicy;
  /** A scratch directory of the run (exists; removed afterwards). */
  readonly scratchDir: string;
  readonly memoryBudget: number;
  readonly filter?: RecordFilter;
  /** Where an output of `-` goes. */
  readonly stdout: NodeJS.WritableStream;
}

/** A target's checked plan: what its report names, and the work. */
interface ExportPlan {
  /** The report's target, e.g. `redis`, `resp`, `dynamodb-export`. */
  readonly kind: string;
  /** Where the records go, without credentials. */
  readonly destination: string;
  /** Writes the tree's records, counting them in `report` and calling `onProgress` as they go. */
  run(tree: TreeReader, report: ExportReport, onProgress: (r: ExportReport) => void): Promise<void>;
}

/** One target of `export <adapter>`. */
export interface ExportTarget {
  /** The adapter whose records it exports; also the target's name on the command line. */
  readonly adapter: AdapterName;
  /** Its lines in export's help: the accepted forms and what each does. */
  readonly usage: string;
  /** Flags only targets read, by name; targets sharing a flag share its spec. */
  readonly flags: Readonly<Record<string, AdapterFlag>>;
  /** Checks the flags (a bad combination is a UserError) before anything is opened. */
  plan(run: ExportRun): ExportPlan | Promise<ExportPlan>;
}

/**
 * Exports `input` (a dump tree, or an `.fsm` snapshot decoded first) through `target`; `onProgress` gets the live
 * report, first right after it is made, so that a failure can say how far the export came.
 */
export async function runExport(
  target: ExportTarget,
  input: string,
  adapters: readonly Adapter[],
  run: ExportRun,
  onProgress: (r: ExportReport) => void,
): Promise<ExportReport> {
  const plan = await target.plan(run);
  const report = newReport(plan.kind, plan.destination, run.dryRun);
  onProgress(report);
  const source = await openExportSource({
    input,
    adapters,
    adapter: target.adapter,
    scratchRoot: run.scratchDir,
    memoryBudget: run.memoryBudget,
    ...(run.filter !== undefined ? { filter: run.filter } : {}),
  });
  try {
    await plan.run(source.tree, report, onProgress);
  } finally {
    source.close();
  }
  return report;
}

/** The `--to` of a target that writes only to a live system (`form`: what --to takes): given, and alone. */
export function liveTarget(run: ExportRun, adapter: AdapterName, form: string): string {
  if (run.flags.string('format') !== '' || run.flags.string('output') !== '')
    throw new UserError('FLAG_INVALID', `export ${adapter}: takes --to ${form} (no --format or --output)`);
  const to = run.flags.string('to');
  if (to === '') throw new UserError('FLAG_INVALID', `export ${adapter}: --to ${form} is required`);
  return to;
}
