// Whole files of a DiskTreeWriter up to 4 MiB written on a worker thread (small-file-worker.ts): gathered into
// batches (paths and contents packed into two buffers that are transferred, not copied, and handed back for the
// next batches), each batch opened, written and closed there while the main thread goes on decoding, and digested
// there too, or on the main thread as it is gathered while the worker is behind. On a tree of one small file per
// key, creating the files is most of the work: DynamoDB items, Redis strings, small S3 objects; for larger values,
// copying them into a batch costs the main thread less than a digest through WebCrypto and the thread pool's round
// trips. A batch also takes files copied from ranges of the snapshot file (large values the reader left there): the
// worker reads, digests and writes those itself, and while it is well behind the main thread copies such a batch.

import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../threads/start-worker.ts';
import { interruptFlag } from './temp-paths.ts';
import { inputChanged, InputRange, type InputFile } from '../snapshot/input-range.ts';
import { INPUT_CHANGED, transferOf, writeBatch, type BatchBuffers, type SmallFileBatch, type SmallFileReply } from './small-file-batch.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

/** The most files in one batch. */
const BATCH_FILES = 2048;
/** Bytes of file contents one batch holds (every small file fits in an empty batch). */
const SMALL_BATCH_BYTES = 4 * 1024 * 1024;
/** The largest file a batch takes: whole files up to this size go to the worker. */
export const BATCHED_FILE_MAX = SMALL_BATCH_BYTES;
/** Bytes of paths one batch holds at first (grown for long paths). */
const BATCH_PATH_BYTES = 256 * 1024;
/** Bytes of files copied from the input file that one batch takes (a larger one goes alone). */
const BATCH_RANGE_BYTES = 4 * 1024 * 1024;

/** A batch handed to the worker: its files' tree paths, in order, and the promise of their digests. */
export interface PostedBatch {
  readonly rels: readonly Buffer[];
  readonly bytes: number;
  readonly done: Promise<string[]>;
}

/** A batch posted and not yet answered. */
interface Waiting {
  readonly batch: OpenBatch;
  resolve(hex: string[]): void;
  reject(err: unknown): void;
}

/** Buffers handed back by the worker and kept for the next batches (the contents buffers apart). */
const SPARE_BATCHES = 2;

/**
 * By default, a batch opened while this many are posted and not yet written is digested on the calling thread as it is
 * gathered: the worker is well behind, and the caller would otherwise soon wait for it (DiskTreeWriter lets eight
 * batches wait). Which thread hashes then evens out the two threads' work (large files: creating and writing them is
 * most of the worker's time, and reading and checking the snapshot most of the caller's). Measured on the 512 MiB
 * large-strings decode: 5 against 2 was 1.08 s against 1.16 s where creating files is cheap, and 1.19 s against
 * 1.27 s where it is slow; hll-ttl (many 1 KiB files) took 5.35 s against 5.27 s (medians of 3-4).
 */
const DIGEST_HERE_AT = 5;

/** The batch being gathered on the main thread. */
class OpenBatch {
  count = 0;
  readonly rels: Buffer[] = [];
  paths: Buffer;
  pathUsed = 0;
  readonly pathEnds: Uint32Array;
  /** File contents: empty until the first file with contents (a batch of ranges only needs none). */
  data: Buffer;
  dataUsed = 0;
  readonly dataEnds: Uint32Array;
  readonly ranges: Float64Array;
  rangeBytes = 0;
  input: InputFile | undefined;
  /** The digests of the files added, as 64 hex digits each, when this thread takes them (else undefined). */
  hex: string | undefined;
  readonly #spareData: Buffer[];

  /** `spare`: buffers to reuse, but for `data`, taken from `spareData` when the first contents are added. */
  constructor(spare: BatchBuffers | undefined, spareData: Buffer[], digestHere: boolean) {
    this.hex = digestHere ? '' : undefined;
    this.paths = spare === undefined ? Buffer.from(new ArrayBuffer(BATCH_PATH_BYTES)) : asBuffer(spare.paths);
    this.pathEnds = spare?.pathEnds ?? new Uint32Array(BATCH_FILES);
    this.data = Buffer.from(new ArrayBuffer(0)); // its own: a batch's buffers are transferred
    this.#spareData = spareData;
    this.dataEnds = spare?.dataEnds ?? new Uint32Array(BATCH_FILES);
    this.ranges = spare?.ranges ?? new Float64Array(2 * BATCH_FILES);
  }

