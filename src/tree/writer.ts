// Writes files into a dump tree under construction, never outside its root.
//
// Decode builds the tree in a fresh private temporary directory that is renamed into place at the end
// (pipeline/decode.ts), so nothing else can plant symlinks in it; the writer still opens every file with
// O_NOFOLLOW as a second line of defence. Adapter files are created with mode 0600 like the reference
// (its CreateTemp + rename and sidecar opener both yield 0600); directories with 0755.

import { createHash, webcrypto, type Hash } from 'node:crypto';
import { closeSync, constants as fsc, lstatSync, mkdirSync, opendirSync, openSync, promises as fsp, readSync, renameSync, unlinkSync } from 'node:fs';
import { UserError } from '../errors.ts';
import type { InputRange } from '../snapshot/input-range.ts';
import type { DigestLedger } from './digest-ledger.ts';
import { absPath, checkRel, parentRel, showRel, type RelPath } from './paths.ts';
import { removeTree } from './remove-tree.ts';
import { NAME_MAX_BYTES } from './segment.ts';
import { BATCHED_FILE_MAX, SmallFileWriter } from './small-files.ts';
import { writeAll, writeAllAt, writeAllSync } from '../fs/write-all.ts';

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
  /**
   * Writes a whole file. The writer may write large data after the call returns: `data` must not change afterwards
   * (callers hand over bytes they are done with).
   */
  writeFile(rel: RelPath, data: Uint8Array | string): Promise<void>;
  /**
   * Takes a closed file, or a directory with everything below it, back out of the tree (nothing when it is
   * absent): `decode --salvage` drops the files of a key found damaged once its rows were all in. Writers that
   * cannot take back what they wrote (an archive stream, the self-test's comparison) do not have it.
   */
  readonly remove?: ((rel: RelPath) => Promise<void>) | undefined;
  /**
   * Starts a provisional file: one written (and digested) before its name in the tree is known, then moved into
   * the tree whole (ProvisionalFile.adopt) or dropped (discard). Every provisional file must be adopted or
   * discarded before the tree is finished: until then it lies in the tree's directory under a name no tree
   * path has. Writers that cannot move a file into place (an archive stream, the self-test's comparison) do not
   * have it.
   */
  readonly provisional?: (() => ProvisionalFile) | undefined;
  /**
   * Writes a whole file whose contents are a range of the snapshot file (a large value the reader left there, see
   * SnapshotReaderOptions.deferValues), copied by the writer itself. Decode leaves values in the file only for
   * writers that have it.
   */
  readonly writeFileFromInput?: ((rel: RelPath, range: InputRange) => Promise<void>) | undefined;
}

/**
 * A file written sequentially ahead of its place in the tree (see TreeWriter.provisional): appended to, sealed, read
 * back by offset if need be, then adopted under a tree path or discarded.
 */
export interface ProvisionalFile {
  /** Bytes appended so far. */
  readonly bytes: number;
  /**
   * Appends bytes, digested before it returns and written behind (on the thread pool): `data` must not change
   * afterwards. Resolves once few enough bytes wait to be written; not after seal().
   */
  append(data: Uint8Array): Promise<void>;
  /** Ends the appending: waits for the writes, closes the file and fixes its digest (nothing when sealed already). */
  seal(): Promise<void>;
  /** Reads up to `length` bytes of a sealed file from `position` into `into` at 0; returns how many were read. */
  readInto(into: Uint8Array, length: number, position: number): number;
  /** Seals the file and moves it into the tree at rel, replacing what is there, with its digest recorded. */
  adopt(rel: RelPath): Promise<void>;
  /** Seals the file and removes it (nothing once it was adopted or discarded). */
  discard(): Promise<void>;
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

  /** Writes a whole file (see TreeWriter.writeFile). */
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
 *
 * Given `whole`, the file is opened only once more than WRITE_BEHIND_MIN bytes were written: a file that ends
 * smaller is handed to `whole` in one piece at close (the small-file writer thread creates and digests it).
 */
class DiskFileSink extends SequentialSink {
  #fd: number | undefined;
  readonly #open: () => number;
  readonly #whole: ((data: Buffer) => Promise<void>) | undefined;
  #buf: Buffer | undefined;
  #used = 0;
  #closed = false;
  readonly #digest: { readonly rel: Buffer; readonly ledger: DigestLedger; readonly hash: Hash } | undefined;

