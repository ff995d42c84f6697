// The body of the worker thread that writes batches of small files for a DiskTreeWriter (small-files.ts): for
// each file open (O_CREAT|O_TRUNC|O_NOFOLLOW, mode 0600), write, close, and its SHA-256 when asked. Creating a file
// is most of the cost of a tree of one small file per key, and here it runs beside the main thread's decoding.
// A file whose contents are a range of the input file (a large value the reader skipped) is copied from it in
// pieces of one reused buffer, which stays in the CPU's cache between the read, the digest and the write.

import { parentPort, workerData } from 'node:worker_threads';
import { transferOf, writeBatch, type SmallFileBatch, type SmallFileReply } from './small-file-batch.ts';

const data = workerData as { stop: Int32Array; written: Int32Array };
/** Set (to 1) by the main thread once the run is interrupted: no file is created after that. */
const stop = data.stop;
/** Batches written, counted up before each reply (read by the main thread without waiting for the reply). */
const written = data.written;

parentPort?.on('message', (b: SmallFileBatch) => {
  const buffers = { paths: b.paths, pathEnds: b.pathEnds, data: b.data, dataEnds: b.dataEnds, ranges: b.ranges };
  const reply: SmallFileReply = { ...writeBatch(b, stop), buffers };
  Atomics.add(written, 0, 1);
  // The buffers go back, transferred.
  parentPort?.postMessage(reply, transferOf(buffers));
});
