// Writing a buffer whole to a file, in system calls of at most 256 KiB.
//
// A buffered write(2) fills the page cache with folios as large as the call allows. On the kernel of this project's
// machines (Linux 6.18, ext4 with large folios, in a VM whose balloon hands free memory back to the host), folios of
// 512 KiB and more come from memory the host backs again on first touch: writing 2 GiB took 5-17 s of system time
// in 1 MiB calls and 0.6-0.8 s in 256 KiB calls (the reference's writes are 256 KiB). Smaller calls cost nothing
// measurable elsewhere (4,096 calls per GiB). These loops also finish short writes, which a single call may leave.

import { write, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** The most bytes one write system call is given. */
export const MAX_WRITE_CALL = 256 * 1024;

/** Writes `b` whole to `fd`: at `position`, or at the file's offset when null. */
export function writeAllSync(fd: number, b: Uint8Array, position: number | null = null): void {
  for (let off = 0; off < b.length; ) {
    off += writeSync(fd, b, off, Math.min(b.length - off, MAX_WRITE_CALL), position === null ? null : position + off);
  }
}

/** Writes `b` whole to `fh` on the thread pool: at `position`, or at the file's offset when null. */
export async function writeAll(fh: Pick<FileHandle, 'write'>, b: Uint8Array, position: number | null = null): Promise<void> {
  for (let off = 0; off < b.length; ) {
    const n = Math.min(b.length - off, MAX_WRITE_CALL);
    off += (await fh.write(b, off, n, position === null ? null : position + off)).bytesWritten;
  }
}

/** Writes `b` whole to `fd` at `position` on the thread pool (for descriptors that have no FileHandle). */
export function writeAllAt(fd: number, b: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number): void => {
      if (off === b.length) {
        resolve();
        return;
      }
      write(fd, b, off, Math.min(b.length - off, MAX_WRITE_CALL), position + off, (err, n) => {
        if (err !== null) reject(err);
        else step(off + n);
      });
    };
    step(0);
  });
}