  fits(bytes: number): boolean {
    return this.count < BATCH_FILES && this.dataUsed + bytes <= SMALL_BATCH_BYTES;
  }

  /** Whether a file copied from `range` fits (a batch takes ranges of one input file only). */
  fitsRange(range: InputRange): boolean {
    if (this.count === 0) return true;
    if (this.count >= BATCH_FILES || this.rangeBytes + range.length > BATCH_RANGE_BYTES) return false;
    return this.input === undefined || this.input === range.file;
  }

  /** Adds a file whose contents the writer copies from `range` of the input file. */
  addRange(root: Buffer, rel: Buffer, range: InputRange): void {
    this.input = range.file;
    this.ranges[2 * this.count] = range.position;
    this.ranges[2 * this.count + 1] = range.length;
    this.rangeBytes += range.length;
    this.hex = undefined; // the bytes are not here to digest: the worker digests the batch
    this.#addPath(root, rel);
  }

  add(root: Buffer, rel: Buffer, data: Uint8Array | string, bytes: number): void {
    if (bytes > 0 && this.data.length === 0) {
      this.data = this.#spareData.pop() ?? Buffer.from(new ArrayBuffer(SMALL_BATCH_BYTES));
    }
    if (typeof data === 'string') this.data.write(data, this.dataUsed, 'utf8');
    else this.data.set(data, this.dataUsed);
    if (this.hex !== undefined) {
      this.hex += createHash('sha256').update(this.data.subarray(this.dataUsed, this.dataUsed + bytes)).digest('hex');
    }
    this.dataUsed += bytes;
    this.ranges[2 * this.count + 1] = -1;
    this.#addPath(root, rel);
  }

  /** Records file `count`'s path and data end, and counts it. */
  #addPath(root: Buffer, rel: Buffer): void {
    const pathLen = root.length + 1 + rel.length;
    if (this.pathUsed + pathLen > this.paths.length) {
      const grown = Buffer.from(new ArrayBuffer(Math.max(2 * this.paths.length, this.pathUsed + pathLen)));
      this.paths.copy(grown, 0, 0, this.pathUsed);
      this.paths = grown;
    }
    this.pathUsed += root.copy(this.paths, this.pathUsed);
    this.paths[this.pathUsed++] = 0x2f;
    this.pathUsed += rel.copy(this.paths, this.pathUsed);
    this.pathEnds[this.count] = this.pathUsed;
    this.dataEnds[this.count] = this.dataUsed;
    this.rels.push(rel);
    this.count++;
  }
}

/**
 * Gathers small files into batches and has a worker thread write them. The worker starts with the first batch and
 * holds the process open only while batches are in flight; close() ends it. Paths are absolute (root ‖ / ‖ rel);
 * parent directories must exist before a file is added.
 */
export class SmallFileWriter {
  readonly #root: Buffer;
  readonly #digest: boolean;
  #worker: Worker | undefined;
  /** Set once the worker failed as a whole (not one file): every later batch fails with it. */
  #broken: Error | undefined;
  #open: OpenBatch | undefined;
  #nextId = 0;
  readonly #waiting = new Map<number, Waiting>();
  readonly #spare: BatchBuffers[] = [];
  readonly #spareData: Buffer[] = [];
  readonly #digestHereAt: number;
  /** Batches posted to the worker, and those it has written (counted there, ahead of its replies). */
  #posted = 0;
  readonly #written = new Int32Array(new SharedArrayBuffer(4));

  /**
   * `digest`: whether files are digested at all; a batch opened while `digestHereAt` batches are posted and not
   * yet written is digested on this thread, the others on the worker.
   */
  constructor(root: string, digest: boolean, digestHereAt = DIGEST_HERE_AT) {
    this.#root = Buffer.from(root, 'utf8');
    this.#digest = digest;
    this.#digestHereAt = digestHereAt;
  }

  /**
   * Whether a file fits in the batch being gathered (false: post() it first): `bytes` of `data`, or the file copied
   * from a range of the input file.
   */
  fits(data: Uint8Array | string | InputRange, bytes: number): boolean {
    const open = this.#open;
    return open === undefined || (data instanceof InputRange ? open.fitsRange(data) : open.fits(bytes));
  }

  /** Whether files are waiting to be posted. */
  get gathering(): boolean {
    return this.#open !== undefined;
  }

