// Unpack: a tar or tar+zstd stream -> a new dump tree, checked, then published atomically.
//
// The archive is untrusted. Every entry name must be a relative path without `..` components, with no
// component over NAME_MAX (255 bytes) and at most PATH_MAX bytes in all; only regular files and directories
// are accepted (symlinks, hard links, devices, FIFOs and anything else are refused, so no entry can ever
// pass through a link); a name may not be used twice; the number of entries and the bytes of file content
// are budgeted before anything is written (defaults: the reference's 1,000,000 entries and 1 TiB). Files are
// created with O_EXCL | O_NOFOLLOW inside a private staging directory next to the output. When the stream
// ends, the staged tree must pass the same check as `verify` (MANIFEST.json, CHECKSUMS, no unlisted file)
// before it is renamed to the output path; on any failure the staging directory is removed and nothing
// appears at the output.
//
// node-tar's Parser does the tar format (USTAR, PAX and GNU long names, header checksums); its events are
// handled synchronously (sync file system calls), so the data of one input chunk is on disk before the next
// chunk is read and memory stays at one chunk plus one PAX header whatever the archive holds.

import { closeSync, constants as fsc, lstatSync, mkdirSync, openSync } from 'node:fs';
import { Parser, type ReadEntry } from 'tar';
import { asError, DataError, isEkvError, UserError } from '../errors.ts';
import { checkFreshOutputDir, makeStagingDir, publishDir } from '../tree/publish.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import type { Compression } from './pack.ts';
import { BLOCK } from './tar-header.ts';
import { verifyDumpTree } from './verify-tree.ts';
import { looksLikeZstd, zstdDecompress, ZstdDataError } from '../bytes/zstd.ts';
import { writeAllSync } from '../fs/write-all.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

/** The reference's unpack budget (internal/backup/archive.go): our defaults, never lower. */
export const DEFAULT_MAX_ENTRIES = 1_000_000;
/** The reference's unpack budget of file content bytes (1 TiB): our default, never lower. */
export const DEFAULT_MAX_BYTES = 2 ** 40;
const NAME_MAX = 255;
const PATH_MAX = 4095;

/** How unpackArchive reads its input and what it allows. */
export interface UnpackOptions {
  /** How the input is compressed; undefined: detect from the first bytes (zstd magic or not). */
  readonly compression?: Compression;
  /** Entry budget (default DEFAULT_MAX_ENTRIES). */
  readonly maxEntries?: number;
  /** Budget of file content bytes (default DEFAULT_MAX_BYTES). */
  readonly maxBytes?: number;
  /** The input's name in error messages. */
  readonly source: string;
}

/** What unpackArchive extracted and checked. */
export interface UnpackResult {
  readonly compression: Compression;
  readonly files: number;
  readonly dirs: number;
  readonly contentBytes: number;
  /** Files checked against CHECKSUMS. */
  readonly verified: number;
}

/** Unpacks `input` into the new directory `output`. */
export async function unpackArchive(
  input: AsyncIterable<Uint8Array>,
  output: string,
  opts: UnpackOptions,
): Promise<UnpackResult> {
  await checkFreshOutputDir(output);
  let untrack = (): void => undefined;
  const staging = makeStagingDir(output, 'unpack', (p) => (untrack = trackTemp(p)));
  try {
    const { head, rest } = await peek(input, 4);
    const compression = opts.compression ?? (looksLikeZstd(head) ? 'zstd' : 'none');
    const raw = prepend(head, rest);
    const tarBytes = compression === 'zstd' ? codedZstd(raw, opts.source) : raw;
    const ex = new Extractor(staging, opts);
    await ex.run(tarBytes);
    const verified = await verifyDumpTree(staging, output);
    await publishDir(staging, output);
    untrack();
    return { compression, files: ex.files, dirs: ex.dirs, contentBytes: ex.contentBytes, verified };
  } catch (err) {
    removeTree(staging);
    untrack();
    throw err;
  }
}

async function* codedZstd(raw: AsyncIterable<Uint8Array>, source: string): AsyncGenerator<Buffer> {
  try {
    yield* zstdDecompress(raw);
  } catch (err) {
    if (!(err instanceof ZstdDataError)) throw err;
    throw new DataError(err.truncated ? 'ARCHIVE_ZSTD_TRUNCATED' : 'ARCHIVE_ZSTD_CORRUPT', `${err.message} (archive)`, { path: source, offset: err.offset });
  }
}

