// Writes files into a dump tree under construction, never outside its root.
//
// Decode builds the tree in a fresh private temporary directory that is renamed into place at the end
// (pipeline/decode.ts), so nothing else can plant symlinks in it; the writer still opens every file with
// O_NOFOLLOW as a second line of defence. Adapter files are created with mode 0600 like the reference
// (its CreateTemp + rename and sidecar opener both yield 0600); directories with 0755.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants as fsc, openSync, promises as fsp, writeSync } from 'node:fs';
import { UserError } from '../errors.ts';
import type { DigestLedger } from './digest-ledger.ts';
import { absPath, checkRel, parentRel, showRel, type RelPath } from './paths.ts';
import { NAME_MAX_BYTES } from './segment.ts';

/** A file being written, sequentially. */
export interface FileSink {
  /** Bytes written so far (buffered included). */
  readonly bytes: number;
  write(data: Uint8Array | string): Promise<void>;
  /** Synchronous write, for callers in a tight loop. */
  writeNow(data: Uint8Array | string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Where decoders put the files of a dump tree: a directory on disk, or the encoder's self-test comparison. */
export interface TreeWriter {
  /** Creates a directory (and its parents) inside the tree. */
  mkdir(rel: RelPath): Promise<void>;
  /** Creates or replaces a file and returns a sink for it. */
  create(rel: RelPath): Promise<FileSink>;
  /** Writes a whole (small) file. */
  writeFile(rel: RelPath, data: Uint8Array | string): Promise<void>;
}

/** What every sink shares: text is written as UTF-8, bytes are counted, and write() is writeNow(). */
export abstract class SequentialSink implements FileSink {
  #bytes = 0;

  /** Bytes written so far (buffered included). */
  get bytes(): number {
    return this.#bytes;
  }

  async write(data: Uint8Array | string): Promise<void> {
    this.writeNow(data);
  }

  /** Synchronous write, for callers in a tight loop. */
  writeNow(data: Uint8Array | string): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.#bytes += b.length;
    this.accept(b);
  }

  /** Takes the next bytes of the file (already counted in `bytes`). */
  protected abstract accept(b: Uint8Array): void;
  abstract flush(): Promise<void>;
  abstract close(): Promise<void>;
}

/** What every tree writer shares: writeFile() through create(). */
export abstract class TreeWriterBase implements TreeWriter {
  abstract mkdir(rel: RelPath): Promise<void>;
  abstract create(rel: RelPath): Promise<FileSink>;

  /** Writes a whole (small) file. */
  async writeFile(rel: RelPath, data: Uint8Array | string): Promise<void> {
    const sink = await this.create(rel);
    try {
      await sink.write(data);
    } finally {
      await sink.close();
    }
  }
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o755;
const SINK_BUFFER = 256 * 1024;
const FIRST_BUFFER = 4 * 1024;

/**
 * A file being written sequentially; writes are buffered and flushed in large blocks. File system calls are
 * synchronous: a dump tree has one file per key, and for small files a synchronous open/write/close costs a
 * fraction of the thread-pool round trips (measured: 16k small files in 0.8 s against 4 s). The buffer
 * starts small and grows, so a million small files do not each allocate a large block.
 */
class DiskFileSink extends SequentialSink {
  readonly #fd: number;
  #buf: Buffer | undefined;
  #used = 0;
  #closed = false;
  readonly #digest: { readonly rel: Buffer; readonly ledger: DigestLedger; readonly hash: Hash } | undefined;

  /** With a ledger, the SHA-256 of everything written is recorded there under rel when the sink closes. */
  constructor(fd: number, digestTo?: { readonly rel: Buffer; readonly ledger: DigestLedger }) {
    super();
    this.#fd = fd;
    this.#digest = digestTo === undefined ? undefined : { ...digestTo, hash: createHash('sha256') };
  }

  protected accept(b: Uint8Array): void {
    this.#digest?.hash.update(b);
    if (b.length >= SINK_BUFFER) {
      this.#flush();
      this.#writeAll(b);
      return;
    }
    if (this.#used + b.length > SINK_BUFFER) this.#flush();
    const need = this.#used + b.length;
    if (this.#buf === undefined || this.#buf.length < need) {
      let size = Math.max(FIRST_BUFFER, this.#buf?.length ?? 0);
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, SINK_BUFFER));
      if (this.#buf !== undefined) this.#buf.copy(grown, 0, 0, this.#used);
      this.#buf = grown;
    }
    this.#buf.set(b, this.#used);
    this.#used += b.length;
  }

  async flush(): Promise<void> {
    this.#flush();
  }

  #flush(): void {
    if (this.#used === 0 || this.#buf === undefined) return;
    const chunk = this.#buf.subarray(0, this.#used);
    this.#used = 0;
    this.#writeAll(chunk);
  }

  #writeAll(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.#fd, b, off, b.length - off);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#flush();
    } finally {
      closeSync(this.#fd);
    }
    if (this.#digest !== undefined) await this.#digest.ledger.record(this.#digest.rel, this.#digest.hash.digest('hex'));
  }
}

/**
 * Adapters keep every name within NAME_MAX_BYTES and every tree path within TREE_PATH_MAX_BYTES (segment.ts),
 * so a name the file system still refuses comes from a deep output directory: a coded error, not ENAMETOOLONG.
 */
function nameTooLong(err: unknown, root: string, rel: Buffer): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') return err;
  const longest = Math.max(...rel.toString('latin1').split('/').map((c) => c.length));
  const why =
    longest > NAME_MAX_BYTES
      ? `a ${longest}-byte name exceeds the file system's ${NAME_MAX_BYTES}-byte limit`
      : `the file system refuses the ${Buffer.byteLength(root) + 1 + rel.length}-byte path: write the tree to a directory with a shorter path`;
  return new UserError('TREE_NAME_TOO_LONG', why, { path: showRel(rel) }, { cause: err });
}

export class DiskTreeWriter extends TreeWriterBase {
  readonly root: string;
  readonly #madeDirs = new Set<string>();
  readonly #ledger: DigestLedger | undefined;

  /** With a ledger, every file written is digested on the way (see DigestLedger). */
  constructor(root: string, ledger?: DigestLedger) {
    super();
    this.root = root;
    this.#ledger = ledger;
  }

  /** Creates a directory (and its parents) inside the tree. */
  async mkdir(rel: RelPath): Promise<void> {
    const b = checkRel(rel);
    const key = b.toString('latin1');
    if (this.#madeDirs.has(key)) return;
    try {
      await fsp.mkdir(absPath(this.root, b), { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw nameTooLong(err, this.root, b);
    }
    if (this.#madeDirs.size >= 65536) this.#madeDirs.clear(); // a cache of directories known to exist, kept small
    this.#madeDirs.add(key);
  }

  async #mkParent(b: Buffer): Promise<void> {
    const parent = parentRel(b);
    if (parent !== undefined) await this.mkdir(parent);
  }

  /** Creates or replaces a file and returns a sink for it. */
  async create(rel: RelPath): Promise<FileSink> {
    const b = checkRel(rel);
    await this.#mkParent(b);
    let fd: number;
    try {
      fd = openSync(absPath(this.root, b), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, FILE_MODE);
    } catch (err) {
      throw nameTooLong(err, this.root, b);
    }
    return new DiskFileSink(fd, this.#ledger === undefined ? undefined : { rel: b, ledger: this.#ledger });
  }
}
