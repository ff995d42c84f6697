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
}

/** A file's outcome in a response: bytes in `data` (meta: offset, length). */
export const READ = 0;
/** Larger than readMax: the file as found (meta: dev, ino, size, mtimeMs). */
export const FOUND = 1;
/** Left to the main thread, which reads it again (and refuses it when it must). */
export const MAIN = 2;

/** The worker's answer to a request: one status and four meta numbers per file, and the bytes read. */
export interface ReadAheadResponse {
  readonly status: Uint8Array;
  readonly meta: Float64Array;
  readonly data: ArrayBuffer;
}
