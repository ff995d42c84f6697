// The worker thread of read-ahead.ts: reads batches of small tree files with synchronous system calls off the
// main thread and transfers their bytes back in one buffer per batch.
//
// It takes only the plain case: a regular file with one link, small enough, read to its full size. Anything else
// (an open or read that fails, a file of another type or with more links, a file over the caller's cap or over
// the worker's) is handed back to the main thread, which reads it again through TreeReader and so fails or
// succeeds exactly as a read without the worker would.

import { closeSync, constants as fsc, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { FOUND, MAIN, READ, type ReadAheadRequest, type ReadAheadResponse } from './read-ahead-protocol.ts';

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

function handle(req: ReadAheadRequest): ReadAheadResponse {
  const count = req.ends.length;
  const status = new Uint8Array(count).fill(MAIN);
  const meta = new Float64Array(4 * count);
  if (scratch.length < count * req.fileMax) scratch = new Uint8Array(count * req.fileMax);
  const data = scratch;
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
      if (readInto(fd, data, used, st.size) !== st.size) continue;
      meta[4 * i] = used;
      meta[4 * i + 1] = st.size;
      status[i] = READ;
      used += st.size;
    } catch {
      status[i] = MAIN;
    } finally {
      closeSync(fd);
    }
  }
  return { status, meta, data: data.slice(0, used).buffer };
}

parentPort?.on('message', (req: ReadAheadRequest) => {
  const res = handle(req);
  parentPort?.postMessage(res, [res.data, res.status.buffer as ArrayBuffer, res.meta.buffer as ArrayBuffer]);
});
