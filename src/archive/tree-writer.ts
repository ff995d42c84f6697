// A TreeWriter that writes the dump tree as a tar stream (optionally zstd-compressed) instead of a directory:
// decode straight to an archive, with no tree on disk.
//
// A tar entry is a header that states the file's size, then the file's bytes in one piece. Decoders write
// several files at once (a collection file in blocks while another is open, KEYMAP.jsonl record by record
// through a whole adapter), and the size of a file is known only when it is closed. So each file is held until
// it is closed and then emitted whole: in memory while it is small (up to FILE_IN_MEMORY bytes, and while all
// open files together hold at most HELD_IN_MEMORY), else spooled to a private file under `spoolDir` that is
// streamed into the archive and removed when the file closes. What is on disk at any moment is the files open
// at that moment past the memory bounds, never the tree.
//
// Entries appear in the order files are closed, not in the bytewise path order `archive pack` uses; the
// archive unpacks to the same tree (every file's bytes, path and mode). A directory gets an entry the first time
// a file or mkdir needs it (remembered in a bounded set: a directory forgotten and needed again gets a second
// entry, which unpackers accept, since directory entries make directories as `mkdir -p` does). SHA-256 digests
// go to a DigestLedger as files close, so CHECKSUMS is rendered from them last; writing a path twice would put
// two entries under one name in the archive, which unpackers refuse, so the CHECKSUMS pass refuses it first.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants as fsc, mkdirSync, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { zstdCompressor } from '../bytes/zstd.ts';
import { DataError } from '../errors.ts';
import { isValidUtf8 } from '../json/go-json.ts';
import { checksumBlocks, type FileDigest } from '../tree/checksums.ts';
import type { DigestLedger } from '../tree/digest-ledger.ts';
import { checkRel, parentRel, showRel, type RelPath } from '../tree/paths.ts';
import { SequentialSink, TreeWriterBase, type FileSink } from '../tree/writer.ts';
import type { Compression, PackResult } from './pack.ts';
import { encodeTarHeader, END_OF_ARCHIVE, tarPadding } from './tar-header.ts';
import { writeAllSync } from '../fs/write-all.ts';

/** A file grows in memory up to this many bytes, then goes to a spool file. */
const FILE_IN_MEMORY = 1024 * 1024;
/** All open files together hold at most this many bytes in memory; past it, the file written to spills. */
const HELD_IN_MEMORY = 16 * 1024 * 1024;
const FIRST_BUFFER = 4 * 1024;
const SPOOL_BLOCK = 256 * 1024;
const READ_BLOCK = 1024 * 1024;
/** Directories remembered as already emitted. */
const DIR_CACHE = 65536;
/** Modes as decode to a directory gives them: adapter files 0600, CHECKSUMS 0644, directories 0755. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o755;
const CHECKSUMS_MODE = 0o644;
const CHECKSUMS_FILE = 'CHECKSUMS';

/** Where the archive goes and where files too large to hold in memory wait until they are closed. */
export interface ArchiveTreeWriterOptions {
  readonly compression: Compression;
  /** Directory for spool files (created when first needed; the caller removes it). */
  readonly spoolDir: string;
  /** Receives the SHA-256 of every file as it closes (CHECKSUMS is rendered from it by finish()). */
  readonly ledger: DigestLedger;
}

type Write = (b: Uint8Array) => Promise<void>;

/** The archive output closed before the archive was complete (its error comes from the output's pipeline). */
class OutputClosed extends Error {}

export class ArchiveTreeWriter extends TreeWriterBase {
  readonly #tar = new PassThrough({ highWaterMark: READ_BLOCK });
  readonly #done: Promise<void>;
  #outputError: Error | undefined;
  readonly #opts: ArchiveTreeWriterOptions;
  readonly #dirs = new Set<string>();
  readonly #open = new Set<ArchiveFileSink>();
  /** Emission is one entry at a time: each close waits for the ones before it. */
  #queue: Promise<void> = Promise.resolve();
  #spoolMade = false;
  #spools = 0;
  /** Bytes open files hold in memory. */
  held = 0;
  readonly stats = { files: 0, dirs: 0, contentBytes: 0 };

