// `decode --salvage` (issue 15): rows decode would refuse one by one are set apart instead of failing the run.
//
// A row is quarantined when the error it raises is a data error about that row alone: an adapter's decoder
// refused it as it arrived (a damaged value, an item, message or meta that would not encode back), or its key
// lies under an adapter's prefix without matching any of its layouts (DECODE_UNATTRIBUTED_ROW). The row goes to
// `_quarantine/records.jsonl` (one JSON line each, in snapshot order: offset, commit_ts, adapter, code, message,
// key and value as standard base64, the bytes as the snapshot holds them) and nowhere else; the tree proper is
// decoded from the other rows.
//
// Inconsistencies found only once a unit's rows were all in (a stream whose meta disagrees with its entries, a
// collection whose meta count is not its elements', an object whose chunks do not assemble, a bucket without
// its meta row, a FIFO queue's message without a group) are no single row's: the adapter reports the unit
// (DecodeContext.damaged), the pipeline removes what was written of it from the tree and, after the adapters
// have finished, reads the snapshot a second time and sets apart every live row of the unit with the unit's
// code and message (rows already set apart on their own are skipped: their offsets wait in a scratch file).
// Nothing of a unit's rows is held in memory: only the units themselves. Those lines follow the rows refused on
// their own, each group in snapshot order. Container damage (order, CRC, truncation) still fails the decode.

import { closeSync, openSync, readSync } from 'node:fs';
import type { DataError } from '../errors.ts';
import { goEncodeLine, GoMap, type GoStruct } from '../json/go-json.ts';
import type { FileSink, TreeWriter } from '../tree/writer.ts';
import { writeAllSync } from '../fs/write-all.ts';
import { encodeStdBase64 } from '../bytes/base64-std.ts';

/** The quarantine's directory in the dump tree; encode and the self-test leave it alone. */
export const QUARANTINE_DIR = '_quarantine';
/** The quarantine's one file, relative to the dump root. */
export const QUARANTINE_FILE = `${QUARANTINE_DIR}/records.jsonl`;

/** What a salvaging decode set apart: the number of rows, and how many per error code. */
export interface QuarantineSummary {
  readonly records: bigint;
  readonly byCode: ReadonlyMap<string, bigint>;
}

/** A quarantined row: where it was, what it was, and why decode refused it. */
export interface QuarantinedRow {
  readonly offset: number;
  readonly commitTs: bigint;
  readonly adapter: string | undefined;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

const OFFSET_BLOCK = 8 * 8192;

/**
 * The offsets of the rows set apart on their own, ascending, in a file: the second pass asks, in ascending order
 * too, whether a row of a damaged unit is already in the quarantine.
 */
class OffsetLog {
  readonly #path: string;
  readonly #buf = Buffer.alloc(OFFSET_BLOCK);
  #used = 0;
  #fd: number | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  append(offset: number): void {
    if (this.#used === this.#buf.length) this.#flush();
    this.#buf.writeDoubleBE(offset, this.#used);
    this.#used += 8;
  }

  #flush(): void {
    this.#fd ??= openSync(this.#path, 'w', 0o600);
    writeAllSync(this.#fd, this.#buf.subarray(0, this.#used));
    this.#used = 0;
  }

  /** Closes the file if it is still being written (after a failure). */
  dispose(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Ends writing; returns the lookup for ascending offsets, reading the file back block by block. */
  reader(): OffsetLookup {
    if (this.#used > 0) this.#flush();
    const written = this.#fd;
    if (written === undefined) return { has: () => false, close: () => undefined };
    closeSync(written);
    this.#fd = undefined;
    const fd = openSync(this.#path, 'r');
    const block = Buffer.alloc(OFFSET_BLOCK);
    let at = 0;
    let end = 0;
    let open = true;
    let next: number | undefined;
    const close = (): void => {
      if (open) closeSync(fd);
      open = false;
    };
    const advance = (): void => {
      if (at === end && open) {
        end = readSync(fd, block, 0, OFFSET_BLOCK, null);
        at = 0;
        if (end === 0) close();
      }
      next = at < end ? block.readDoubleBE(at) : undefined;
      at += 8;
    };
    advance();
    return {
      has: (offset) => {
        while (next !== undefined && next < offset) advance();
        return next === offset;
      },
      close,
    };
  }
}

/** Whether a row was set apart on its own, asked for ascending offsets; close() when done. */
export interface OffsetLookup {
  has(offset: number): boolean;
  close(): void;
}

/** Writes quarantined rows to `_quarantine/records.jsonl` of a tree, creating it at the first one. */
export class Quarantine {
  readonly #tree: TreeWriter;
  #sink: FileSink | undefined;
  #records = 0n;
  readonly #byCode = new Map<string, bigint>();
  readonly #offsets: OffsetLog;

  /** `offsetsPath`: a scratch file for the offsets of the rows set apart on their own. */
  constructor(tree: TreeWriter, offsetsPath: string) {
    this.#tree = tree;
    this.#offsets = new OffsetLog(offsetsPath);
  }

  /** Sets one row apart with the error decode raised for it. */
  async add(row: QuarantinedRow, err: DataError): Promise<void> {
    this.#offsets.append(row.offset);
    await this.#write(row, err);
  }

  /**
   * Ends the rows set apart on their own; returns, for the second pass, whether the row at an offset (asked in
   * ascending order) is one of them.
   */
  endSingleRows(): OffsetLookup {
    return this.#offsets.reader();
  }

  /** Sets apart one row of a damaged unit with the unit's error. */
  async addUnitRow(row: QuarantinedRow, err: DataError): Promise<void> {
    await this.#write(row, err);
  }

  async #write(row: QuarantinedRow, err: DataError): Promise<void> {
    const line = goEncodeLine(
      {
        offset: row.offset,
        commit_ts: row.commitTs,
        adapter: row.adapter,
        code: err.code,
        message: err.message,
        key: encodeStdBase64(row.key),
        value: encodeStdBase64(row.value),
      },
      { escapeHTML: false, indent: false },
    );
    if (this.#sink === undefined) {
      await this.#tree.mkdir(QUARANTINE_DIR);
      this.#sink = await this.#tree.create(QUARANTINE_FILE);
    }
    await this.#sink.write(line);
    this.#records++;
    this.#byCode.set(err.code, (this.#byCode.get(err.code) ?? 0n) + 1n);
  }

  /** Closes the file (if any row was quarantined). */
  async close(): Promise<void> {
    this.#offsets.dispose();
    const sink = this.#sink;
    this.#sink = undefined;
    await sink?.close();
  }

  /** Rows set apart so far, by code; undefined when none were. */
  summary(): QuarantineSummary | undefined {
    return this.#records === 0n ? undefined : { records: this.#records, byCode: new Map(this.#byCode) };
  }
}

/** MANIFEST.json's `quarantine` extension for a summary. */
export function quarantineManifestField(q: QuarantineSummary): GoStruct {
  return { file: QUARANTINE_FILE, records: q.records, by_code: new GoMap(q.byCode) };
}
