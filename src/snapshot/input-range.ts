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
  read(): Promise<Buffer> {
    return withInputFile(this.file, async (readAt) => {
      const out = Buffer.allocUnsafe(this.length);
      await readAt(out, this.position);
      return out;
    });
  }
}

/** Fills `out` with the bytes at `position` of an input file read again; refuses a file that became shorter. */
export type ReadAt = (out: Buffer, position: number) => Promise<void>;

/**
 * Opens the input file again and hands `use` a way to read it; a file that is no longer the one opened first (its
 * path replaced) or became shorter is refused with INPUT_CHANGED.
 */
export async function withInputFile<T>(file: InputFile, use: (readAt: ReadAt) => Promise<T>): Promise<T> {
  const { handle, stat } = await openRegular(file.path, { role: 'input' });
  try {
    if (stat.ino !== file.ino || stat.dev !== file.dev) throw inputChanged(file.path, 'was replaced while being read');
    return await use(async (out, position) => {
      for (let at = 0; at < out.length; ) {
        const { bytesRead } = await handle.read(out, at, out.length - at, position + at);
        if (bytesRead === 0) throw inputChanged(file.path, 'became shorter while being read');
        at += bytesRead;
      }
    });
  } finally {
    await handle.close();
  }
}

/** The error of an input file replaced or shortened while a decode still reads it. */
export function inputChanged(path: string, what: string): UserError {
  return new UserError('INPUT_CHANGED', `file ${what}`, { path });
}
