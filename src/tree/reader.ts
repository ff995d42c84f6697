// Reads a dump tree for encoding, treating it as hostile input.
//
// Every file is opened through the safe open (src/fs/safe-open.ts) and must be a regular file with exactly one link;
// directory listings refuse symlinks and special files. Nothing here follows a link out of the tree.
//
// Trees hold one small file per key, so the system calls per file are what an encode spends its time on. Listings
// take each entry's type from the directory itself (readdir's d_type) and lstat only what is neither a file nor a
// directory (to refuse it by type) or what the file system did not type; the link count is checked when a file is
// opened, which every read does. A file read right after its listing (ReadOptions.listed) is opened without
// another lstat before the open.

import { closeSync, lstatSync, promises as fsp, type Dirent, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { DataError } from '../errors.ts';
import { openRegular, openRegularSync, readFullSync } from '../fs/safe-open.ts';
import { absPath, joinRel, showRel, type RelPath } from './paths.ts';

export type EntryKind = 'file' | 'dir';

export interface DirEntry {
  /** The name's raw bytes (file names may be any bytes, e.g. S3 object keys). */
  readonly nameBytes: Buffer;
  /** The name as UTF-8 text (lossy only for invalid UTF-8 names). */
  readonly name: string;
  readonly kind: EntryKind;
}

/**
 * The error for an entry whose type does not fit its place: a directory where a record file belongs (an encoder
 * that skipped it would drop the record silently), or a record directory holding nothing.
 */
export function unexpectedEntry(path: string, why: string): DataError {
  return new DataError('TREE_UNEXPECTED_ENTRY', why, { path });
}

/** Default cap for readFile: tree metadata files are small; bodies are streamed instead. */
export const DEFAULT_MAX_FILE = 256 * 1024 * 1024;

/**
 * Files up to this size are read at once by readOrFind; larger ones are only found, and an encode reads their
 * bytes when it writes them (EncodeContext.emitFile), so a large value is never held in memory or sorted.
 */
export const READ_AT_ONCE_MAX = 64 * 1024;

/** How a file is read. */
export interface ReadOptions {
  /**
   * The caller found the path as a file in a listing of this reader (list() or entries(), kind 'file') just
   * before: the safe open skips its lstat before the open (SafeOpenOptions.listedRegular).
   */
  readonly listed?: boolean;
}

/** A regular tree file as it was found: where it is, its size, and the identity a later read checks. */
export interface TreeFile {
  readonly rel: RelPath;
  readonly size: number;
  readonly dev: number;
  readonly ino: number;
  readonly mtimeMs: number;
}

export class TreeReader {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** Kind of a tree path: 'file', 'dir' or undefined when absent; symlinks and special files are refused. */
  async kind(rel: RelPath): Promise<EntryKind | undefined> {
    let st: Stats;
    try {
      st = lstatSync(absPath(this.root, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    return this.#classify(rel, st);
  }

  #classify(rel: RelPath, st: Stats): EntryKind {
    if (st.isSymbolicLink()) throw new DataError('TREE_SYMLINK', 'symbolic links are not allowed in a dump tree', { path: showRel(rel) });
    if (st.isDirectory()) return 'dir';
    if (!st.isFile()) throw new DataError('TREE_NOT_REGULAR', 'not a regular file or directory', { path: showRel(rel) });
    if (st.nlink > 1) throw new DataError('TREE_HARDLINK', `hard-linked file (nlink=${st.nlink}) refused`, { path: showRel(rel) });
    return 'file';
  }

  /**
   * An entry's kind from its listing: files and directories by the entry's type; anything else (or an entry the
   * file system did not type) through lstat and #classify, which refuses symlinks and special files.
   */
  #listedKind(rel: RelPath, d: Dirent): EntryKind {
    if (d.isFile()) return 'file';
    if (d.isDirectory()) return 'dir';
    return this.#classify(rel, lstatSync(absPath(this.root, rel)));
  }

  /**
   * Lists a directory sorted by raw name bytes; symlinks and special files are refused (hard links when a file
   * is opened).
   */
  async list(rel: RelPath): Promise<DirEntry[]> {
    const abs = absPath(this.root, rel);
    const dirents = await fsp.readdir(abs, { encoding: 'buffer' as BufferEncoding, withFileTypes: true });
    const named = dirents.map((d) => ({ d, nameBytes: (d as unknown as { name: Buffer }).name }));
    named.sort((a, b) => Buffer.compare(a.nameBytes, b.nameBytes));
    return named.map(({ d, nameBytes }) => ({ nameBytes, name: nameBytes.toString('utf8'), kind: this.#listedKind(joinRel(rel, nameBytes), d) }));
  }

  /**
   * Streams a directory's entries in directory order (not sorted), with the same refusals as list(). Memory
   * stays constant whatever the directory size; use it where the order does not matter.
   */
  async *entries(rel: RelPath): AsyncGenerator<DirEntry> {
    const dir = await fsp.opendir(absPath(this.root, rel), { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
    for await (const d of dir) {
      const nameBytes = (d as unknown as { name: Buffer }).name;
      yield { nameBytes, name: nameBytes.toString('utf8'), kind: this.#listedKind(joinRel(rel, nameBytes), d) };
    }
  }

  /** Opens a regular file for reading without following links (the safe open); checks the link count too. */
  async open(rel: RelPath): Promise<FileHandle> {
    const { handle, stat } = await openRegular(absPath(this.root, rel), { role: 'tree', shown: showRel(rel) });
    try {
      this.#classify(rel, stat);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return handle;
  }

  /**
   * Reads a whole file (bounded by maxBytes, refused from its size before reading). Synchronous system calls:
   * trees hold one small file per key, and thread-pool round trips would cost more than the reads themselves.
   */
  async readFile(rel: RelPath, maxBytes = DEFAULT_MAX_FILE, opts: ReadOptions = {}): Promise<Buffer> {
    return this.#read(rel, maxBytes, maxBytes, opts) as Buffer;
  }

  /**
   * A file's bytes when it holds at most `readMax` bytes, else the file as found (see TreeFile), with readFile's
   * checks and cap either way; one open.
   */
  async readOrFind(
    rel: RelPath,
    readMax: number,
    maxBytes = DEFAULT_MAX_FILE,
    opts: ReadOptions = {},
  ): Promise<Buffer | TreeFile> {
    return this.#read(rel, readMax, maxBytes, opts);
  }

  #read(rel: RelPath, readMax: number, maxBytes: number, opts: ReadOptions): Buffer | TreeFile {
    const { fd, stat } = openRegularSync(absPath(this.root, rel), { role: 'tree', shown: showRel(rel), listedRegular: opts.listed === true });
    try {
      this.#classify(rel, stat);
      if (stat.size > maxBytes) throw new DataError('TREE_FILE_TOO_LARGE', `file is ${stat.size} bytes, over the ${maxBytes}-byte limit`, { path: showRel(rel) });
      if (stat.size > readMax) return { rel, size: stat.size, dev: stat.dev, ino: stat.ino, mtimeMs: stat.mtimeMs };
      const out = Buffer.allocUnsafe(stat.size);
      const off = readFullSync(fd, out);
      if (off !== stat.size) throw new DataError('TREE_FILE_CHANGED', 'file changed size while being read', { path: showRel(rel) });
      return out;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Opens a file found earlier for reading (a descriptor the caller closes), refusing it (TREE_FILE_CHANGED) when
   * it is no longer the same file of the same size and modification time.
   */
  openFound(file: TreeFile): number {
    const { fd, stat } = openRegularSync(absPath(this.root, file.rel), { role: 'tree', shown: showRel(file.rel) });
    try {
      this.#classify(file.rel, stat);
      if (stat.dev !== file.dev || stat.ino !== file.ino || stat.size !== file.size || stat.mtimeMs !== file.mtimeMs) {
        throw new DataError('TREE_FILE_CHANGED', 'file changed between the read of the tree and the write of the snapshot', { path: showRel(file.rel) });
      }
      return fd;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Streams a file's bytes in chunks. */
  async *chunks(rel: RelPath, chunkSize = 1024 * 1024): AsyncGenerator<Buffer> {
    const fh = await this.open(rel);
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(chunkSize);
        const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
        if (bytesRead === 0) return;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * Streams a text file line by line like Go's bufio.Scanner with ScanLines: lines split on `\n`, a trailing
   * `\r` removed, a final line without newline still returned, an over-long line an error.
   */
  async *lines(rel: RelPath, maxLine: number): AsyncGenerator<{ readonly line: Buffer; readonly lineNo: number }> {
    let pending: Buffer[] = [];
    let pendingLen = 0;
    let lineNo = 0;
    const tooLong = (): DataError =>
      new DataError('TREE_LINE_TOO_LONG', `line longer than ${maxLine} bytes`, { path: showRel(rel), line: lineNo + 1 });
    for await (const chunk of this.chunks(rel)) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        let line = pendingLen > 0 ? Buffer.concat([...pending, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
        pending = [];
        pendingLen = 0;
        if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        if (line.length > maxLine) throw tooLong();
        lineNo++;
        yield { line, lineNo };
        start = nl + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingLen += chunk.length - start;
        if (pendingLen > maxLine + 1) throw tooLong();
      }
    }
    if (pendingLen > 0) {
      let line = Buffer.concat(pending);
      if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > maxLine) throw tooLong();
      lineNo++;
      yield { line, lineNo };
    }
  }
}
