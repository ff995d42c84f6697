// The SHA-256 of a file as it is written, off the main thread once the file is large: the first bytes are hashed
// inline as they are handed to the writes; past 32 MiB a worker thread (file-digest-worker.ts) reads the file
// back from the page cache as writes complete and hashes it from its start. Encode hashes the snapshot it writes
// (the encode_info sidecar and summary give the digest): SHA-256 of a 2 GiB snapshot takes ~1.7 s, which the main
// thread otherwise spends between its reads of the tree. Reading back leaves the written blocks alone: nothing is
// copied for the worker, and the writer may reuse its blocks as soon as they are on the file.

import { createHash, type Hash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../threads/start-worker.ts';

/** Bytes hashed on the calling thread before the worker takes over, by default (a thread costs ~30 ms to start). */
const INLINE_BYTES = 32 * 1024 * 1024;

/** A message to the worker: the file's first `upTo` bytes are written; with `end`, nothing follows them. */
export interface DigestRequest {
  readonly upTo: number;
  readonly end: boolean;
}

/** The worker's answer to the end, or to a failure. */
export interface DigestReply {
  readonly hex?: string;
  readonly failure?: { readonly message: string; readonly code?: string | undefined };
}

/** Hashes the file at `path` as its bytes are handed over (`chunk`) and written (`written`). */
export class WrittenFileDigest {
  readonly #path: string;
  readonly #inlineBytes: number;
  #inline: Hash | undefined = createHash('sha256');
  #handed = 0;
  #worker: Worker | undefined;
  #reply: Promise<DigestReply> | undefined;

  /** `inlineBytes`: how many bytes are hashed on the calling thread before a worker takes over. */
  constructor(path: string, inlineBytes = INLINE_BYTES) {
    this.#path = path;
    this.#inlineBytes = inlineBytes;
  }

  /** The next bytes of the file, in order, before they are written. */
  chunk(c: Uint8Array): void {
    this.#handed += c.length;
    if (this.#inline === undefined) return;
    if (this.#handed <= this.#inlineBytes) this.#inline.update(c);
    else this.#startWorker();
  }

  /** The file's first `upTo` bytes are on it. */
  written(upTo: number): void {
    this.#worker?.postMessage({ upTo, end: false } satisfies DigestRequest);
  }

  /** The file's digest in hex, once every byte handed over is written. */
  async digest(): Promise<string> {
    if (this.#inline !== undefined) return this.#inline.digest('hex');
    const worker = this.#worker as Worker;
    worker.postMessage({ upTo: this.#handed, end: true } satisfies DigestRequest);
    const reply = await (this.#reply as Promise<DigestReply>);
    if (reply.failure !== undefined) {
      throw Object.assign(new Error(reply.failure.message), { code: reply.failure.code, path: this.#path });
    }
    return reply.hex as string;
  }

  /** Ends the worker, if one was started. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #startWorker(): void {
    this.#inline = undefined;
    const worker = startWorker('./file-digest-worker', import.meta.url, { workerData: { path: this.#path } });
    this.#reply = new Promise<DigestReply>((resolve) => {
      worker.on('message', (reply: DigestReply) => {
        // The first reply is the answer: the digest, or the failure that stopped the worker's hashing.
        resolve(reply);
      });
      worker.on('error', (err) => {
        resolve({ failure: { message: err.message } });
      });
      worker.on('exit', (code) => {
        resolve({ failure: { message: `file digest thread exited (code ${code})` } });
      });
    });
    this.#worker = worker;
  }
}
