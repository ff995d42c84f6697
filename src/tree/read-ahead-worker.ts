// The worker thread of read-ahead.ts: reads batches of small tree files with synchronous system calls off the
// main thread and transfers their bytes back in one buffer per batch, or what the caller's transform turns them
// into (read-ahead-protocol.ts).
//
// It takes only the plain case: a regular file with one link, small enough, read to its full size. Anything else
// (an open or read that fails, a file of another type or with more links, a file over the caller's cap or over
// the worker's) is handed back to the main thread, which reads it again through TreeReader and so fails or
// succeeds exactly as a read without the worker would. A file the transform refuses is handed back as read.

import { closeSync, constants as fsc, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import {
  FOUND,
  MAIN,
  READ,
  TRANSFORMED,
  type ReadAheadRequest,
  type ReadAheadResponse,
  type TransformFunction,
} from './read-ahead-protocol.ts';

const FLAGS = fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOFOLLOW;

/** Reads one file into `data` at `at`: its size when it was read whole, -1 when it was not. */
function readInto(fd: number, data: Uint8Array, at: number, size: number): number {
  let got = 0;
  while (got < size) {
    const n = readSync(fd, data, at + got, size - got, null);
    if (n === 0) return -1;
    got += n;
  }
  return got;
}

/** Where a batch is read, kept from batch to batch; the bytes read are sent in a copy of their exact size. */
let scratch = new Uint8Array(0);

/** Grows the scratch buffer to hold at least `n` bytes, keeping its first `used`. */
function reserve(n: number, used: number): void {
  if (scratch.length >= n) return;
  const grown = new Uint8Array(Math.max(n, 2 * scratch.length));
  grown.set(scratch.subarray(0, used));
  scratch = grown;
}

/** The transform modules loaded, by URL. */
const transforms = new Map<string, TransformFunction>();

async function loadTransform(url: string): Promise<TransformFunction> {
  let fn = transforms.get(url);
  if (fn === undefined) {
    fn = ((await import(url)) as { transform: TransformFunction }).transform;
    transforms.set(url, fn);
  }
  return fn;
}

/** The transform's bytes for a file, or undefined when it refuses the file (or throws). */
function transformed(fn: TransformFunction, bytes: Uint8Array, arg: unknown): Uint8Array | undefined {
  try {
    return fn(bytes, arg);
  } catch {
    return undefined;
  }
}

async function handle(req: ReadAheadRequest): Promise<ReadAheadResponse> {
  const count = req.ends.length;
  const status = new Uint8Array(count).fill(MAIN);
  const meta = new Float64Array(4 * count);
  let fn: TransformFunction | undefined;
  try {
    fn = req.transform === undefined ? undefined : await loadTransform(req.transform.module);
  } catch {
    fn = undefined; // the files are handed back as read
  }
  let used = 0;
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = req.ends[i] as number;
    const path = Buffer.from(req.paths.buffer, req.paths.byteOffset + start, end - start);
    start = end;
    let fd: number;
    try {
      fd = openSync(path, FLAGS);
    } catch {
      continue;
    }
    try {
      const st: Stats = fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1 || st.size > req.maxBytes) continue;
      if (st.size > req.readMax) {
        meta.set([st.dev, st.ino, st.size, st.mtimeMs], 4 * i);
        status[i] = FOUND;
        continue;
      }
      if (st.size > req.fileMax) continue;
      reserve(used + st.size, used);
      if (readInto(fd, scratch, used, st.size) !== st.size) continue;
      const bytes = scratch.subarray(used, used + st.size);
      const out = fn === undefined ? undefined : transformed(fn, bytes, req.transform?.arg);
      if (out !== undefined) {
        // In place of the bytes read.
        reserve(used + out.length, used);
        scratch.set(out, used);
      }
      const length = out === undefined ? st.size : out.length;
      meta[4 * i] = used;
      meta[4 * i + 1] = length;
      status[i] = out === undefined ? READ : TRANSFORMED;
      used += length;
    } catch {
      status[i] = MAIN;
    } finally {
      closeSync(fd);
    }
  }
  return { status, meta, data: scratch.slice(0, used).buffer };
}

/** Requests are answered in order, one at a time. */
let queue: Promise<void> = Promise.resolve();

parentPort?.on('message', (req: ReadAheadRequest) => {
  queue = queue.then(async () => {
    const res = await handle(req);
    parentPort?.postMessage(res, [res.data, res.status.buffer as ArrayBuffer, res.meta.buffer as ArrayBuffer]);
  });
});
