// The body of the worker thread of WrittenFileDigest (file-digest.ts): it reads back, from the page cache, the
// bytes of a file being written as the main thread reports them written, and hashes them with SHA-256, so the
// main thread does not.

import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { DigestReply, DigestRequest } from './file-digest.ts';

const BLOCK = 256 * 1024;
const path = (workerData as { path: string }).path;
const buf = Buffer.allocUnsafe(BLOCK);
const hash = createHash('sha256');
let fd: number | undefined;
let hashed = 0;

/** Hashes the file's bytes up to `upTo`. */
function hashUpTo(upTo: number): void {
  fd ??= openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  while (hashed < upTo) {
    const n = readSync(fd, buf, 0, Math.min(BLOCK, upTo - hashed), hashed);
    if (n === 0) throw new Error(`${path}: ended at ${hashed} bytes, before the ${upTo} written`);
    hash.update(buf.subarray(0, n));
    hashed += n;
  }
}

parentPort?.on('message', (m: DigestRequest) => {
  let reply: DigestReply | undefined;
  try {
    hashUpTo(m.upTo);
    if (m.end) {
      reply = { hex: hash.digest('hex') };
      if (fd !== undefined) closeSync(fd);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    reply = { failure: { message: e.message, code: e.code } };
  }
  if (reply !== undefined) parentPort?.postMessage(reply);
});
