// External merge sort of (key, value) byte records under a memory budget.
//
// Records are copied into slabs (1 MiB buffers) in the run-file layout `LE32 keyLen | key | LE32 valLen |
// value`, with one number per record (slab and offset) as the only per-record state, so holding many
// records costs the garbage collector nothing. Past the budget, the positions are sorted (stable,
// unsigned bytewise by key, compared in place) and the records spilled as a run file `run-<n>.bin` in the
// scratch directory; the slabs are then reused. sorted() merges the runs and the in-memory tail
// with a binary heap; ties between equal keys come out in insertion order (earlier runs first, and each run
// is stably sorted), so callers can rely on it for grouping.
//
// The merge holds one read block per open run, so it opens at most mergeFanIn(budget) runs at once: with more
// runs than that, consecutive groups are first merged into longer runs (earlier groups first, so ties keep
// their order), pass after pass, until one final merge can take them all. Memory stays within the budget
// however large the input is; the price is one more read and write of the data per extra pass.

import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface SortRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface ExternalSorterOptions {
  /** Directory for run files (created if missing). */
  readonly scratchDir: string;
  /** Bytes of records held in memory before a run is spilled. */
  readonly memoryBudget: number;
}

/** Per-record overhead counted against the budget beyond its bytes in the slab: its position in the index. */
const RECORD_OVERHEAD = 8;
const SLAB = 1024 * 1024;
/** A position is slab * SLOT + offset (exact in a double for 2^21 slabs). */
const SLOT = 2 ** 32;
const MAX_READ_BLOCK = 1024 * 1024;
const MIN_READ_BLOCK = 64 * 1024;
const WRITE_BLOCK = 1024 * 1024;

/** Read block of one run during a merge: a 64th of the budget, from 64 KiB up to 1 MiB. */
export function mergeReadBlock(memoryBudget: number): number {
  return Math.min(MAX_READ_BLOCK, Math.max(MIN_READ_BLOCK, Math.floor(memoryBudget / 64)));
}

/** Runs merged at once: as many read blocks as fit in the budget, and at least two. */
export function mergeFanIn(memoryBudget: number): number {
  return Math.max(2, Math.floor(memoryBudget / mergeReadBlock(memoryBudget)));
}

/** From a sorted stream (equal keys in insertion order): each key once, with the value added last. */
export async function* lastPerKey(sorted: AsyncIterable<SortRecord>): AsyncGenerator<{ key: Buffer; value: Buffer }> {
  let held: { key: Buffer; value: Buffer } | undefined;
  for await (const r of sorted) {
    const key = Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength);
    if (held !== undefined && !held.key.equals(key)) yield held;
    held = { key, value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength) };
  }
  if (held !== undefined) yield held;
}

export class ExternalSorter {
  readonly #opts: ExternalSorterOptions;
  /** Slabs holding the buffered records; `#slabs[#slab]` is being filled up to `#used`. */
  #slabs: Buffer[] = [];
  #slab = -1;
  #used = 0;
  /** Positions of the buffered records, in insertion order. */
  #positions: number[] = [];
  #bufferBytes = 0;
  #runs: string[] = [];
  /** Every run file on disk (spilled or merged), removed by dispose(). */
  readonly #files = new Set<string>();
  #runSeq = 0;
  #spilled = 0;
  #count = 0;
  #drained = false;
  #mergePasses = 0;
  #maxOpenRuns = 0;

  constructor(opts: ExternalSorterOptions) {
    this.#opts = opts;
  }

  /** Records added so far. */
  get count(): number {
    return this.#count;
  }

  /** Run files spilled so far. */
  get spilledRuns(): number {
    return this.#spilled;
  }

  /** Intermediate merge passes done by sorted() (0 when one merge took every run). */
  get mergePasses(): number {
    return this.#mergePasses;
  }

  /** The most run files sorted() had open at once. */
  get maxOpenRuns(): number {
    return this.#maxOpenRuns;
  }

