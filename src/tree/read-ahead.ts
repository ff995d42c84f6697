// Reading listed tree files ahead of their use, off the main thread.
//
// An encode of a tree of many small files spends most of its time in the system calls of each read (open, fstat,
// read, close). Here a worker thread (read-ahead-worker.ts) reads the next batches of files while the main thread
// turns the one before into rows, so the kernel work overlaps the JavaScript. Results come in the source's
// order and are exactly what TreeReader.readOrFind would give, errors included: what the worker does not read
// plainly, the main thread reads again itself. Memory stays bounded: one batch being used and DEPTH asked for,
// each of at most BATCH_FILES files of at most FILE_MAX bytes read by the worker (4 MiB). Small directories
// never start the worker.
//
// A caller may also hand the worker a transform (read-ahead-protocol.ts: WorkerTransform) that turns each file it
// reads into what the caller makes of it (DynamoDB items into their rows), so that work leaves the main thread too;
// the files the worker does not transform come back as read, and the caller makes the same of them itself.

import type { Worker } from 'node:worker_threads';
import { startWorker } from '../threads/start-worker.ts';
import { absPath, type RelPath } from './paths.ts';
import {
  MAIN,
  READ,
  TRANSFORMED,
  type ReadAheadRequest,
  type ReadAheadResponse,
  type WorkerTransform,
} from './read-ahead-protocol.ts';
import { DEFAULT_MAX_FILE, type TreeFile, type TreeReader } from './reader.ts';

/** Files read on the main thread before the worker starts: a thread is not worth it for fewer. */
const SYNC_FIRST = 256;
/** Files in one batch. */
const BATCH_FILES = 256;
/** Batches asked for ahead of the one used, per worker: a worker running late rarely holds up the main thread. */
const DEPTH = 3;
/**
 * Workers reading at once, at most. Each reads its batches one file after the other, so a tree whose files are not
 * in the page cache is read at the disk's latency by one; several keep several reads in flight. A tree of 48 MiB of
 * 64-byte files (390k files) read after dropping the caches: 57 s with one worker, the reference's 45 s.
 */
const WORKERS = 4;
/** Batches sent before the second worker starts, and between starts: a small tree never starts more than one. */
const BATCHES_PER_START = 8;
/** The largest file the worker reads; the main thread reads larger ones when they are used. */
const FILE_MAX = 16 * 1024;

/** An item of the source with what was read for it (`body` undefined when `relOf` named no file). */
export interface ReadAhead<T, B> {
  readonly item: T;
  readonly body: B;
}

/** An item of readListedTransformed: the file's bytes, or (`transformed` true) what the worker's transform made. */
export interface TransformedAhead<T, B> extends ReadAhead<T, B> {
  readonly transformed: boolean;
}

/** What is read for an item whose file `relOf` names as R: B, or B | undefined when R may be undefined. */
type BodyOf<R, B> = undefined extends R ? B | undefined : B;

interface Pending<T> {
  readonly item: T;
  readonly rel: RelPath | undefined;
}

/**
 * The source's items in order, each with the file `relOf` names read as by `tree.readOrFind(rel, readMax,
 * maxBytes, { listed: true })`: every such file must have been listed as a file by `tree`. The source is pulled
 * ahead of the consumer (by up to DEPTH batches); an error it throws comes after the items before it.
 */
export function readListedOrFind<T, R extends RelPath | undefined>(
  tree: TreeReader,
  source: AsyncIterable<T>,
  relOf: (item: T) => R,
  readMax: number,
  maxBytes = DEFAULT_MAX_FILE,
): AsyncGenerator<ReadAhead<T, BodyOf<R, Buffer | TreeFile>>> {
  type Out = ReadAhead<T, BodyOf<R, Buffer | TreeFile>>;
  return readAhead(tree, source, relOf, readMax, maxBytes) as AsyncGenerator<Out>;
}

/**
 * readListedOrFind for whole files (TreeReader.readFile): each named file's bytes, a file over `maxBytes`
 * refused.
 */
export function readListed<T, R extends RelPath | undefined>(
  tree: TreeReader,
  source: AsyncIterable<T>,
  relOf: (item: T) => R,
  maxBytes = DEFAULT_MAX_FILE,
): AsyncGenerator<ReadAhead<T, BodyOf<R, Buffer>>> {
  // With readMax at maxBytes no file is only found: a larger one is refused.
  return readAhead(tree, source, relOf, maxBytes, maxBytes) as AsyncGenerator<ReadAhead<T, BodyOf<R, Buffer>>>;
}

/**
 * readListed with a transform applied on the worker thread: `body` is what the transform made of the file when
 * `transformed` is true, the file's bytes otherwise (the files read on the main thread, those the transform
 * refused), which the caller then turns into the same itself.
 */
export function readListedTransformed<T, R extends RelPath | undefined>(
  tree: TreeReader,
  source: AsyncIterable<T>,
  relOf: (item: T) => R,
  transform: WorkerTransform,
  maxBytes = DEFAULT_MAX_FILE,
): AsyncGenerator<TransformedAhead<T, BodyOf<R, Buffer>>> {
  type Out = TransformedAhead<T, BodyOf<R, Buffer>>;
  return readAhead(tree, source, relOf, maxBytes, maxBytes, transform) as AsyncGenerator<Out>;
}

