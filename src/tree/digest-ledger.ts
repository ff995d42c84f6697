// The SHA-256 of every file a TreeWriter writes, taken from the bytes as they are written, so CHECKSUMS can be
// produced without opening and reading every file of the tree a second time (on trees of one small file per
// key, opening files is most of the cost). Digests go through the external sorter and come out in path order;
// a path written twice keeps its last digest, and a path taken back out of the tree (decode --salvage removing a
// damaged key's files) is recorded with an empty digest, which hides it unless it is written again.

import type { FileDigest } from './checksums.ts';
import { ExternalSorter, lastPerKey, type ExternalSorterOptions } from '../sort/external-sort.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

export class DigestLedger {
  readonly #sorter: ExternalSorter;

  constructor(spill: ExternalSorterOptions) {
    this.#sorter = new ExternalSorter(spill);
  }

  async record(rel: Buffer, hex: string): Promise<void> {
    await this.#sorter.add(rel, Buffer.from(hex, 'latin1'));
  }

  /** Records that the file at rel was removed from the tree: it is left out unless written again. */
  async forget(rel: Buffer): Promise<void> {
    await this.#sorter.add(rel, Buffer.alloc(0));
  }

  /** Every file recorded and not removed, once, in bytewise path order, with its last digest; can be called once. */
  async *digests(): AsyncGenerator<FileDigest> {
    for await (const { key, value } of lastPerKey(this.#sorter.sorted())) {
      if (value.length > 0) yield { rel: key, hex: value.toString('latin1') };
    }
  }

  /** Every recorded digest in bytewise path order, a path recorded twice twice; can be called once. */
  async *everyDigest(): AsyncGenerator<FileDigest> {
    for await (const { key, value } of this.#sorter.sorted()) {
      yield { rel: asBuffer(key), hex: asBuffer(value).toString('latin1') };
    }
  }

  async dispose(): Promise<void> {
    await this.#sorter.dispose();
  }
}