  /** With a ledger, the SHA-256 of everything written is recorded there under rel when the sink closes. */
  constructor(
    open: () => number,
    whole: ((data: Buffer) => Promise<void>) | undefined,
    digestTo?: { readonly rel: Buffer; readonly ledger: DigestLedger },
  ) {
    super();
    this.#open = open;
    this.#whole = whole;
    if (whole === undefined) this.#fd = open();
    this.#digest = digestTo === undefined ? undefined : { ...digestTo, hash: createHash('sha256') };
  }

  protected accept(b: Uint8Array): void {
    if (this.#fd === undefined && this.#used + b.length > WRITE_BEHIND_MIN) this.#opened();
    if (this.#fd !== undefined) this.#digest?.hash.update(b);
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

  /** Opens the file of a sink that was waiting to see whether it stays small, digesting what it holds. */
  #opened(): number {
    if (this.#fd === undefined) {
      this.#fd = this.#open();
      if (this.#buf !== undefined) this.#digest?.hash.update(this.#buf.subarray(0, this.#used));
    }
    return this.#fd;
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
    writeAllSync(this.#opened(), b);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd === undefined && this.#whole !== undefined) {
      const data = this.#buf === undefined ? Buffer.alloc(0) : this.#buf.subarray(0, this.#used);
      this.#buf = undefined;
      await this.#whole(data);
      return;
    }
    try {
      this.#flush();
    } finally {
      closeSync(this.#opened());
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

/** Whole files from this size on are written behind whole, not through a sink (DiskTreeWriter.writeFile). */
const WRITE_BEHIND_MIN = 64 * 1024;
/** The most bytes of files written behind and not yet on disk. */
const WRITE_BEHIND_BYTES = 32 * 1024 * 1024;
/** The most batches of small files handed to the small-file writer thread and not yet written by it. */
const SMALL_BATCHES_BEHIND = 8;
/**
 * The most batches behind in all, counting those the calling thread copied itself (written, their digests not yet
 * recorded): while the writer thread is slow to start or behind, the calling thread goes on copying batches rather
 * than wait for the oldest one the thread has.
 */
const BATCHES_BEHIND_MAX = 64;
/** Small whole files written on the calling thread before the small-file writer thread takes over. */
const SMALL_FILES_INLINE = 256;

/**
 * Files being written behind: one large file, or a batch of small ones; their paths, size, and the writes, which
 * yield their digests in order (empty without a ledger, or after a failure).
 */
interface BehindWrite {
  readonly rels: readonly Buffer[];
  readonly bytes: number;
  readonly batch: boolean;
  readonly done: Promise<string[]>;
}

/** Options of a DiskTreeWriter. */
export interface DiskTreeWriterOptions {
  /**
   * Small whole files (below 64 KiB) written on the calling thread before the rest are handed to a worker thread in
   * batches (default 256, so small trees do not start a thread).
   */
  readonly smallFilesInline?: number;
  /**
   * A batch of small files opened while this many batches wait for the writer thread is digested on the calling
   * thread as it is gathered, the others on the writer thread (default 5: the caller hashes while the writer thread
   * is well behind; 0: the caller hashes every batch; Infinity: the writer thread hashes every batch).
   */
  readonly digestHereAt?: number | undefined;
  /**
   * Start the small-file writer thread now rather than with the first batch: a thread takes tens of milliseconds to
   * start, which then pass while the caller reads its first records (for a large input, which will need the thread).
   */
  readonly startThread?: boolean;
}

/** A root-level name prefix no tree path has (adapters write only their directories and the control files there). */
const PROVISIONAL_PREFIX = '.provisional-';

/** The most bytes appended to a provisional file and not yet written. */
const WRITE_AHEAD_BYTES = 16 * 1024 * 1024;

/**
 * A provisional file of a DiskTreeWriter, in its root directory until adopted. Appends are digested on the calling
 * thread and written at their offsets on the thread pool, at most WRITE_AHEAD_BYTES at once.
 */
class DiskProvisionalFile implements ProvisionalFile {
  readonly #abs: string;
  readonly #adopt: (file: DiskProvisionalFile, rel: RelPath) => Promise<void>;
  #writeFd: number | undefined;
  #readFd: number | undefined;
  #hash: Hash | undefined = createHash('sha256');
  #hex = '';
  #bytes = 0;
  /** Writes not yet waited for, oldest first, and their bytes in total. */
  readonly #writes: Array<Promise<void>> = [];
  #writing = 0;
  /** The first failure of a write, thrown by the next append() or seal(). */
  #failure: { readonly err: unknown } | undefined;
  /** True once adopted or discarded: the file is no longer at #abs. */
  #gone = false;

  constructor(abs: string, adopt: (file: DiskProvisionalFile, rel: RelPath) => Promise<void>) {
    this.#abs = abs;
    this.#adopt = adopt;
    this.#writeFd = openSync(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, FILE_MODE);
  }

  get bytes(): number {
    return this.#bytes;
  }

  get abs(): string {
    return this.#abs;
  }

  /** The SHA-256 of the bytes appended (sealed files only). */
  get hex(): string {
    return this.#hex;
  }

  async append(data: Uint8Array): Promise<void> {
    if (this.#writeFd === undefined || this.#hash === undefined) throw new Error('provisional file: append after seal');
    this.#throwFailure();
    this.#hash.update(data);
    const length = data.length;
    this.#writes.push(
      writeAllAt(this.#writeFd, data, this.#bytes).then(
        () => {
          this.#writing -= length;
        },
        (err: unknown) => {
          this.#writing -= length;
          this.#failure ??= { err };
        },
      ),
    );
    this.#bytes += length;
    this.#writing += length;
    while (this.#writing > WRITE_AHEAD_BYTES) await this.#writes.shift();
    this.#throwFailure();
  }

  async seal(): Promise<void> {
    for (let w = this.#writes.shift(); w !== undefined; w = this.#writes.shift()) await w;
    if (this.#hash !== undefined) {
      this.#hex = this.#hash.digest('hex');
      this.#hash = undefined;
    }
    this.#closeFds();
    this.#throwFailure();
  }

  readInto(into: Uint8Array, length: number, position: number): number {
    if (this.#gone || this.#hash !== undefined) throw new Error('provisional file: read before seal or after adopt or discard');
    this.#readFd ??= openSync(this.#abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    return readSync(this.#readFd, into, 0, length, position);
  }

  async adopt(rel: RelPath): Promise<void> {
    if (this.#gone) throw new Error('provisional file: adopted or discarded already');
    await this.seal();
    await this.#adopt(this, rel);
  }

  /** Marks the file as moved into the tree (by its writer's adopt). */
  moved(): void {
    this.#gone = true;
  }

  async discard(): Promise<void> {
    try {
      await this.seal();
    } finally {
      if (!this.#gone) {
        this.#gone = true;
        unlinkSync(this.#abs);
      }
    }
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure.err;
  }

  #closeFds(): void {
    const fds = [this.#writeFd, this.#readFd];
    this.#writeFd = undefined;
    this.#readFd = undefined;
    for (const fd of fds) if (fd !== undefined) closeSync(fd);
  }
}

export class DiskTreeWriter extends TreeWriterBase {
  readonly root: string;
  #provisionals = 0;
  readonly #madeDirs = new Set<string>();
  readonly #ledger: DigestLedger | undefined;
  /** Files being written behind, oldest first, their bytes in total, and how many of them are batches. */
  #behind: BehindWrite[] = [];
  #behindBytes = 0;
  #batchesBehind = 0;
  /** How many writes of each path (as latin1 text) are gathered or behind and not yet retired. */
  readonly #pending = new Map<string, number>();
  readonly #small: SmallFileWriter;
  /** Small files still to write on the calling thread before batches start. */
  #smallInline: number;
  /** The first failure of a write behind, thrown by the next call (or settle()). */
  #failure: { readonly err: unknown } | undefined;

  /** With a ledger, every file written is digested on the way (see DigestLedger). */
  constructor(root: string, ledger?: DigestLedger, opts: DiskTreeWriterOptions = {}) {
    super();
    this.root = root;
    this.#ledger = ledger;
    this.#small = new SmallFileWriter(root, ledger !== undefined, opts.digestHereAt);
    this.#smallInline = opts.smallFilesInline ?? SMALL_FILES_INLINE;
    if (opts.startThread === true) this.#small.start();
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

  /**
   * Writes a whole file, behind. The first few small ones are written on the calling thread. After that, files up
   * to BATCHED_FILE_MAX go in batches to the small-file writer thread, which creates, writes and digests them while
   * the caller goes on (a copy into the batch costs the caller less than WebCrypto's copy of the bytes to digest
   * and the thread pool's round trips); a larger one is written on the thread pool and digested through WebCrypto.
   * At most WRITE_BEHIND_BYTES and SMALL_BATCHES_BEHIND batches wait at once, and the digests reach the ledger in
   * the order of the writes. Call settle() before reading the tree, and close() at the end.
   */
  override async writeFile(rel: RelPath, data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    if (bytes < WRITE_BEHIND_MIN && this.#smallInline > 0) {
      this.#smallInline--;
      return super.writeFile(rel, data);
    }
    if (bytes <= BATCHED_FILE_MAX) return this.#writeSmall(rel, data, bytes);
    if (typeof data === 'string') data = Buffer.from(data, 'utf8');
    const b = checkRel(rel);
    const key = b.toString('latin1');
    await this.#mkParent(b);
    await this.#waitFor(key, data.length);
    const abs = absPath(this.root, b);
    const digest = this.#ledger === undefined ? undefined : webcrypto.subtle.digest('SHA-256', data);
    const write = (async (): Promise<void> => {
      let fh;
      try {
        fh = await fsp.open(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, FILE_MODE);
      } catch (err) {
        throw nameTooLong(err, this.root, b);
      }
      try {
        await writeAll(fh, data);
      } finally {
        await fh.close();
      }
    })();
    const done = Promise.all([write, digest]).then(
      ([, d]) => (d === undefined ? [] : [Buffer.from(d).toString('hex')]),
      (err: unknown) => {
        this.#failure ??= { err };
        return [];
      },
    );
    this.#pendingAdd(key);
    this.#behind.push({ rels: [b], bytes: data.length, batch: false, done });
    this.#behindBytes += data.length;
  }

  /**
   * Writes a file copied from a range of the input file: the small-file writer thread reads, digests and writes it
   * in a batch, like a small file, whatever its size (nothing of it is held in memory).
   */
  readonly writeFileFromInput = (rel: RelPath, range: InputRange): Promise<void> => this.#writeSmall(rel, range, 0);

  /** Adds a small file, or one copied from the input file, to the batch gathered for the small-file writer thread. */
  async #writeSmall(rel: RelPath, data: Uint8Array | string | InputRange, bytes: number): Promise<void> {
    const b = checkRel(rel);
    await this.#mkParent(b);
    await this.#gatherSmall(b, b.toString('latin1'), data, bytes);
  }

  /** Adds a small file whose parent exists (`key`: its path as latin1 text) to the batch being gathered. */
  async #gatherSmall(b: Buffer, key: string, data: Uint8Array | string | InputRange, bytes: number): Promise<void> {
    await this.#waitFor(key, 0);
    if (!this.#small.fits(data, bytes)) await this.#postSmall();
    this.#small.add(b, data, bytes);
    this.#pendingAdd(key);
  }

  /** Hands the batch being gathered to the small-file writer thread, once few enough batches are behind. */
  async #postSmall(): Promise<void> {
    const posted = this.#small.post();
    if (posted === undefined) return;
    const done = posted.done.catch((err: unknown) => {
      this.#failure ??= { err: nameTooLong(err, this.root, (err as { rel?: Buffer }).rel ?? Buffer.alloc(0)) };
      return [];
    });
    this.#behind.push({ rels: posted.rels, bytes: posted.bytes, batch: true, done });
    this.#behindBytes += posted.bytes;
    this.#batchesBehind++;
    for (;;) {
      const oldest = this.#behind[0];
      if (oldest === undefined) return;
      if (this.#small.queued <= SMALL_BATCHES_BEHIND && this.#batchesBehind <= BATCHES_BEHIND_MAX) return;
      await this.#retire(oldest);
    }
  }

  #pendingAdd(key: string): void {
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
  }

  /**
   * Waits until `bytes` more fit behind and no write of `key` is gathered or pending, recording the digests of the
   * writes it waited for; throws the failure of an earlier write.
   */
  async #waitFor(key: string, bytes: number): Promise<void> {
    for (;;) {
      this.#throwFailure();
      const pending = this.#pending.has(key);
      if (!pending && this.#behindBytes + bytes <= WRITE_BEHIND_BYTES) return;
      if (pending && this.#small.gathering) await this.#postSmall();
      const oldest = this.#behind[0];
      if (oldest === undefined) return;
      await this.#retire(oldest);
    }
  }

  /** Waits for the oldest write behind, drops it from the queue and records its digests. */
  async #retire(oldest: BehindWrite): Promise<void> {
    const hex = await oldest.done;
    this.#behind.shift();
    this.#behindBytes -= oldest.bytes;
    if (oldest.batch) this.#batchesBehind--;
    for (const rel of oldest.rels) {
      const key = rel.toString('latin1');
      const n = this.#pending.get(key) ?? 1;
      if (n <= 1) this.#pending.delete(key);
      else this.#pending.set(key, n - 1);
    }
    this.#throwFailure();
    const ledger = this.#ledger;
    if (ledger === undefined) return;
    for (let i = 0; i < hex.length; i++) await ledger.record(oldest.rels[i] as Buffer, hex[i] as string);
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure.err;
  }

  /** Waits for every file written behind and records their digests; throws the first failure among them. */
  async settle(): Promise<void> {
    await this.#postSmall();
    for (let oldest = this.#behind[0]; oldest !== undefined; oldest = this.#behind[0]) await this.#retire(oldest);
  }

  /**
   * Waits for every write behind, failed or not, records the digests, ends the small-file writer thread and throws
   * the first failure. Call it before the tree is read or removed; the writer can still be used after.
   */
  async close(): Promise<void> {
    let first: { readonly err: unknown } | undefined;
    try {
      await this.#postSmall();
    } catch (err) {
      first = { err };
    }
    for (let oldest = this.#behind[0]; oldest !== undefined; oldest = this.#behind[0]) {
      try {
        await this.#retire(oldest);
      } catch (err) {
        first ??= { err };
      }
    }
    await this.#small.close();
    if (first !== undefined) throw first.err;
  }

  /** Creates or replaces a file and returns a sink for it. */
  /**
   * Creates or replaces a file and returns a sink for it. After the first few small files, the file is opened only
   * once it grows past WRITE_BEHIND_MIN: a smaller one goes to the small-file writer thread whole when the sink closes
   * (a name longer than the file system allows is refused here all the same).
   */
  async create(rel: RelPath): Promise<FileSink> {
    const b = checkRel(rel);
    const key = b.toString('latin1');
    await this.#mkParent(b);
    await this.#waitFor(key, 0);
    const open = (): number => {
      try {
        return openSync(absPath(this.root, b), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, FILE_MODE);
      } catch (err) {
        throw nameTooLong(err, this.root, b);
      }
    };
    const digestTo = this.#ledger === undefined ? undefined : { rel: b, ledger: this.#ledger };
    if (this.#smallInline > 0) {
      this.#smallInline--;
      return new DiskFileSink(open, undefined, digestTo);
    }
    if (b.length > NAME_MAX_BYTES && Math.max(...b.toString('latin1').split('/').map((c) => c.length)) > NAME_MAX_BYTES) {
      throw nameTooLong(Object.assign(new Error('name too long'), { code: 'ENAMETOOLONG' }), this.root, b);
    }
    // The parent was made above; at close only a write of the same path queued meanwhile is waited for.
    return new DiskFileSink(open, (data) => this.#gatherSmall(b, key, data, data.length), digestTo);
  }

  /**
   * Takes a closed file, or a directory with everything below it, back out of the tree and its digests out of the
   * ledger (nothing when it is absent). Files written behind are settled first, so none lands (or has its digest
   * recorded) after the removal.
   */
  readonly remove = async (rel: RelPath): Promise<void> => {
    await this.settle();
    const b = checkRel(rel);
    const abs = absPath(this.root, b);
    let dir: boolean;
    try {
      dir = lstatSync(abs).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (this.#ledger !== undefined) for (const f of dir ? filesBelow(abs, b) : [b]) await this.#ledger.forget(f);
    removeTree(abs);
    this.#madeDirs.clear();
  };

  /** Starts a provisional file (see TreeWriter.provisional) in the root directory. */
  readonly provisional = (): ProvisionalFile => {
    if (this.#provisionals === 0) mkdirSync(this.root, { recursive: true, mode: DIR_MODE });
    return new DiskProvisionalFile(`${this.root}/${PROVISIONAL_PREFIX}${this.#provisionals++}`, (file, rel) => this.#adoptFile(file, rel));
  };

  /**
   * Moves a sealed provisional file to rel, once no write behind of rel is pending, and records its digest (taken
   * as it was written).
   */
  async #adoptFile(file: DiskProvisionalFile, rel: RelPath): Promise<void> {
    const b = checkRel(rel);
    await this.#mkParent(b);
    await this.#waitFor(b.toString('latin1'), 0);
    try {
      renameSync(file.abs, absPath(this.root, b));
    } catch (err) {
      throw nameTooLong(err, this.root, b);
    }
    file.moved();
    await this.#ledger?.record(b, file.hex);
  }
}

/** The relative paths of the files below a directory (`abs` on disk, `rel` in the tree), depth first. */
function* filesBelow(abs: Buffer, rel: Buffer): Generator<Buffer> {
  const slash = Buffer.from('/');
  const dir = opendirSync(abs, { encoding: 'buffer' as BufferEncoding });
  try {
    for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
      const name = (d as unknown as { name: Buffer }).name;
      const childRel = Buffer.concat([rel, slash, name]);
      if (d.isDirectory()) yield* filesBelow(Buffer.concat([abs, slash, name]), childRel);
      else yield childRel;
    }
  } finally {
    dir.closeSync();
  }
}
