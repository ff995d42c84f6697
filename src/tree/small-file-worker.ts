// The body of the worker thread that writes batches of small files for a DiskTreeWriter (small-files.ts): for
// each file open (O_CREAT|O_TRUNC|O_NOFOLLOW, mode 0600), write, close, and its SHA-256 when asked. Creating a file
// is most of the cost of a tree of one small file per key, and here it runs beside the main thread's decoding.

import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { SmallFileBatch, SmallFileReply } from './small-files.ts';
import { writeAllSync } from '../fs/write-all.ts';

const FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW;
const FILE_MODE = 0o600;
/** Set (to 1) by the main thread once the run is interrupted: no file is created after that. */
const stop = (workerData as { stop: Int32Array }).stop;

/** Writes a batch; the reply without the buffers. */
function writeBatch(b: SmallFileBatch): Omit<SmallFileReply, 'buffers'> {
  let hex = '';
  let pathStart = 0;
  let dataStart = 0;
  for (let i = 0; i < b.count; i++) {
    if (Atomics.load(stop, 0) !== 0) return { id: b.id, hex, stopped: true };
    const pathEnd = b.pathEnds[i] as number;
    const dataEnd = b.dataEnds[i] as number;
    const path = Buffer.from(b.paths.buffer, b.paths.byteOffset + pathStart, pathEnd - pathStart);
    const data = b.data.subarray(dataStart, dataEnd);
    try {
      const fd = openSync(path, FLAGS, FILE_MODE);
      try {
        writeAllSync(fd, data);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const failure = { index: i, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall };
      return { id: b.id, hex, failure };
    }
    if (b.digest) hex += createHash('sha256').update(data).digest('hex');
    pathStart = pathEnd;
    dataStart = dataEnd;
  }
  return { id: b.id, hex };
}

parentPort?.on('message', (b: SmallFileBatch) => {
  const buffers = { paths: b.paths, pathEnds: b.pathEnds, data: b.data, dataEnds: b.dataEnds };
  const reply: SmallFileReply = { ...writeBatch(b), buffers };
  // The buffers go back, transferred (the type-only import keeps the main thread's modules out of this thread).
  const transfer = [b.paths.buffer, b.pathEnds.buffer, b.data.buffer, b.dataEnds.buffer];
  parentPort?.postMessage(reply, transfer as ArrayBuffer[]);
});