async function* readAhead<T>(
  tree: TreeReader,
  source: AsyncIterable<T>,
  relOf: (item: T) => RelPath | undefined,
  readMax: number,
  maxBytes: number,
  transform?: WorkerTransform,
): AsyncGenerator<TransformedAhead<T, Buffer | TreeFile | undefined>> {
  const it = source[Symbol.asyncIterator]();
  const pending: Array<Pending<T>> = [];
  let sourceDone = false;
  let sourceError: { readonly err: unknown } | undefined;
  const pull = async (n: number): Promise<void> => {
    while (!sourceDone && pending.length < n) {
      try {
        const r = await it.next();
        if (r.done === true) sourceDone = true;
        else pending.push({ item: r.value, rel: relOf(r.value) });
      } catch (err) {
        sourceError = { err };
        sourceDone = true;
      }
    }
  };
  const readHere = (rel: RelPath): Promise<Buffer | TreeFile> =>
    tree.readOrFind(rel, readMax, maxBytes, { listed: true });
  const workers: ReadWorker[] = [];
  try {
    for (let n = 0; n < SYNC_FIRST; n++) {
      await pull(1);
      const p = pending.shift();
      if (p === undefined) break;
      yield { item: p.item, body: p.rel === undefined ? undefined : await readHere(p.rel), transformed: false };
    }
    await pull(1);
    if (pending.length > 0) {
      workers.push(new ReadWorker());
      const batches: Array<Batch<T>> = [];
      let sent = 0;
      const fill = async (): Promise<void> => {
        while (batches.length < DEPTH * workers.length) {
          await pull(BATCH_FILES);
          const items = pending.splice(0, BATCH_FILES);
          if (items.length === 0) return;
          if (workers.length < WORKERS && sent >= BATCHES_PER_START * workers.length) workers.push(new ReadWorker());
          const w = workers[sent++ % workers.length] as ReadWorker;
          batches.push(w.send(tree.root, items, readMax, maxBytes, transform));
        }
      };
      await fill();
      for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
        const res = await batch.response;
        await fill();
        const { items, slots } = batch;
        for (let i = 0; i < items.length; i++) {
          const { item, rel } = items[i] as Pending<T>;
          const s = slots[i] as number;
          const status = s < 0 ? MAIN : res.status[s];
          if (rel === undefined) yield { item, body: undefined, transformed: false };
          else if (status === MAIN) yield { item, body: await readHere(rel), transformed: false };
          else {
            const [a, b, c, d] = res.meta.subarray(4 * s, 4 * s + 4) as unknown as [number, number, number, number];
            if (status === READ || status === TRANSFORMED) {
              yield { item, body: Buffer.from(res.data, a, b), transformed: status === TRANSFORMED };
            } else yield { item, body: { rel, dev: a, ino: b, size: c, mtimeMs: d }, transformed: false };
          }
        }
      }
    }
    if (sourceError !== undefined) throw sourceError.err;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await it.return?.();
  }
}

/** A batch sent: its items, each item's index in the request (-1: not sent), and the worker's answer. */
interface Batch<T> {
  readonly items: ReadonlyArray<Pending<T>>;
  readonly slots: readonly number[];
  readonly response: Promise<ReadAheadResponse>;
}

interface Waiting {
  resolve(res: ReadAheadResponse): void;
  reject(err: unknown): void;
}

/** The worker thread, answering requests in order; its failure (an error in it, its exit) fails those waiting. */
class ReadWorker {
  readonly #worker: Worker;
  readonly #waiting: Waiting[] = [];

  constructor() {
    this.#worker = startWorker('./read-ahead-worker', import.meta.url);
    const fail = (err: unknown): void => {
      for (const w of this.#waiting.splice(0)) w.reject(err);
    };
    this.#worker.on('message', (res: ReadAheadResponse) => this.#waiting.shift()?.resolve(res));
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => { fail(new Error(`the read-ahead worker exited (code ${code})`)); });
  }

  send<T>(
    root: string,
    items: ReadonlyArray<Pending<T>>,
    readMax: number,
    maxBytes: number,
    transform: WorkerTransform | undefined,
  ): Batch<T> {
    const paths: Buffer[] = [];
    const slots = items.map(({ rel }) => {
      if (rel === undefined) return -1;
      try {
        paths.push(absPath(root, rel));
      } catch {
        return -1; // an unsafe path: the main thread's read refuses it
      }
      return paths.length - 1;
    });
    const ends = new Uint32Array(paths.length);
    const joined = new Uint8Array(paths.reduce((n, p) => n + p.length, 0));
    let at = 0;
    paths.forEach((p, i) => {
      joined.set(p, at);
      at += p.length;
      ends[i] = at;
    });
    const response = new Promise<ReadAheadResponse>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
    });
    // A batch the consumer stops before awaiting must not fail the process as an unhandled rejection.
    response.catch(() => undefined);
    const req: ReadAheadRequest = {
      paths: joined,
      ends,
      readMax,
      maxBytes,
      fileMax: FILE_MAX,
      ...(transform === undefined ? {} : { transform }),
    };
    this.#worker.postMessage(req, [joined.buffer, ends.buffer]);
    return { items, slots, response };
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}
