// A stretch of the snapshot file that the reader skipped instead of reading: a large value that a tree writer
// copies into its file straight from the input (the small-file writer thread reads, digests and writes it in
// pieces that stay in the CPU's cache), so the decoding thread never holds or copies it.

import { UserError } from '../errors.ts';
import { openRegular } from '../fs/safe-open.ts';

/** The snapshot file a range lies in: its path and identity (a file replaced since it was opened is refused). */
export interface InputFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
}

/** `length` bytes at byte `position` of the input file. */
export class InputRange {
  readonly file: InputFile;
  readonly position: number;
  readonly length: number;

  constructor(file: InputFile, position: number, length: number) {
    this.file = file;
    this.position = position;
    this.length = length;
  }

  /** The range without its first `start` bytes. */
  from(start: number): InputRange {
    if (start < 0 || start > this.length) throw new RangeError(`InputRange.from(${start}) of ${this.length} bytes`);
    return new InputRange(this.file, this.position + start, this.length - start);
  }

  /** Reads the range into memory (for the rare paths that need the bytes themselves). */
  async read(): Promise<Buffer> {
    const { handle, stat } = await openRegular(this.file.path, { role: 'input' });
    try {
      if (stat.ino !== this.file.ino || stat.dev !== this.file.dev) throw inputChanged(this.file.path, 'was replaced while being read');
      const out = Buffer.allocUnsafe(this.length);
      for (let at = 0; at < this.length; ) {
        const { bytesRead } = await handle.read(out, at, this.length - at, this.position + at);
        if (bytesRead === 0) throw inputChanged(this.file.path, 'became shorter while being read');
        at += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  }
}

/** The error of an input file replaced or shortened while a decode still reads it. */
export function inputChanged(path: string, what: string): UserError {
  return new UserError('INPUT_CHANGED', `file ${what}`, { path });
}
