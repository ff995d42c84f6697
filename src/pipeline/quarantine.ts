// `decode --salvage` (issue 15): rows decode would refuse one by one are set apart instead of failing the run.
//
// A row is quarantined when the error it raises is a data error about that row alone: an adapter's decoder
// refused it as it arrived (a damaged value, an item, message or meta that would not encode back), or its key
// lies under an adapter's prefix without matching any of its layouts (DECODE_UNATTRIBUTED_ROW). The row goes to
// `_quarantine/records.jsonl` (one JSON line each, in snapshot order: offset, commit_ts, adapter, code, message,
// key and value as standard base64, the bytes as the snapshot holds them) and nowhere else; the tree proper is
// decoded from the other rows. Inconsistencies found only after the whole snapshot was read (a stream whose
// meta disagrees with its entries, an object whose chunks do not assemble, a bucket without its meta row) and
// container damage (order, CRC, truncation) are not attributable to one row and still fail the decode.

import type { DataError } from '../errors.ts';
import { goEncodeLine, GoMap, type GoStruct } from '../json/go-json.ts';
import type { FileSink, TreeWriter } from '../tree/writer.ts';

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

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/** Writes quarantined rows to `_quarantine/records.jsonl` of a tree, creating it at the first one. */
export class Quarantine {
  readonly #tree: TreeWriter;
  #sink: FileSink | undefined;
  #records = 0n;
  readonly #byCode = new Map<string, bigint>();

  constructor(tree: TreeWriter) {
    this.#tree = tree;
  }

  /** Sets one row apart with the error decode raised for it. */
  async add(row: QuarantinedRow, err: DataError): Promise<void> {
    const line = goEncodeLine(
      {
        offset: row.offset,
        commit_ts: row.commitTs,
        adapter: row.adapter,
        code: err.code,
        message: err.message,
        key: b64(row.key),
        value: b64(row.value),
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