/** Reads until at least `n` bytes (or the end) are buffered. */
async function peek(
  input: AsyncIterable<Uint8Array>,
  n: number,
): Promise<{ head: Buffer; rest: AsyncIterator<Uint8Array> }> {
  const it = input[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const r = await it.next();
    if (r.done === true) break;
    parts.push(asBuffer(r.value));
    len += r.value.byteLength;
  }
  return { head: Buffer.concat(parts), rest: it };
}

async function* prepend(head: Buffer, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  for (;;) {
    const r = await rest.next();
    if (r.done === true) return;
    yield r.value;
  }
}

class Extractor {
  files = 0;
  dirs = 0;
  contentBytes = 0;
  readonly #root: string;
  readonly #opts: UnpackOptions;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #entries = 0;
  #failure: Error | undefined;
  #tarBytes = 0;
  /** The last two blocks seen, to recognise the end-of-archive marker. */
  #tail = Buffer.alloc(0);
  /** The file being written, if an entry is open. */
  #openFd: number | undefined;

  constructor(root: string, opts: UnpackOptions) {
    this.#root = root;
    this.#opts = opts;
    this.#maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  async run(tarBytes: AsyncIterable<Uint8Array>): Promise<void> {
    const parser = new Parser({ strict: true, maxMetaEntrySize: 1024 * 1024 });
    parser.on('entry', (e: ReadEntry) => { this.#guard(() => { this.#entry(e); }); });
    parser.on('error', (err: Error & { code?: string }) => { this.#fail(corrupt(this.#opts.source, err.message)); });
    parser.on('warn', (_code: string, message: string | Error) => { this.#fail(corrupt(this.#opts.source, message instanceof Error ? message.message : message)); });
    try {
      for await (const chunk of tarBytes) {
        this.#tarBytes += chunk.byteLength;
        this.#remember(chunk);
        parser.write(asBuffer(chunk));
        this.#check();
      }
      parser.end();
      this.#check();
    } finally {
      if (this.#openFd !== undefined) closeSync(this.#openFd);
      this.#openFd = undefined;
    }
    if (this.#tarBytes % BLOCK !== 0 || this.#tail.length < 2 * BLOCK || this.#tail.some((b) => b !== 0)) {
      throw new DataError('ARCHIVE_TRUNCATED', 'archive ends without the end-of-archive marker (two zero blocks): truncated', { path: this.#opts.source, offset: this.#tarBytes });
    }
  }

  #remember(chunk: Uint8Array): void {
    const keep = 2 * BLOCK;
    const c = asBuffer(chunk);
    this.#tail =
      c.length >= keep ? Buffer.from(c.subarray(c.length - keep)) : Buffer.concat([this.#tail, c]).subarray(-keep);
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  #fail(err: unknown): void {
    this.#failure ??= asError(err);
  }

  #guard(fn: () => void): void {
    if (this.#failure !== undefined) return;
    try {
      fn();
    } catch (err) {
      this.#fail(err);
    }
  }

  #entry(e: ReadEntry): void {
    const name = e.path;
    e.on('error', (err: unknown) => { this.#fail(corrupt(this.#opts.source, (err as Error).message)); });
    if (this.#failure !== undefined) {
      e.resume();
      return;
    }
    this.#entries++;
    if (this.#entries > this.#maxEntries) throw new DataError('ARCHIVE_BUDGET_EXCEEDED', `more than ${this.#maxEntries} entries (budget; --max-entries)`, { path: this.#opts.source });
    const rel = safeRel(name, this.#opts.source);
    if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'Directory') {
      throw new DataError('ARCHIVE_NON_REGULAR', `entry ${JSON.stringify(name)} is a ${e.type}${e.linkpath ? ` to ${JSON.stringify(e.linkpath)}` : ''}: only regular files and directories are accepted`, { path: this.#opts.source });
    }
    if (e.type === 'Directory') {
      if (rel !== undefined) this.#mkdir(rel, name);
      this.dirs++;
      e.resume();
      return;
    }
    if (rel === undefined) throw new DataError('ARCHIVE_PATH_UNSAFE', `file entry ${JSON.stringify(name)} names the archive root`, { path: this.#opts.source });
    const size = e.size;
    if (this.contentBytes + size > this.#maxBytes) {
      throw new DataError('ARCHIVE_BUDGET_EXCEEDED', `entry ${JSON.stringify(name)} needs ${size} bytes, ${this.#maxBytes - this.contentBytes} left of the ${this.#maxBytes}-byte budget (--max-bytes)`, { path: this.#opts.source });
    }
    this.contentBytes += size;
    const slash = rel.lastIndexOf('/');
    if (slash > 0) this.#mkdir(rel.slice(0, slash), name);
    const abs = `${this.#root}/${rel}`;
    const mode = (e.mode ?? 0o600) & 0o777;
    let fd: number;
    try {
      fd = this.#openFd = openSync(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode | 0o600);
    } catch (err) {
      throw this.#fsError(err, name);
    }
    let written = 0;
    e.on('data', (d: Buffer) => {
      if (this.#failure !== undefined) return;
      try {
        writeAllSync(fd, d);
        written += d.length;
      } catch (err) {
        this.#fail(err);
      }
    });
    e.on('end', () => {
      this.#openFd = undefined;
      closeSync(fd);
      if (this.#failure === undefined && written !== size) this.#fail(new DataError('ARCHIVE_TRUNCATED', `entry ${JSON.stringify(name)} has ${written} of its ${size} bytes`, { path: this.#opts.source }));
      this.files++;
    });
  }

  #mkdir(rel: string, name: string): void {
    const abs = `${this.#root}/${rel}`;
    try {
      mkdirSync(abs, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw this.#fsError(err, name);
    }
    const st = lstatSync(abs);
    if (!st.isDirectory()) throw new DataError('ARCHIVE_DUPLICATE_ENTRY', `entry ${JSON.stringify(name)} needs ${JSON.stringify(rel)} as a directory, but the archive already made it a file`, { path: this.#opts.source });
  }

  #fsError(err: unknown, name: string): unknown {
    if (isEkvError(err)) return err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return new DataError('ARCHIVE_DUPLICATE_ENTRY', `entry ${JSON.stringify(name)} appears twice (or collides with a directory of the same name)`, { path: this.#opts.source });
    if (code === 'ENOTDIR') return new DataError('ARCHIVE_DUPLICATE_ENTRY', `entry ${JSON.stringify(name)} goes through a name the archive already made a file`, { path: this.#opts.source });
    if (code === 'ELOOP') return new DataError('ARCHIVE_NON_REGULAR', `entry ${JSON.stringify(name)} would pass through a symlink`, { path: this.#opts.source });
    return new UserError('ARCHIVE_WRITE_FAILED', `cannot write entry ${JSON.stringify(name)}: ${(err as Error).message}`, { path: this.#opts.source }, { cause: err });
  }
}

/**
 * The entry name as a clean relative path (`.` and empty components dropped), or undefined for the archive
 * root itself. Absolute names, `..` components, over-long components or paths are refused.
 */
function safeRel(name: string, source: string): string | undefined {
  const unsafe = (why: string): DataError => new DataError('ARCHIVE_PATH_UNSAFE', `entry ${JSON.stringify(name)} ${why}`, { path: source });
  if (name.startsWith('/')) throw unsafe('is an absolute path');
  if (name.includes('\0')) throw unsafe('contains a NUL byte');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  for (const p of parts) {
    if (p === '..') throw unsafe('has a ".." component and could escape the output');
    if (Buffer.byteLength(p) > NAME_MAX) throw new DataError('ARCHIVE_NAME_TOO_LONG', `entry ${JSON.stringify(name.slice(0, 80))}… has a component of ${Buffer.byteLength(p)} bytes (NAME_MAX is ${NAME_MAX})`, { path: source });
  }
  const rel = parts.join('/');
  if (Buffer.byteLength(rel) > PATH_MAX) throw new DataError('ARCHIVE_NAME_TOO_LONG', `entry ${JSON.stringify(name.slice(0, 80))}… is ${Buffer.byteLength(rel)} bytes long (PATH_MAX is ${PATH_MAX + 1})`, { path: source });
  return rel === '' ? undefined : rel;
}

function corrupt(source: string, message: string): DataError {
  return new DataError('ARCHIVE_CORRUPT', `not a valid tar archive: ${message}`, { path: source });
}
