// External merge sort of (key, value) byte records under a memory budget.
//
// Records are copied into slabs (1 MiB buffers) in the run-file layout `LE32 keyLen | key | LE32 valLen |
// value`, with one number per record (slab and offset) as the only per-record state, so holding many
// records costs the garbage collector nothing. Past the budget, the positions are sorted (stable, unsigned
// bytewise by key, six bytes at a time: sort-positions.ts) and the records spilled as a run file `run-<n>.bin` in
// the scratch directory; the slabs are then reused. sorted() merges the runs and the in-memory tail
// with a binary heap; ties between equal keys come out in insertion order (earlier runs first, and each run
// is stably sorted), so callers can rely on it for grouping.
//
// Input that already arrives in key order skips the sort, and so does input that interleaves a few sequences each
// in key order (an encode emits a message's data row, then its index rows, message after message): a record goes
// to the first in-order lane whose last key is not above its own, or opens a new lane (up to MAX_LANES, fewer for a
// small budget), and only records no lane takes are sorted into runs. Each lane's slabs spill by appending to its
// own lane file. The lanes are merge sources ahead of the runs, in the order they were opened, and ties keep
// insertion order: a record refused by a lane is below that lane's last key, which never decreases, so no later
// record of its key joins that lane or any lane before it, and one that went to the runs is followed there by every
// later record of its key. Input in no order (a directory listing) closes the lanes once most records went to the
// runs: every later record goes there too, without being compared with each lane's last key.
//
// The merge holds one read block per open run, so it opens at most mergeFanIn(reserved) runs at once: with more
// runs than that, consecutive groups are first merged into longer runs (earlier groups first, so ties keep
// their order), pass after pass, until one final merge can take them all. Memory stays within the budget
// however large the input is; the price is one more read and write of the data per extra pass.
//
// The budget is a MemoryPool (memory-pool.ts), the sorter's own or one shared by every sorter of a run: buffered
// records are reserved in steps as they arrive, and when the pool is short the largest buffer spills; a merge
// reserves its read blocks (at most a quarter of the pool, so concurrent merges leave room for buffers).

import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryPool, type PoolHolder } from './memory-pool.ts';
import { compareBytes } from '../bytes/compare.ts';
import { copyBytes } from '../bytes/copy.ts';
import { sortPositions } from './sort-positions.ts';
import { putLe32 } from '../bytes/little-endian.ts';
import { writeAll } from '../fs/write-all.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

export interface SortRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export type ExternalSorterOptions = {
  /** Directory for run files (created if missing). */
  readonly scratchDir: string;
} & (
  | {
      /** Bytes of records held in memory before a run is spilled (a pool of the sorter's own). */
      readonly memoryBudget: number;
    }
  | {
      /** The budget shared with other sorters. */
      readonly pool: MemoryPool;
    }
);

/**
 * Per-record overhead counted against the budget beyond the slabs: a sorted record's position in the index (8
 * bytes) and what sorting the positions takes for it while it runs (sort-positions.ts: its order, chunk and result
 * arrays and the sort's own scratch, about 28 bytes).
 */
const RECORD_OVERHEAD = 40;

/** Writes a record at `at` in the run-file layout: LE32 keyLen | key | LE32 valLen | value. */
function putRecord(slab: Buffer, at: number, key: Uint8Array, value: Uint8Array): void {
  const kl = key.length;
  putLe32(slab, at, kl);
  copyBytes(slab, at + 4, key);
  putLe32(slab, at + 4 + kl, value.length);
  copyBytes(slab, at + 8 + kl, value);
}

const EMPTY = Buffer.alloc(0);

/** The bytes start..end of buf as a view; one shared empty buffer for an empty range (no view made). */
const view = (buf: Buffer, start: number, end: number): Buffer => (start === end ? EMPTY : buf.subarray(start, end));

/** A position is slab * SLOT + offset (exact in a double for 2^21 slabs). */
const SLOT = 2 ** 32;
const MAX_READ_BLOCK = 1024 * 1024;
const MIN_READ_BLOCK = 64 * 1024;
const WRITE_BLOCK = 1024 * 1024;
/** In-order lanes a sorter opens at most. */
const MAX_LANES = 16;
/** Records sent to the runs before the lanes may close (when they are most of the records). */
const LANES_CLOSE_AFTER = 64;

/** Read block of one run during a merge: a 64th of the memory for the merge, from 64 KiB up to 1 MiB. */
export function mergeReadBlock(memoryBudget: number): number {
  return Math.min(MAX_READ_BLOCK, Math.max(MIN_READ_BLOCK, Math.floor(memoryBudget / 64)));
}