  /**
   * Adds a file to the batch being gathered: `bytes` bytes of `data` (UTF-8 bytes for text), or a range of the input
   * file, which the worker copies, digesting it on the way.
   */
  add(rel: Buffer, data: Uint8Array | string | InputRange, bytes: number): void {
    this.#open ??= new OpenBatch(this.#spare.pop(), this.#spareData, this.#digest && this.queued >= this.#digestHereAt);
    if (data instanceof InputRange) this.#open.addRange(this.#root, rel, data);
    else this.#open.add(this.#root, rel, data, bytes);
  }

  /** Hands the batch being gathered to the worker. */
  post(): PostedBatch | undefined {
    const batch = this.#open;
    if (batch === undefined) return undefined;
    this.#open = undefined;
    const id = this.#nextId++;
    const done = new Promise<string[]>((resolve, reject) => {
      this.#waiting.set(id, { batch, resolve, reject });
    });
    if (this.#broken !== undefined) this.#fail(this.#broken);
    else {
      const worker = this.#start();
      const msg: SmallFileBatch = {
        id,
        count: batch.count,
        paths: batch.paths,
        pathEnds: batch.pathEnds,
        data: batch.data,
        dataEnds: batch.dataEnds,
        ranges: batch.ranges,
        input: batch.input,
        digest: this.#digest && batch.hex === undefined,
      };
      if (batch.rangeBytes > 0 && this.queued >= this.#digestHereAt) {
        // The worker is well behind: this thread copies the batch itself, which needs nothing from the worker (the
        // files are read from the input). On the 512 MiB large-strings decode the two threads then share the
        // digests about evenly.
        this.#settle({ ...writeBatch(msg, interruptFlag), buffers: batch });
      } else {
        worker.ref();
        worker.postMessage(msg, transferOf(batch));
        this.#posted++;
      }
    }
    return { rels: batch.rels, bytes: batch.dataUsed, done };
  }

  /** Starts the worker ahead of the first batch; it does not hold the process open while it waits for one. */
  start(): void {
    if (this.#broken === undefined) this.#start().unref();
  }

  /** Ends the worker (posted batches must have been waited for); a later post() starts a new one. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  /**
   * Batches posted to the worker that it has not written yet. Counted from what the worker has written, not from
   * the replies this thread has taken in: while this thread copies batches itself, with no turn of the event loop in
   * between, the replies wait, and by them the worker would look behind while it waits for work.
   */
  get queued(): number {
    return this.#posted - Atomics.load(this.#written, 0);
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const workerData = { stop: interruptFlag, written: this.#written };
    const worker = startWorker('./small-file-worker', import.meta.url, { workerData });
    worker.on('message', (reply: SmallFileReply) => {
      this.#settle(reply);
    });
    worker.on('error', (err) => {
      this.#fail(err);
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#fail(new Error(`small-file writer thread exited (code ${code})`));
    });
    this.#worker = worker;
    return worker;
  }

  #settle(reply: SmallFileReply): void {
    if (this.#spare.length < SPARE_BATCHES) this.#spare.push(reply.buffers);
    const data = reply.buffers.data;
    if (data.length > 0 && this.#spareData.length < SPARE_BATCHES) this.#spareData.push(asBuffer(data));
    const w = this.#waiting.get(reply.id);
    if (w === undefined) return;
    this.#waiting.delete(reply.id);
    if (this.#waiting.size === 0) this.#worker?.unref();
    if (reply.failure !== undefined) {
      const f = reply.failure;
      const rel = w.batch.rels[f.index] as Buffer;
      const path = `${this.#root.toString('utf8')}/${rel.toString('utf8')}`;
      const input = w.batch.input;
      if (f.code === INPUT_CHANGED && input !== undefined) w.reject(inputChanged(input.path, f.message));
      else {
        const fields = { code: f.code, errno: f.errno, syscall: f.syscall, path, rel };
        w.reject(Object.assign(new Error(f.message), fields));
      }
    } else if (reply.stopped === true) w.reject(new Error('interrupted'));
    else {
      const all = w.batch.hex ?? reply.hex;
      const hex: string[] = [];
      for (let i = 0; i < all.length; i += 64) hex.push(all.slice(i, i + 64));
      w.resolve(hex);
    }
  }

  #fail(err: Error): void {
    this.#broken ??= err;
    this.#posted = Atomics.load(this.#written, 0); // nothing is queued at a worker that is gone
    this.#worker = undefined;
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
  }
}
