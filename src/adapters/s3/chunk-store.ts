// Scratch storage for object chunks that arrive before their manifest (`!s3|blob|` sorts before `!s3|obj|head|`):
// chunks are appended to large scratch files and later copied out by offset, so memory holds only their
// locations, whatever the object sizes.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FileSink } from '../../tree/writer.ts';

export interface ChunkLocation {
  readonly file: number;
  readonly offset: number;
  readonly length: number;
}

/** Roll over to a new scratch file past this size, keeping offsets well inside safe integers. */
const FILE_LIMIT = 1024 * 1024 * 1024 * 64;
const COPY_BLOCK = 1024 * 1024;

export class ChunkStore {
  readonly #dir: string;
  readonly #fds: number[] = [];
  #size = 0;
  #copyBuf: Buffer | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  append(data: Uint8Array): ChunkLocation {
    if (this.#fds.length === 0 || this.#size + data.length > FILE_LIMIT) {
      this.#fds.push(openSync(join(this.#dir, `chunks-${this.#fds.length}.bin`), 'w+', 0o600));
      this.#size = 0;
    }
    const file = this.#fds.length - 1;
    const fd = this.#fds[file] as number;
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off, this.#size + off);
    const loc = { file, offset: this.#size, length: data.length };
    this.#size += data.length;
    return loc;
  }

  read(loc: ChunkLocation): Buffer {
    const out = Buffer.allocUnsafe(loc.length);
    let got = 0;
    while (got < loc.length) {
      const n = readSync(this.#fds[loc.file] as number, out, got, loc.length - got, loc.offset + got);
      if (n === 0) throw new Error('chunk store: short read');
      got += n;
    }
    return out;
  }

  /** Copies a stored chunk into a sink in blocks. */
  copyTo(loc: ChunkLocation, sink: FileSink): void {
    this.#copyBuf ??= Buffer.allocUnsafe(COPY_BLOCK);
    let done = 0;
    while (done < loc.length) {
      const want = Math.min(COPY_BLOCK, loc.length - done);
      const n = readSync(this.#fds[loc.file] as number, this.#copyBuf, 0, want, loc.offset + done);
      if (n === 0) throw new Error('chunk store: short read');
      sink.writeNow(this.#copyBuf.subarray(0, n)); // copied or written before it returns
      done += n;
    }
  }

  close(): void {
    for (const fd of this.#fds.splice(0)) closeSync(fd);
  }
}
