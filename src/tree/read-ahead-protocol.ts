// Messages between read-ahead.ts and its worker (read-ahead-worker.ts).

/** One batch of files for the worker to read, in order. */
export interface ReadAheadRequest {
  /** The absolute paths, concatenated. */
  readonly paths: Uint8Array;
  /** Where each path ends in `paths`. */
  readonly ends: Uint32Array;
  /** Files larger than this are found, not read (TreeReader.readOrFind's readMax). */
  readonly readMax: number;
  /** Files larger than this are refused (by the main thread). */
  readonly maxBytes: number;
  /** The largest file the worker reads; larger ones are left to the main thread. */
  readonly fileMax: number;
  /** What the worker turns each file it reads into, when the caller gave a transform. */
  readonly transform?: WorkerTransform;
}

/**
 * A function a read-ahead worker applies to the bytes of each file it reads: the module at `module` (a URL) exports
 * `transform(bytes, arg)`, which returns the bytes to hand back instead, or undefined (or throws) to hand back the
 * file's own bytes. `arg` is copied to the worker (structured clone). The main thread's reading of a file the worker
 * did not transform must give what the transform would have, errors included.
 */
export interface WorkerTransform {
  readonly module: string;
  readonly arg: unknown;
}

/** The function a WorkerTransform module exports. */
export type TransformFunction = (bytes: Uint8Array, arg: unknown) => Uint8Array | undefined;

/** A file's outcome in a response: bytes in `data` (meta: offset, length). */
export const READ = 0;
/** Larger than readMax: the file as found (meta: dev, ino, size, mtimeMs). */
export const FOUND = 1;
/** Left to the main thread, which reads it again (and refuses it when it must). */
export const MAIN = 2;
/** Read and transformed: the transform's bytes in `data` (meta: offset, length). */
export const TRANSFORMED = 3;

/** The worker's answer to a request: one status and four meta numbers per file, and the bytes read. */
export interface ReadAheadResponse {
  readonly status: Uint8Array;
  readonly meta: Float64Array;
  readonly data: ArrayBuffer;
}