  /** Adds a record (its bytes are copied). */
  async add(key: Uint8Array, value: Uint8Array): Promise<void> {
    if (this.#drained) throw new Error('ExternalSorter: add after sorted()');
    const need = 8 + key.length + value.length;
    let slab = this.#slabs[this.#slab];
    if (slab === undefined || this.#used + need > slab.length) {
      this.#slab++;
      slab = this.#slabs[this.#slab];
      if (slab === undefined || slab.length < need) {
        slab = Buffer.allocUnsafe(Math.max(SLAB, need));
        this.#slabs[this.#slab] = slab;
      }
      this.#used = 0;
    }
    const at = this.#used;
    slab.writeUInt32LE(key.length, at);
    slab.set(key, at + 4);
    slab.writeUInt32LE(value.length, at + 4 + key.length);
    slab.set(value, at + 8 + key.length);
    this.#used = at + need;
    this.#positions.push(this.#slab * SLOT + at);
    this.#bufferBytes += need + RECORD_OVERHEAD;
    this.#count++;
    if (this.#bufferBytes >= this.#opts.memoryBudget) await this.#spill();
  }

  /** The buffered positions in key order (stable: equal keys keep insertion order). */
  #sortedPositions(): number[] {
    const slabs = this.#slabs;
    const positions = this.#positions;
    this.#positions = [];
    return positions.sort((a, b) => {
      const sa = slabs[Math.floor(a / SLOT)] as Buffer;
      const oa = a % SLOT;
      const sb = slabs[Math.floor(b / SLOT)] as Buffer;
      const ob = b % SLOT;
      return sa.compare(sb, ob + 4, ob + 4 + sb.readUInt32LE(ob), oa + 4, oa + 4 + sa.readUInt32LE(oa));
    });
  }

  /** Empties the buffer, keeping its slabs for reuse (whole-buffer sized slabs of large records are let go). */
  #resetBuffer(): void {
    this.#slabs = this.#slabs.filter((b) => b.length === SLAB);
    this.#slab = -1;
    this.#used = 0;
    this.#bufferBytes = 0;
  }

  async #spill(): Promise<void> {
    if (this.#positions.length === 0) return;
    const order = this.#sortedPositions();
    this.#runs.push(await this.#writeRun(this.#recordsAt(order)));
    this.#spilled++;
    this.#resetBuffer();
  }