  /** Starts the archive stream into `out` (ended by finish(), destroyed by abort()). */
  constructor(out: Writable, opts: ArchiveTreeWriterOptions) {
    super();
    this.#opts = opts;
    this.#done = (opts.compression === 'zstd' ? pipeline(this.#tar, zstdCompressor(), out) : pipeline(this.#tar, out)).catch(
      (err: unknown) => {
        this.#outputError ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  /** Creates a directory (and its parents) inside the tree: an entry for each not emitted yet. */
  async mkdir(rel: RelPath): Promise<void> {
    const b = tarPath(rel);
    await this.#serially(() => this.#emitDirs(b));
  }

  /** Creates a file; its entry is emitted when the sink is closed. */
  async create(rel: RelPath, mode = FILE_MODE): Promise<FileSink> {
    const b = tarPath(rel);
    const sink = new ArchiveFileSink(this, b, mode);
    this.#open.add(sink);
    return sink;
  }

  /**
   * Renders CHECKSUMS from the ledger (every file closed so far, MANIFEST.json included), ends the archive and
   * waits until the output has taken all of it. Call once, after every other file is closed.
   */
  async finish(): Promise<PackResult> {
    const sink = await this.create(CHECKSUMS_FILE, CHECKSUMS_MODE);
    for await (const block of checksumBlocks(unique(this.#opts.ledger.everyDigest()))) await sink.write(block);
    await sink.close();
    await this.#serially(() => this.#write(END_OF_ARCHIVE));
    this.#tar.end();
    await this.#done;
    if (this.#outputError !== undefined) throw this.#outputError;
    return { ...this.stats };
  }

  /**
   * Stops the archive after a failure: the output's pipeline is destroyed (the caller discards what it received)
   * and spool files of files still open are closed. Returns the error to report: the output's own when the
   * failure was the output closing under the writer, else `err`.
   */
  async abort(err: unknown): Promise<unknown> {
    for (const s of this.#open) s.discard();
    this.#open.clear();
    this.#tar.destroy(err instanceof Error ? err : new Error(String(err)));
    await this.#done;
    return err instanceof OutputClosed && this.#outputError !== undefined ? this.#outputError : err;
  }

  /** A new spool file's path and descriptor (read-write, private, created exclusively). */
  openSpool(): { readonly path: string; readonly fd: number } {
    if (!this.#spoolMade) {
      mkdirSync(this.#opts.spoolDir, { recursive: true, mode: 0o700 });
      this.#spoolMade = true;
    }
    const path = join(this.#opts.spoolDir, `file-${this.#spools++}`);
    return { path, fd: openSync(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600) };
  }

  /** Emits a closed file's entry (after the entries queued before it) and records its digest. */
  async emit(sink: ArchiveFileSink, body: (write: Write) => Promise<void>, hex: string): Promise<void> {
    this.#open.delete(sink);
    await this.#serially(async () => {
      const parent = parentRel(sink.rel);
      if (parent !== undefined) await this.#emitDirs(parent);
      await this.#write(encodeTarHeader({ path: sink.rel.toString('utf8'), type: 'File', size: sink.bytes, mode: sink.mode }));
      await body((b) => this.#write(b));
      await this.#write(tarPadding(sink.bytes));
      this.stats.files++;
      this.stats.contentBytes += sink.bytes;
    });
    if (sink.rel.toString('latin1') !== CHECKSUMS_FILE) await this.#opts.ledger.record(sink.rel, hex);
  }

  #serially(fn: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Entries for `dir` and its ancestors not emitted yet, parents first. */
  async #emitDirs(dir: Buffer): Promise<void> {
    const missing: Buffer[] = [];
    for (let d: Buffer | undefined = dir; d !== undefined && !this.#dirs.has(d.toString('latin1')); d = parentRel(d)) missing.push(d);
    for (const d of missing.reverse()) {
      if (this.#dirs.size >= DIR_CACHE) this.#dirs.clear();
      this.#dirs.add(d.toString('latin1'));
      await this.#write(encodeTarHeader({ path: d.toString('utf8'), type: 'Directory', size: 0, mode: DIR_MODE }));
      this.stats.dirs++;
    }
  }

  /** Writes tar bytes, waiting while the output is behind; fails once the output has closed. */
  async #write(b: Uint8Array): Promise<void> {
    const tar = this.#tar;
    if (tar.destroyed) throw new OutputClosed('the archive output closed');
    if (b.length === 0 || tar.write(b)) return;
    await new Promise<void>((resolve, reject) => {
      const off = (): void => {
        tar.off('drain', onDrain);
        tar.off('close', onClose);
      };
      const onDrain = (): void => {
        off();
        resolve();
      };
      const onClose = (): void => {
        off();
        reject(new OutputClosed('the archive output closed'));
      };
      tar.on('drain', onDrain);
      tar.on('close', onClose);
    });
  }
}

/** A checked tree path that can be a tar name (UTF-8, as `archive pack` requires). */
function tarPath(rel: RelPath): Buffer {
  const b = checkRel(rel);
  if (!isValidUtf8(b)) {
    throw new DataError('ARCHIVE_PATH_NOT_UTF8', 'path is not valid UTF-8; tar names written here must be UTF-8', { path: JSON.stringify(showRel(b)) });
  }
  return b;
}

/** The ledger's digests, refusing a path recorded twice (the archive would hold two entries of that name). */
async function* unique(digests: AsyncIterable<FileDigest>): AsyncGenerator<FileDigest> {
  let prev: Buffer | undefined;
  for await (const d of digests) {
    if (prev?.equals(d.rel) === true) {
      throw new DataError('ARCHIVE_DUPLICATE_ENTRY', 'the decode wrote this file twice; an archive can hold one entry per path', { path: showRel(d.rel) });
    }
    prev = d.rel;
    yield d;
  }
}

/** A file being written into the archive: held in memory, or in a spool file, until close() emits it. */
class ArchiveFileSink extends SequentialSink {
  readonly rel: Buffer;
  readonly mode: number;
  readonly #writer: ArchiveTreeWriter;
  readonly #hash: Hash = createHash('sha256');
  /** In memory: the file so far; spooled: bytes not yet written to the spool. */
  #buf: Buffer | undefined;
  #used = 0;
  #spool: { readonly path: string; readonly fd: number } | undefined;
  #closed = false;

  constructor(writer: ArchiveTreeWriter, rel: Buffer, mode: number) {
    super();
    this.#writer = writer;
    this.rel = rel;
    this.mode = mode;
  }

  protected accept(b: Uint8Array): void {
    this.#hash.update(b);
    const tooMuch = this.bytes > FILE_IN_MEMORY || this.#writer.held + b.length > HELD_IN_MEMORY;
    if (this.#spool === undefined && tooMuch) this.#toSpool();
    if (this.#spool !== undefined) {
      if (this.#used + b.length > SPOOL_BLOCK) this.#flushSpool();
      if (b.length >= SPOOL_BLOCK) {
        writeAllSync(this.#spool.fd, b);
        return;
      }
    }
    this.#append(b);
  }

  #append(b: Uint8Array): void {
    const need = this.#used + b.length;
    if (this.#buf === undefined || this.#buf.length < need) {
      let size = Math.max(FIRST_BUFFER, this.#buf?.length ?? 0);
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      if (this.#buf !== undefined) this.#buf.copy(grown, 0, 0, this.#used);
      this.#writer.held += grown.length - (this.#buf?.length ?? 0);
      this.#buf = grown;
    }
    this.#buf.set(b, this.#used);
    this.#used = need;
  }

  /** Moves what is held in memory to a new spool file; later bytes go there too. */
  #toSpool(): void {
    this.#spool = this.#writer.openSpool();
    this.#flushSpool();
    this.#release();
  }

  #flushSpool(): void {
    if (this.#spool === undefined || this.#buf === undefined || this.#used === 0) return;
    writeAllSync(this.#spool.fd, this.#buf.subarray(0, this.#used));
    this.#used = 0;
  }

  #release(): void {
    this.#writer.held -= this.#buf?.length ?? 0;
    this.#buf = undefined;
    this.#used = 0;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const hex = this.#hash.digest('hex');
    const spool = this.#spool;
    if (spool === undefined) {
      const data = this.#buf?.subarray(0, this.#used);
      try {
        await this.#writer.emit(this, async (write) => {
          if (data !== undefined) await write(data);
        }, hex);
      } finally {
        this.#release();
      }
      return;
    }
    this.#flushSpool();
    this.#release();
    try {
      await this.#writer.emit(this, async (write) => {
        let pos = 0;
        while (pos < this.bytes) {
          const block = Buffer.allocUnsafe(Math.min(READ_BLOCK, this.bytes - pos));
          const n = readSync(spool.fd, block, 0, block.length, pos);
          if (n === 0) throw new DataError('ARCHIVE_TREE_CHANGED', `its spool file ${spool.path} lost bytes before it was packed`, { path: showRel(this.rel) });
          pos += n;
          await write(n === block.length ? block : block.subarray(0, n));
        }
      }, hex);
    } finally {
      this.discard();
    }
  }

  /** Drops the file: memory released, spool file closed and removed. */
  discard(): void {
    this.#closed = true;
    this.#release();
    const spool = this.#spool;
    this.#spool = undefined;
    if (spool === undefined) return;
    closeSync(spool.fd);
    unlinkSync(spool.path);
  }
}

