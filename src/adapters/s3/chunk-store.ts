// Where object chunks wait for their manifest (`!s3|blob|` sorts before `!s3|obj|head|`): memory holds only their
// locations, whatever the object sizes. A chunk lies in a scratch chunk store (large append-only scratch files)
// or in the provisional file of its object's body (decode.ts); either is read back by offset.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FileSink } from '../../tree/writer.ts';

/** A file chunks can be read back from. */
interface ChunkSource {
  /** Reads up to `length` bytes at `position` into `into` at 0; returns how many were read. */
  readInto(into: Uint8Array, length: number, position: number): number;
}

export interface ChunkLocation {
  readonly source: ChunkSource;
  readonly offset: number;
  readonly length: number;
}

/** Roll over to a new scratch file past this size, keeping offsets well inside safe integers. */
const FILE_LIMIT = 1024 * 1024 * 1024 * 64;
/** The block copyChunks copies through. */
export const COPY_BLOCK = 1024 * 1024;

/** One scratch file of a chunk store. */
class ScratchFile implements ChunkSource {
  readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  readInto(into: Uint8Array, length: number, position: number): number {
    return readSync(this.fd, into, 0, length, position);
  }
}

export class ChunkStore {
  readonly #dir: string;
  readonly #files: ScratchFile[] = [];
  #size = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  append(data: Uint8Array): ChunkLocation {
    let file = this.#files[this.#files.length - 1];
    if (file === undefined || this.#size + data.length > FILE_LIMIT) {
      file = new ScratchFile(openSync(join(this.#dir, `chunks-${this.#files.length}.bin`), 'w+', 0o600));
      this.#files.push(file);
      this.#size = 0;
    }
    let off = 0;
    while (off < data.length) off += writeSync(file.fd, data, off, data.length - off, this.#size + off);
    const loc = { source: file, offset: this.#size, length: data.length };
    this.#size += data.length;
    return loc;
  }

  close(): void {
    for (const f of this.#files.splice(0)) closeSync(f.fd);
  }
}

/** A stored chunk's bytes. */
export function readChunk(loc: ChunkLocation): Buffer {
  const out = Buffer.allocUnsafe(loc.length);
  let got = 0;
  while (got < loc.length) {
    const n = loc.source.readInto(out.subarray(got), loc.length - got, loc.offset + got);
    if (n === 0) throw new Error('chunk store: short read');
    got += n;
  }
  return out;
}

/** Copies stored chunks into a sink, in order, through `block` (reused by the caller). */
export function copyChunks(locs: Iterable<ChunkLocation>, sink: FileSink, block: Buffer): void {
  for (const loc of locs) {
    let done = 0;
    while (done < loc.length) {
      const n = loc.source.readInto(block, Math.min(block.length, loc.length - done), loc.offset + done);
      if (n === 0) throw new Error('chunk store: short read');
      sink.writeNow(block.subarray(0, n)); // copied or written before it returns
      done += n;
    }
  }
}
