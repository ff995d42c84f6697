// The input of an export: a dump tree, or an `.fsm` snapshot decoded first into a private scratch tree next to
// the system's temporary directory (removed afterwards, also on interrupt). The filter is applied to the
// decode as well, so excluded records are never rendered.

import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter } from '../adapters/adapter.ts';
import type { AdapterName } from '../adapters/registry.ts';
import { UserError } from '../errors.ts';
import type { RecordFilter } from '../filter/record-filter.ts';
import { decodeSnapshot } from '../pipeline/decode.ts';
import { randomHex } from '../tree/publish.ts';
import { TreeReader } from '../tree/reader.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { trackTemp } from '../tree/temp-paths.ts';

export interface ExportSource {
  readonly tree: TreeReader;
  /** Removes the scratch tree of an `.fsm` input. */
  close(): void;
}

export interface OpenSourceOptions {
  readonly input: string;
  readonly adapters: readonly Adapter[];
  /** The adapter the export reads (an `.fsm` input decodes only this one). */
  readonly adapter: AdapterName;
  readonly filter?: RecordFilter;
  readonly scratchRoot?: string;
  readonly memoryBudget?: number;
}

export async function openExportSource(opts: OpenSourceOptions): Promise<ExportSource> {
  const st = await fsp.stat(opts.input).catch(() => undefined);
  if (st === undefined) throw new UserError('INPUT_MISSING', 'input does not exist', { path: opts.input });
  if (st.isDirectory()) return { tree: new TreeReader(opts.input), close: () => undefined };
  const scratch = join(opts.scratchRoot ?? tmpdir(), `.ekv-export-${randomHex()}`);
  const forget = trackTemp(scratch);
  const close = (): void => {
    removeTree(scratch);
    forget();
  };
  try {
    await fsp.mkdir(scratch, { recursive: true });
    const tree = join(scratch, 'tree');
    await decodeSnapshot({
      input: opts.input,
      output: tree,
      adapters: opts.adapters,
      selected: [opts.adapter],
      scratchRoot: scratch,
      ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
      ...(opts.memoryBudget !== undefined ? { memoryBudget: opts.memoryBudget } : {}),
    });
    return { tree: new TreeReader(tree), close };
  } catch (err) {
    close();
    throw err;
  }
}
