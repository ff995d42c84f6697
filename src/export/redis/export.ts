// Export of a tree's Redis records into a sink: a live server, a RESP command file, or nothing (dry run).
// One key at a time in tree order; each key's commands go as one MULTI/EXEC transaction when there are several.

import { readRedisRecords, type RedisRecord } from '../../adapters/redis/records.ts';
import { DataError } from '../../errors.ts';
import type { RecordFilter } from '../../filter/record-filter.ts';
import { ExternalSorter } from '../../sort/external-sort.ts';
import { MemoryPool } from '../../sort/memory-pool.ts';
import type { TreeReader } from '../../tree/reader.ts';
import type { ExportReport } from '../report.ts';
import { keyCommands, unrepresentable, type Command } from './commands.ts';

export interface RedisSink {
  /** Sends one key's commands; rejects with a DataError naming the record when the target refuses it. */
  write(rec: RedisRecord, commands: readonly Command[]): Promise<void>;
  /** Waits for every reply and releases the target; `ok` false after a failure (a file output is removed). */
  close(ok: boolean): Promise<void>;
}

export interface RedisExportOptions {
  readonly tree: TreeReader;
  readonly sink: RedisSink;
  readonly report: ExportReport;
  readonly filter?: RecordFilter;
  /** `skip`: leave out records whose expiry is at or before `nowMs`. */
  readonly expired: 'skip' | 'keep';
  readonly nowMs: bigint;
  readonly scratchDir: string;
  readonly memoryBudget: number;
  readonly onProgress?: (report: ExportReport) => void;
}

export async function exportRedis(opts: RedisExportOptions): Promise<void> {
  const { report, filter } = opts;
  let sorters = 0;
  // The collection sorters share one budget.
  const pool = new MemoryPool(opts.memoryBudget);
  const src = {
    tree: opts.tree,
    newSorter: () => new ExternalSorter({ scratchDir: `${opts.scratchDir}/sort-${sorters++}`, pool }),
  };
  const accept = (row: Parameters<RecordFilter['accepts']>[1]): boolean => {
    if (filter === undefined || filter.accepts('redis', row)) return true;
    report.filtered++;
    return false;
  };
  let ok = false;
  try {
    for await (const rec of readRedisRecords(src, accept)) {
      if (unrepresentable(rec) !== undefined) {
        report.unrepresentable++;
        continue;
      }
      const { commands, expireAtMs } = await keyCommands(rec);
      if (opts.expired === 'skip' && expireAtMs !== 0n && expireAtMs <= opts.nowMs) {
        report.expired++;
        continue;
      }
      await opts.sink.write(rec, commands);
      report.records++;
      for (const c of commands) for (const a of c) report.bytes += a.length;
      opts.onProgress?.(report);
    }
    ok = true;
  } catch (err) {
    if (err instanceof DataError && err.code === 'EXPORT_TARGET_REFUSED') report.failures++;
    throw err;
  } finally {
    // After a failure the first error is the one reported; close only releases the target.
    await opts.sink.close(ok).catch((err: unknown) => {
      if (!ok) return;
      if (err instanceof DataError && err.code === 'EXPORT_TARGET_REFUSED') report.failures++;
      throw err;
    });
  }
}