  /** The buffered records at the given positions, as views of the slabs. */
  *#recordsAt(order: readonly number[]): Generator<SortRecord> {
    const slabs = this.#slabs;
    for (const p of order) {
      const slab = slabs[Math.floor(p / SLOT)] as Buffer;
      const at = p % SLOT;
      const kl = slab.readUInt32LE(at);
      const vl = slab.readUInt32LE(at + 4 + kl);
      yield { key: slab.subarray(at + 4, at + 4 + kl), value: slab.subarray(at + 8 + kl, at + 8 + kl + vl) };
    }
  }

  /** Writes sorted records to a new run file and returns its path. */
  async #writeRun(records: Iterable<SortRecord> | AsyncIterable<SortRecord>): Promise<string> {
    await fsp.mkdir(this.#opts.scratchDir, { recursive: true });
    const path = join(this.#opts.scratchDir, `run-${process.pid}-${this.#runSeq++}-${Math.random().toString(36).slice(2)}.bin`);
    this.#files.add(path);
    const fh = await fsp.open(path, 'wx', 0o600);
    try {
      let block = Buffer.allocUnsafe(WRITE_BLOCK);
      let used = 0;
      const flush = async (): Promise<void> => {
        if (used > 0) await writeAll(fh, block.subarray(0, used));
        used = 0;
      };
      for await (const r of records) {
        const need = 8 + r.key.length + r.value.length;
        if (used + need > block.length) {
          await flush();
          if (need > block.length) block = Buffer.allocUnsafe(need);
        }
        block.writeUInt32LE(r.key.length, used);
        block.set(r.key, used + 4);
        used += 4 + r.key.length;
        block.writeUInt32LE(r.value.length, used);
        block.set(r.value, used + 4);
        used += 4 + r.value.length;
      }
      await flush();
    } finally {
      await fh.close();
    }
    return path;
  }

  /** Merges the given runs (in run order) into one stream, with at most their number of files open. */
  async *#merge(paths: readonly string[]): AsyncGenerator<SortRecord> {
    const block = mergeReadBlock(this.#opts.memoryBudget);
    const sources: RunReader[] = [];
    try {
      for (const p of paths) sources.push(await RunReader.open(p, block, sources.length));
      this.#maxOpenRuns = Math.max(this.#maxOpenRuns, sources.length);
      yield* mergeSources(sources);
    } finally {
      await Promise.all(sources.map((s) => s.close()));
    }
  }

  /** Merges consecutive groups of runs into longer runs until one merge can open them all. */
  async #reduceRuns(): Promise<void> {
    const fanIn = mergeFanIn(this.#opts.memoryBudget);
    while (this.#runs.length > fanIn) {
      this.#mergePasses++;
      const next: string[] = [];
      for (let i = 0; i < this.#runs.length; i += fanIn) {
        const group = this.#runs.slice(i, i + fanIn);
        if (group.length === 1) {
          next.push(group[0]!);
          continue;
        }
        next.push(await this.#writeRun(this.#merge(group)));
        await Promise.all(group.map((p) => fsp.rm(p, { force: true })));
        for (const p of group) this.#files.delete(p);
      }
      this.#runs = next;
    }
  }

  /** Yields every record in ascending key order; can be called once. Removes run files when done. */
  async *sorted(): AsyncGenerator<SortRecord> {
    if (this.#drained) throw new Error('ExternalSorter: sorted() called twice');
    this.#drained = true;
    try {
      if (this.#runs.length === 0) {
        yield* this.#recordsAt(this.#sortedPositions());
        return;
      }
      await this.#spill();
      await this.#reduceRuns();
      yield* this.#merge(this.#runs);
    } finally {
      await this.dispose();
    }
  }

  /** Removes any run files; safe to call more than once. */
  async dispose(): Promise<void> {
    this.#positions = [];
    this.#slabs = [];
    this.#runs = [];
    const files = [...this.#files];
    this.#files.clear();
    await Promise.all(files.map((p) => fsp.rm(p, { force: true })));
  }
}

async function writeAll(fh: FileHandle, b: Uint8Array): Promise<void> {
  let off = 0;
  while (off < b.length) {
    const { bytesWritten } = await fh.write(b, off, b.length - off);
    off += bytesWritten;
  }
}

/** Sequential reader of one run file. */
class RunReader {
  readonly #fh: FileHandle;
  readonly #block: number;
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  #eof = false;
  current: SortRecord | undefined;
  /** Position among the merged runs: ties go to the earlier run. */
  order = 0;

  private constructor(fh: FileHandle, block: number) {
    this.#fh = fh;
    this.#block = block;
  }

  static async open(path: string, block: number, order: number): Promise<RunReader> {
    const r = new RunReader(await fsp.open(path, 'r'), block);
    r.order = order;
    return r;
  }

  async #ensure(n: number): Promise<boolean> {
    while (this.#buf.length - this.#pos < n) {
      if (this.#eof) return false;
      const rest = this.#buf.subarray(this.#pos);
      const want = Math.max(this.#block, n);
      const next = Buffer.allocUnsafe(rest.length + want);
      rest.copy(next, 0);
      const { bytesRead } = await this.#fh.read(next, rest.length, want, null);
      if (bytesRead === 0) this.#eof = true;
      this.#buf = next.subarray(0, rest.length + bytesRead);
      this.#pos = 0;
    }
    return true;
  }

  /** Loads the next record into `current` (undefined at the end). */
  async advance(): Promise<void> {
    if (!(await this.#ensure(4))) {
      if (this.#buf.length - this.#pos !== 0) throw new Error('ExternalSorter: run file truncated');
      this.current = undefined;
      return;
    }
    const kl = this.#buf.readUInt32LE(this.#pos);
    if (!(await this.#ensure(4 + kl + 4))) throw new Error('ExternalSorter: run file truncated');
    const vl = this.#buf.readUInt32LE(this.#pos + 4 + kl);
    if (!(await this.#ensure(8 + kl + vl))) throw new Error('ExternalSorter: run file truncated');
    const p = this.#pos;
    // One copy of the record (so it stays valid after the read buffer is replaced), viewed as key and value.
    const rec = Uint8Array.prototype.slice.call(this.#buf, p + 4, p + 8 + kl + vl);
    this.#pos = p + 8 + kl + vl;
    this.current = { key: rec.subarray(0, kl), value: rec.subarray(kl + 4) };
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}

/** k-way merge with a binary heap ordered by (key, run order). */
async function* mergeSources(sources: RunReader[]): AsyncGenerator<SortRecord> {
  const less = (a: RunReader, b: RunReader): boolean => {
    const c = Buffer.compare(a.current!.key, b.current!.key);
    return c < 0 || (c === 0 && a.order < b.order);
  };
  const heap: RunReader[] = [];
  const push = (s: RunReader): void => {
    heap.push(s);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const siftDown = (): void => {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const s of sources) {
    await s.advance();
    if (s.current !== undefined) push(s);
  }
  while (heap.length > 0) {
    const top = heap[0]!;
    yield top.current!;
    await top.advance();
    if (top.current === undefined) {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown();
      }
    } else {
      siftDown();
    }
  }
}
