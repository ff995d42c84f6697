// What crosses between the main thread and the small-file writer thread (small-files.ts, small-file-worker.ts): the
// batch, the reply and the buffers that move with them, and writeBatch, which writes a batch on either thread. Kept
// apart so the worker's bundle holds nothing else.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants as fsc, fstatSync, openSync, readSync } from 'node:fs';
import type { InputFile } from '../snapshot/input-range.ts';
import { writeAllSync } from '../fs/write-all.ts';

/** The failure code of a file whose input range the worker found changed (replaced or shortened). */
export const INPUT_CHANGED = 'INPUT_CHANGED';

/** A batch as the worker receives it: file i's path is paths[pathEnds[i-1]..pathEnds[i]], its bytes likewise. */
export interface SmallFileBatch {
  readonly id: number;
  readonly count: number;
  readonly paths: Uint8Array;
  readonly pathEnds: Uint32Array;
  readonly data: Uint8Array;
  readonly dataEnds: Uint32Array;
  /**
   * For file i copied from the input file: its position there at [2i] and its length at [2i+1]; a length of -1 for
   * a file whose bytes are in `data`.
   */
  readonly ranges: Float64Array;
  /** The input file the ranges lie in (none when the batch has no range). */
  readonly input: InputFile | undefined;
  /** Whether the worker takes each file's SHA-256. */
  readonly digest: boolean;
}

/**
 * The worker's answer: the digests of the files written, in order, up to a failure or an interrupt, as one string of
 * 64 hex digits each (one string crosses threads much faster than an array of them).
 */
export interface SmallFileReply {
  readonly id: number;
  /** The batch's buffers, handed back for reuse. */
  readonly buffers: BatchBuffers;
  readonly hex: string;
  readonly stopped?: true;
  readonly failure?: {
    /** The file that failed (those before it were written). */
    readonly index: number;
    readonly message: string;
    readonly code?: string | undefined;
    readonly errno?: number | undefined;
    readonly syscall?: string | undefined;
  };
}

/** A batch's five buffers, new or handed back by the worker once it wrote the batch (reused: no fresh pages). */
export interface BatchBuffers {
  readonly paths: Uint8Array;
  readonly pathEnds: Uint32Array;
  readonly data: Uint8Array;
  readonly dataEnds: Uint32Array;
  readonly ranges: Float64Array;
}

/** The memory a batch's buffers move to the worker with (transferred, not copied). */
export function transferOf(b: BatchBuffers): ArrayBuffer[] {
  return [b.paths.buffer, b.pathEnds.buffer, b.data.buffer, b.dataEnds.buffer, b.ranges.buffer] as ArrayBuffer[];
}

const FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW;
const FILE_MODE = 0o600;
/**
 * Bytes copied from the input file at a time: a large value in one read and one write (512 MiB large-strings decode,
 * eight rounds: median 0.805 s against 0.86 s with 128 KiB pieces, system time 0.38 s against 0.43 s).
 */
const PIECE_BYTES = 1024 * 1024;
let piece: Buffer | undefined;

/** A failure of one file, with the error's fields. */
class FileFailure extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/** Opens the batch's input file, which must still be the file the ranges were taken from. */
function openInput(b: SmallFileBatch): number {
  const input = b.input;
  if (input === undefined) throw new FileFailure('no input file for a range', INPUT_CHANGED);
  const fd = openSync(input.path, fsc.O_RDONLY);
  const st = fstatSync(fd);
  if (st.ino !== input.ino || st.dev !== input.dev) {
    closeSync(fd);
    throw new FileFailure('was replaced while being read', INPUT_CHANGED);
  }
  return fd;
}

/** Copies `length` bytes at `position` of the input into `fd`, digesting them when `hash` is given. */
function copyRange(input: number, position: number, length: number, fd: number, hash: Hash | undefined): void {
  piece ??= Buffer.allocUnsafeSlow(PIECE_BYTES);
  for (let at = 0; at < length; ) {
    const n = readSync(input, piece, 0, Math.min(PIECE_BYTES, length - at), position + at);
    if (n === 0) throw new FileFailure('became shorter while being read', INPUT_CHANGED);
    const got = piece.subarray(0, n);
    hash?.update(got);
    writeAllSync(fd, got);
    at += n;
  }
}

/** Writes a batch (on the worker, or on the main thread while the worker is behind); the reply without the buffers. */
export function writeBatch(b: SmallFileBatch, stop: Int32Array): Omit<SmallFileReply, 'buffers'> {
  let hex = '';
  let pathStart = 0;
  let dataStart = 0;
  let input: number | undefined;
  try {
    for (let i = 0; i < b.count; i++) {
      if (Atomics.load(stop, 0) !== 0) return { id: b.id, hex, stopped: true };
      const pathEnd = b.pathEnds[i] as number;
      const dataEnd = b.dataEnds[i] as number;
      const path = Buffer.from(b.paths.buffer, b.paths.byteOffset + pathStart, pathEnd - pathStart);
      const length = b.ranges[2 * i + 1] as number;
      const data = b.data.subarray(dataStart, dataEnd);
      const hash = b.digest ? createHash('sha256') : undefined;
      try {
        if (length >= 0) input ??= openInput(b);
        const fd = openSync(path, FLAGS, FILE_MODE);
        try {
          if (length < 0) writeAllSync(fd, data);
          else copyRange(input as number, b.ranges[2 * i] as number, length, fd, hash);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const failure = { index: i, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall };
        return { id: b.id, hex, failure };
      }
      if (hash !== undefined) hex += (length < 0 ? hash.update(data) : hash).digest('hex');
      pathStart = pathEnd;
      dataStart = dataEnd;
    }
    return { id: b.id, hex };
  } finally {
    if (input !== undefined) closeSync(input);
  }
}
