// Writing a file from start to end on the thread pool, behind the caller, one write at a time, with syncs to the
// disk started behind the writes (encode writes the snapshot with it).
//
// The syncs behind: the snapshot is synced before it is published, and that final sync waited for everything still
// in the page cache. A 512 MiB large-strings encode spent its last ~250 ms in it, with both threads idle; syncing
// every 64 MiB as the writing goes on leaves the final one little to do. Alternating on this project's VM (512 MiB
// large-strings encode, three rounds): 1.64-2.02 s without, 1.37-1.78 s every 64 MiB, 1.54-1.77 s every 32 MiB,
// 1.50-1.57 s every 128 MiB.

import type { FileHandle } from 'node:fs/promises';
import { writeAll } from './write-all.ts';

/** What WritesBehind needs of a file handle. */
export type WritableHandle = Pick<FileHandle, 'write' | 'datasync'>;

/**
 * Bytes written between two syncs to the disk started behind the writes (`fdatasync` on the thread pool, while the
 * writing goes on), so that the final sync of the snapshot has little left to wait for.
 */
const SYNC_BEHIND_BYTES = 64 * 1024 * 1024;

/**
 * Writes blocks in the thread pool, one after another, while the next ones are prepared (at most 4 queued). One
 * write at a time: concurrent writes to one file contend for its inode lock in the kernel, which on ext4 cost the
 * 2 GiB object's encode 11-21 s of system time (against 2 s) and two to three times the wall time. Every
 * `syncEvery` bytes written (SYNC_BEHIND_BYTES), the bytes written so far are synced to the disk behind the writes.
 */
export class WritesBehind {
  readonly #fh: WritableHandle;
  readonly #onWritten: (upTo: number) => void;
  readonly #syncEvery: number;
  #position = 0;
  /** The last queued write; each starts when the one before it has ended. */
  #tail: Promise<void> = Promise.resolve();
  #queued: Array<Promise<void>> = [];
  #failure: { readonly err: unknown } | undefined;
  /** Bytes from the file's start a sync behind the writes was started for, and that sync while it runs. */
  #syncedTo = 0;
  #syncing: Promise<void> | undefined;

  /**
   * `onWritten` is told, after each write, how many bytes from the start of the file are on it; `syncEvery` is the
   * bytes written between two syncs behind the writes.
   */
  constructor(fh: WritableHandle, onWritten: (upTo: number) => void, syncEvery = SYNC_BEHIND_BYTES) {
    this.#fh = fh;
    this.#onWritten = onWritten;
    this.#syncEvery = syncEvery;
  }

  /** Queues `chunk` (which must not change afterwards) after everything before it. */
  async write(chunk: Uint8Array): Promise<void> {
    const at = this.#position;
    this.#position += chunk.length;
    const fh = this.#fh;
    const done = this.#tail
      .then(async () => {
        if (this.#failure !== undefined) return;
        await writeAll(fh, chunk, at);
        this.#onWritten(at + chunk.length);
        this.#syncBehind(at + chunk.length);
      })
      .catch((err: unknown) => {
        this.#failure ??= { err };
      });
    this.#tail = done;
    this.#queued.push(done);
    if (this.#queued.length >= 4) await this.#queued.shift();
    if (this.#failure !== undefined) throw this.#failure.err;
  }

  /** Waits for every write (and sync behind them); throws the first failure. */
  async settle(): Promise<void> {
    await Promise.all(this.#queued.splice(0));
    await this.#syncing;
    if (this.#failure !== undefined) throw this.#failure.err;
  }

  /** Starts a sync of the first `upTo` bytes, written, unless one runs or too few were written since the last. */
  #syncBehind(upTo: number): void {
    if (this.#syncing !== undefined || upTo - this.#syncedTo < this.#syncEvery) return;
    this.#syncedTo = upTo;
    this.#syncing = this.#fh
      .datasync()
      .catch((err: unknown) => {
        this.#failure ??= { err };
      })
      .finally(() => {
        this.#syncing = undefined;
      });
  }
}