/** Runs merged at once: as many read blocks as fit in the memory for the merge, and at least two. */
export function mergeFanIn(memoryBudget: number): number {
  return Math.max(2, Math.floor(memoryBudget / mergeReadBlock(memoryBudget)));
}

/** From a sorted stream (equal keys in insertion order): each key once, with the value added last. */
export async function* lastPerKey(sorted: AsyncIterable<SortRecord>): AsyncGenerator<{ key: Buffer; value: Buffer }> {
  let held: { key: Buffer; value: Buffer } | undefined;
  for await (const r of sorted) {
    const key = asBuffer(r.key);
    if (held !== undefined && !held.key.equals(key)) yield held;
    held = { key, value: asBuffer(r.value) };
  }
  if (held !== undefined) yield held;
}

export class ExternalSorter implements PoolHolder {
  readonly #scratchDir: string;
  readonly #pool: MemoryPool;
  /** Bytes reserved from the pool: for buffered records while adding, for read blocks while merging. */
  #held = 0;
  #spilling = false;
  /** True when the pool is the sorter's own (a merge may then use all of it). */
  readonly #ownPool: boolean;
  /** Read block of one merge source, set when the merge's memory is reserved. */
  #readBlock = MIN_READ_BLOCK;
  /** Slabs holding the buffered records; `#slabs[#slab]` is being filled up to `#used`. */
  #slabs: Buffer[] = [];
  #slab = -1;
  #used = 0;
  /** Positions of the buffered records, in insertion order. */
  #positions: number[] = [];
  #bufferBytes = 0;
  /** The in-order lanes, in the order they were opened, at most #maxLanes; none take records once closed. */
  readonly #lanes: Lane[] = [];
  readonly #maxLanes: number;
  #lanesClosed = false;
  /** Records no lane took. */
  #toRuns = 0;
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
    this.#scratchDir = opts.scratchDir;
    this.#ownPool = !('pool' in opts);
    this.#pool = 'pool' in opts ? opts.pool : new MemoryPool(opts.memoryBudget);
    // Each lane holds a slab: together at most an eighth of the budget.
    this.#maxLanes = Math.max(1, Math.min(MAX_LANES, Math.floor(this.#pool.budget / (8 * this.#pool.slabBytes))));
  }

  reclaimable(): number {
    return this.#drained || this.#spilling ? 0 : this.#held;
  }

  async giveBack(): Promise<void> {
    await this.#spill();
  }

  /** Reserves room for `cost` more buffered bytes, spilling first when the pool says this buffer is the largest. */
  async #reserve(cost: number): Promise<void> {
    const step = Math.max(cost, 2 * this.#pool.slabBytes);
    let got = await this.#pool.take(this, step, cost);
    if (got === 0) {
      await this.#spill();
      got = await this.#pool.take(this, step, cost, true);
    }
    this.#held += got;
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

  /**
   * Adds a record (its bytes are copied). Returns a promise only when the pool had to be asked for more room
   * (which may spill); the caller must then wait for it before it reuses `key` or `value`.
   */
  add(key: Uint8Array, value: Uint8Array): Promise<void> | undefined {
    if (this.#drained) throw new Error('ExternalSorter: add after sorted()');
    const need = 8 + key.length + value.length;
    // At most one new slab and one position: reserved first (which may spill this buffer).
    const worst = Math.max(this.#pool.slabBytes, need) + RECORD_OVERHEAD;
    if (this.#bufferBytes + worst > this.#held) {
      return this.#reserve(worst).then(() => {
        this.#put(key, value, need);
      });
    }
    this.#put(key, value, need);
    return undefined;
  }

  #put(key: Uint8Array, value: Uint8Array, need: number): void {
    const lanes = this.#lanes;
    let lane: Lane | undefined;
    if (!this.#lanesClosed) {
      for (let i = 0; i < lanes.length; i++) {
        const l = lanes[i] as Lane;
        if (compareBytes(key, 0, key.length, l.lastBuf, l.lastStart, l.lastStart + l.lastLen) >= 0) {
          lane = l;
          break;
        }
      }
      if (lane === undefined && lanes.length < this.#maxLanes) {
        lane = new Lane();
        lanes.push(lane);
      }
    }
    if (lane !== undefined) {
      this.#addToLane(lane, key, value, need);
    } else {
      this.#toRuns++;
      if (this.#toRuns >= LANES_CLOSE_AFTER && 2 * this.#toRuns > this.#count) this.#lanesClosed = true;
      let slab = this.#slabs[this.#slab];
      if (slab === undefined || this.#used + need > slab.length) {
        slab = this.#newSlab(need);
        this.#slabs.push(slab);
        this.#slab = this.#slabs.length - 1;
        this.#used = 0;
      }
      const at = this.#used;
      putRecord(slab, at, key, value);
      this.#used = at + need;
      this.#positions.push(this.#slab * SLOT + at);
      this.#bufferBytes += RECORD_OVERHEAD;
    }
    this.#count++;
  }

  /** A slab from the pool for at least `need` bytes, counted in the buffer. */
  #newSlab(need: number): Buffer {
    const slab = this.#pool.slab(need);
    this.#bufferBytes += slab.length;
    return slab;
  }

  #addToLane(lane: Lane, key: Uint8Array, value: Uint8Array, need: number): void {
    const n = lane.slabs.length;
    let slab = lane.slabs[n - 1];
    let at = lane.fill[n - 1] ?? 0;
    if (slab === undefined || at + need > slab.length) {
      slab = this.#newSlab(need);
      lane.slabs.push(slab);
      lane.fill.push(0);
      at = 0;
    }
    putRecord(slab, at, key, value);
    lane.fill[lane.fill.length - 1] = at + need;
    lane.lastBuf = slab;
    lane.lastStart = at + 4;
    lane.lastLen = key.length;
  }

  /** The buffered positions in key order (stable: equal keys keep insertion order). */
  #sortedPositions(): number[] {
    const slabs = this.#slabs;
    const positions = this.#positions;
    this.#positions = [];
    return sortPositions(slabs, positions, SLOT);
  }

  /** Empties the buffer, handing its slabs to the pool for reuse, and gives its reservation back. */
  #resetBuffer(): void {
    this.#pool.release(this.#held);
    this.#held = 0;
    this.#pool.recycle(this.#slabs);
    for (const lane of this.#lanes) {
      this.#pool.recycle(lane.slabs);
      lane.slabs = [];
      lane.fill = [];
    }
    this.#slabs = [];
    this.#slab = -1;
    this.#used = 0;
    this.#bufferBytes = 0;
  }

  async #spill(): Promise<void> {
    this.#spilling = true;
    try {
      for (const lane of this.#lanes) await this.#spillLane(lane);
      if (this.#positions.length > 0) {
        this.#runs.push(await this.#writeRun([this.#recordsAt(this.#sortedPositions())]));
        this.#spilled++;
      }
      this.#resetBuffer();
    } finally {
      this.#spilling = false;
    }
  }

  /** Appends a lane's slabs to its lane file (no sorting: they are in order), keeping a copy of its last key. */
  async #spillLane(lane: Lane): Promise<void> {
    if (lane.slabs.length === 0) return;
    await fsp.mkdir(this.#scratchDir, { recursive: true });
    if (lane.file === undefined) {
      lane.file = join(this.#scratchDir, `lane-${process.pid}-${this.#runSeq++}-${Math.random().toString(36).slice(2)}.bin`);
      this.#files.add(lane.file);
    }
    const fh = await fsp.open(lane.file, 'a', 0o600);
    try {
      for (const [i, slab] of lane.slabs.entries()) await writeAll(fh, slab.subarray(0, lane.fill[i]));
    } finally {
      await fh.close();
    }
    const start = lane.lastStart;
    lane.lastBuf = Buffer.from(lane.lastBuf.subarray(start, start + lane.lastLen));
    lane.lastStart = 0;
  }

  /** The buffered records at the given positions, as views of the slabs. */
  *#recordsAt(order: readonly number[]): Generator<SortRecord> {
    const slabs = this.#slabs;
    for (const p of order) {
      const slab = slabs[Math.floor(p / SLOT)] as Buffer;
      const at = p % SLOT;
      const kl = slab.readUInt32LE(at);
      const vl = slab.readUInt32LE(at + 4 + kl);
      yield { key: slab.subarray(at + 4, at + 4 + kl), value: view(slab, at + 8 + kl, at + 8 + kl + vl) };
    }
  }

  /** Writes sorted records to a new run file and returns its path. */
  async #writeRun(batches: Iterable<Iterable<SortRecord>> | AsyncIterable<Iterable<SortRecord>>): Promise<string> {
    await fsp.mkdir(this.#scratchDir, { recursive: true });
    const path = join(this.#scratchDir, `run-${process.pid}-${this.#runSeq++}-${Math.random().toString(36).slice(2)}.bin`);
    this.#files.add(path);
    const fh = await fsp.open(path, 'wx', 0o600);
    try {
      let block = Buffer.allocUnsafe(WRITE_BLOCK);
      let used = 0;
      const flush = async (): Promise<void> => {
        if (used > 0) await writeAll(fh, block.subarray(0, used));
        used = 0;
      };
      for await (const records of batches) {
        for (const r of records) {
          const need = 8 + r.key.length + r.value.length;
          if (used + need > block.length) {
            await flush();
            if (need > block.length) block = Buffer.allocUnsafe(need);
          }
          putRecord(block, used, r.key, r.value);
          used += need;
        }
      }
      await flush();
    } finally {
      await fh.close();
    }
    return path;
  }

  /** Merges the run files at `paths` (ties to the earlier one) into one stream of batches; closes them at the end. */
  async *#merge(paths: readonly string[]): AsyncGenerator<SortRecord[]> {
    const block = this.#readBlock;
    const sources: MergeSource[] = [];
    const opened: RunReader[] = [];
    try {
      for (const p of paths) {
        const r = await RunReader.open(p, block, sources.length);
        opened.push(r);
        sources.push(r);
      }
      this.#maxOpenRuns = Math.max(this.#maxOpenRuns, sources.length);
      yield* mergeSources(sources);
    } finally {
      await Promise.all(opened.map((s) => s.close()));
    }
  }

  /**
   * Reserves the merge's read blocks: one per run (lane files included), up to the fan-in of the sorter's own budget
   * or of a quarter of a shared one, and at least two.
   */
  async #reserveMerge(laneFiles: number): Promise<void> {
    const memory = this.#ownPool ? this.#pool.budget : Math.max(1, Math.floor(this.#pool.budget / 4));
    this.#readBlock = mergeReadBlock(memory);
    const sources = this.#runs.length + laneFiles;
    const want = Math.max(2, Math.min(sources, mergeFanIn(memory))) * this.#readBlock;
    this.#held = await this.#pool.take(this, want, 2 * this.#readBlock, true);
  }

  /**
   * Leaves runs (the lane files first, then the sorted runs) that one merge can open all of: the sorted runs are
   * merged into fewer first, so the lane files, which usually hold most records, are read once.
   */
  async #reduceRuns(laneFiles: readonly string[]): Promise<string[]> {
    const fanIn = Math.max(2, Math.floor(this.#held / this.#readBlock));
    const sorted = await this.#reduce(this.#runs, Math.max(1, fanIn - laneFiles.length), fanIn);
    return this.#reduce([...laneFiles, ...sorted], fanIn, fanIn);
  }

  /** Merges consecutive groups of `group` runs into longer runs, pass after pass, until at most `target` remain. */
  async #reduce(runs: readonly string[], target: number, group: number): Promise<string[]> {
    let now = [...runs];
    while (now.length > target) {
      this.#mergePasses++;
      const next: string[] = [];
      for (let i = 0; i < now.length; i += group) {
        const paths = now.slice(i, i + group);
        const [only] = paths;
        if (paths.length === 1 && only !== undefined) {
          next.push(only);
          continue;
        }
        next.push(await this.#writeRun(this.#merge(paths)));
        await Promise.all(paths.map((p) => fsp.rm(p, { force: true })));
        for (const p of paths) this.#files.delete(p);
      }
      now = next;
    }
    return now;
  }

  /** Yields every record in ascending key order; can be called once. Removes run files when done. */
  async *sorted(): AsyncGenerator<SortRecord> {
    for await (const batch of this.sortedBatches()) yield* batch;
  }

  /**
   * Every record in ascending key order, in arrays of up to MERGE_BATCH records (one generator round trip per
   * array); can be called once, instead of sorted(). Records stay valid after their batch.
   */
  async *sortedBatches(): AsyncGenerator<SortRecord[]> {
    if (this.#drained) throw new Error('ExternalSorter: sorted() called twice');
    this.#drained = true;
    try {
      const lanes = this.#lanes;
      if (this.#runs.length === 0 && lanes.every((l) => l.file === undefined)) {
        const rest = this.#recordsAt(this.#sortedPositions());
        const sources: MergeSource[] = lanes.map((l, i) => new LaneSource(l.slabs, l.fill, i));
        yield* mergeSources([...sources, new MemorySource(rest, sources.length)]);
        return;
      }
      await this.#spill();
      // The lane files are runs too, ahead of the sorted ones in the order the lanes were opened.
      const laneFiles = lanes.flatMap((l) => (l.file === undefined ? [] : [l.file]));
      await this.#reserveMerge(laneFiles.length);
      this.#runs = await this.#reduceRuns(laneFiles);
      yield* this.#merge(this.#runs);
    } finally {
      await this.dispose();
    }
  }

  /** Removes any run files and gives the reservation back; safe to call more than once. */
  async dispose(): Promise<void> {
    this.#positions = [];
    this.#slabs = [];
    this.#lanes.length = 0;
    this.#runs = [];
    this.#pool.release(this.#held);
    this.#held = 0;
    this.#pool.leave(this);
    const files = [...this.#files];
    this.#files.clear();
    await Promise.all(files.map((p) => fsp.rm(p, { force: true })));
  }
}

/** An in-order lane of a sorter: its slabs (`fill[i]` bytes used of `slabs[i]`), last key and lane file. */
class Lane {
  slabs: Buffer[] = [];
  fill: number[] = [];
  /** The last key: `lastLen` bytes of `lastBuf` from `lastStart`. */
  lastBuf: Buffer = EMPTY;
  lastStart = 0;
  lastLen = 0;
  file: string | undefined;
}

/** One input of a merge: `current` is its next record (undefined at the end); ties go to the lower `order`. */
interface MergeSource {
  current: SortRecord | undefined;
  readonly order: number;
  /** Loads the next record; a promise only when it had to wait for input. */
  advance(): Promise<void> | undefined;
}

/** Records already in memory (the sorted buffer's), as a merge source. */
class MemorySource implements MergeSource {
  current: SortRecord | undefined;
  readonly order: number;
  readonly #it: Iterator<SortRecord>;

  constructor(records: Iterable<SortRecord>, order: number) {
    this.#it = records[Symbol.iterator]();
    this.order = order;
  }

  advance(): undefined {
    const r = this.#it.next();
    this.current = r.done === true ? undefined : r.value;
    return undefined;
  }
}

/** The lane's records still in memory, in order, as a merge source of views of its slabs (no generator). */
class LaneSource implements MergeSource {
  current: SortRecord | undefined;
  readonly order: number;
  readonly #slabs: readonly Buffer[];
  readonly #fill: readonly number[];
  #slab = 0;
  #at = 0;

  constructor(slabs: readonly Buffer[], fill: readonly number[], order: number) {
    this.#slabs = slabs;
    this.#fill = fill;
    this.order = order;
  }

  advance(): undefined {
    while (this.#slab < this.#slabs.length && this.#at >= (this.#fill[this.#slab] as number)) {
      this.#slab++;
      this.#at = 0;
    }
    const slab = this.#slabs[this.#slab];
    if (slab === undefined) {
      this.current = undefined;
      return undefined;
    }
    const at = this.#at;
    const kl = slab.readUInt32LE(at);
    const end = at + 8 + kl + slab.readUInt32LE(at + 4 + kl);
    this.current = { key: slab.subarray(at + 4, at + 4 + kl), value: view(slab, at + 8 + kl, end) };
    this.#at = end;
    return undefined;
  }
}

/** Bytes kept free ahead of a block read ahead, where the part of a record left from the block before is copied. */
const CARRY_ROOM = 64 * 1024;

/** A block read ahead: a fresh buffer with CARRY_ROOM bytes free before the `bytes` read. */
interface AheadBlock {
  readonly buf: Buffer;
  readonly bytes: number;
}

/**
 * Sequential reader of one run file. It reads its block in two halves, the next one ahead while the merge takes
 * the current one apart: a merge that waited for every read left the calling thread idle for a tenth of its time
 * (0.31 s of the 512 MiB streams decode's finalize, reading its lane files).
 */
class RunReader implements MergeSource {
  readonly #fh: FileHandle;
  readonly #half: number;
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  #eof = false;
  /** The next half block, being read (none before the first refill and after the end). */
  #ahead: Promise<AheadBlock> | undefined;
  current: SortRecord | undefined;
  readonly order: number;

  private constructor(fh: FileHandle, block: number, order: number) {
    this.#fh = fh;
    this.#half = Math.max(1, block >> 1);
    this.order = order;
  }

  static async open(path: string, block: number, order: number): Promise<RunReader> {
    return new RunReader(await fsp.open(path, 'r'), block, order);
  }

  /** Reads the next `want` bytes of the file into a new buffer, after CARRY_ROOM free bytes. */
  async #read(want: number): Promise<AheadBlock> {
    const buf = Buffer.allocUnsafe(CARRY_ROOM + want);
    const { bytesRead } = await this.#fh.read(buf, CARRY_ROOM, want, null);
    return { buf, bytes: bytesRead };
  }

  /**
   * Refills the read buffer until n bytes are available past #pos, starting the read of the next half block (or of
   * the rest of a longer record) each time. Every refill moves to a new buffer, so records handed out earlier (views
   * of the old one) stay valid.
   */
  async #ensure(n: number): Promise<boolean> {
    while (this.#buf.length - this.#pos < n) {
      if (this.#eof) return false;
      const rest = this.#buf.subarray(this.#pos);
      const ahead = this.#ahead;
      this.#ahead = undefined;
      const { buf, bytes } = await (ahead ?? this.#read(Math.max(this.#half, n - rest.length)));
      if (bytes === 0) this.#eof = true;
      if (rest.length <= CARRY_ROOM) {
        rest.copy(buf, CARRY_ROOM - rest.length);
        this.#buf = buf.subarray(CARRY_ROOM - rest.length, CARRY_ROOM + bytes);
      } else {
        this.#buf = Buffer.concat([rest, buf.subarray(CARRY_ROOM, CARRY_ROOM + bytes)]);
      }
      this.#pos = 0;
      if (!this.#eof) {
        const next = this.#read(Math.max(this.#half, n - this.#buf.length));
        next.catch(() => undefined); // a failure is thrown where the block is awaited; none is left unhandled
        this.#ahead = next;
      }
    }
    return true;
  }

  /** Loads the next record into `current` (undefined at the end), as views of the read buffer. */
  advance(): Promise<void> | undefined {
    const buf = this.#buf;
    const p = this.#pos;
    if (buf.length - p >= 4) {
      const kl = buf.readUInt32LE(p);
      if (buf.length - p >= 8 + kl) {
        const end = p + 8 + kl + buf.readUInt32LE(p + 4 + kl);
        if (end <= buf.length) {
          this.#pos = end;
          this.current = { key: buf.subarray(p + 4, p + 4 + kl), value: view(buf, p + 8 + kl, end) };
          return undefined;
        }
      }
    }
    return this.#advanceSlow();
  }

  async #advanceSlow(): Promise<void> {
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
    this.#pos = p + 8 + kl + vl;
    this.current = {
      key: this.#buf.subarray(p + 4, p + 4 + kl),
      value: view(this.#buf, p + 8 + kl, p + 8 + kl + vl),
    };
  }

  async close(): Promise<void> {
    await this.#ahead?.catch(() => undefined);
    this.#ahead = undefined;
    await this.#fh.close();
  }
}

/** Records per batch of sortedBatches(). */
const MERGE_BATCH = 1024;

/** One source in the merge heap with the record it holds next. */
interface HeapEntry {
  rec: SortRecord;
  readonly src: MergeSource;
}

/** k-way merge with a binary heap ordered by (key, source order), in batches. */
async function* mergeSources(sources: MergeSource[]): AsyncGenerator<SortRecord[]> {
  const heap: HeapEntry[] = [];
  const at = (i: number): HeapEntry => {
    const e = heap[i];
    if (e === undefined) throw new Error(`ExternalSorter: merge heap has no entry ${i}`);
    return e;
  };
  const less = (i: number, j: number): boolean => {
    const a = at(i);
    const b = at(j);
    const c = compareBytes(a.rec.key, 0, a.rec.key.length, b.rec.key, 0, b.rec.key.length);
    return c < 0 || (c === 0 && a.src.order < b.src.order);
  };
  const swap = (i: number, j: number): void => {
    const t = at(i);
    heap[i] = at(j);
    heap[j] = t;
  };
  const push = (e: HeapEntry): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  const siftDown = (): void => {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const s of sources) {
    await s.advance();
    if (s.current !== undefined) push({ rec: s.current, src: s });
  }
  let batch: SortRecord[] = [];
  while (heap.length > 0) {
    const top = at(0);
    batch.push(top.rec);
    const pending = top.src.advance();
    if (pending !== undefined) await pending;
    const next = top.src.current;
    if (next === undefined) {
      const last = heap.pop();
      if (heap.length > 0 && last !== undefined) {
        heap[0] = last;
        siftDown();
      }
    } else {
      top.rec = next;
      if (heap.length > 1) siftDown();
    }
    if (batch.length >= MERGE_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
