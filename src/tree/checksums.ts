// CHECKSUMS: a `sha256sum -c` compatible listing of every regular file of a dump tree (spec core.md §3.4;
// elastickv: internal/backup/checksums.go).
//
// Line: `<64 lower-case hex>  <path>\n`, sorted bytewise by path. Paths holding `\n`, `\r` or `\` use the GNU
// escaped form: a leading `\`, and `\n`, `\r`, `\\` inside the path (Go walks runes there, so invalid UTF-8 in an
// escaped path becomes U+FFFD). CHECKSUMS itself is not listed.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, fsyncSync, lstatSync, openSync, readSync } from 'node:fs';
import { join, posix } from 'node:path';
import { DataError, isEkvError, type EkvError } from '../errors.ts';
import { ExternalSorter } from '../sort/external-sort.ts';
import { validSequenceLength } from '../json/go-json.ts';
import { removeTree } from './remove-tree.ts';
import { openRegularSync } from '../fs/safe-open.ts';
import { DEFAULT_WALK_BUDGET, ownTempDir, refuseSpecial, showPath, walkSorted, type OwnTempDir, type WalkSpill } from './walk.ts';
import { writeAllSync } from '../fs/write-all.ts';

const CHECKSUMS_FILE = 'CHECKSUMS';
const MAX_VERIFY_LINE = 8192;

const EMPTY = new Uint8Array(0);

const HASH_BLOCK = 1024 * 1024;
let hashBuffer: Buffer | undefined;

/** Bytes hashed between two yields to the event loop, so that a signal is handled promptly during a large file. */
const YIELD_EVERY = 64 * 1024 * 1024;

/**
 * Lower-case hex SHA-256 of a regular file of a tree (anything else, or a symlink, is refused with a coded error),
 * read synchronously through one shared block (files are hashed one at a time).
 */
async function sha256File(path: string | Buffer, shown?: string): Promise<string> {
  const h = createHash('sha256');
  const { fd } = openRegularSync(path, shown === undefined ? { role: 'tree' } : { role: 'tree', shown });
  try {
    hashBuffer ??= Buffer.allocUnsafe(HASH_BLOCK);
    let sinceYield = 0;
    for (;;) {
      const n = readSync(fd, hashBuffer, 0, HASH_BLOCK, null);
      if (n === 0) break;
      h.update(hashBuffer.subarray(0, n));
      sinceYield += n;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Renders one CHECKSUMS line. */
export function checksumLine(hex: string, rel: Buffer): Buffer {
  if (!rel.includes(0x0a) && !rel.includes(0x0d) && !rel.includes(0x5c)) {
    return Buffer.concat([Buffer.from(`${hex}  `), rel, Buffer.from('\n')]);
  }
  const parts: Buffer[] = [Buffer.from(`\\${hex}  `)];
  let i = 0;
  while (i < rel.length) {
    const c = rel[i] as number;
    if (c === 0x0a) parts.push(Buffer.from('\\n'));
    else if (c === 0x0d) parts.push(Buffer.from('\\r'));
    else if (c === 0x5c) parts.push(Buffer.from('\\\\'));
    else if (c < 0x80) parts.push(rel.subarray(i, i + 1));
    else {
      const n = validSequenceLength(rel, i);
      if (n === 0) {
        parts.push(Buffer.from([0xef, 0xbf, 0xbd]));
        i++;
        continue;
      }
      parts.push(rel.subarray(i, i + n));
      i += n;
      continue;
    }
    i++;
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** A file of the tree and its SHA-256, as CHECKSUMS lists it. */
export interface FileDigest {
  readonly rel: Buffer;
  readonly hex: string;
}

function isChecksumsFile(rel: Buffer): boolean {
  return rel.length === CHECKSUMS_FILE.length && rel.toString('latin1') === CHECKSUMS_FILE;
}

/** CHECKSUMS' lines for digests already in path order (CHECKSUMS itself skipped), in blocks of about 256 KiB. */
export async function* checksumBlocks(digests: AsyncIterable<FileDigest>): AsyncGenerator<Buffer> {
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const { rel, hex } of digests) {
    if (isChecksumsFile(rel)) continue;
    const line = checksumLine(hex, rel);
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= 256 * 1024) {
      yield Buffer.concat(pending);
      pending.length = 0;
      pendingBytes = 0;
    }
  }
  if (pending.length > 0) yield Buffer.concat(pending);
}

/** Writes CHECKSUMS from digests already in path order (CHECKSUMS itself skipped), streaming, then fsyncs it. */
export async function writeChecksumsFrom(root: string, digests: AsyncIterable<FileDigest>): Promise<number> {
  const fd = openSync(`${root}/${CHECKSUMS_FILE}`, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, 0o644);
  let count = 0;
  async function* counted(): AsyncGenerator<FileDigest> {
    for await (const d of digests) {
      if (!isChecksumsFile(d.rel)) count++;
      yield d;
    }
  }
  try {
    for await (const b of checksumBlocks(counted())) {
      writeAllSync(fd, b);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return count;
}

interface ChecksumRow {
  readonly hex: string;
  readonly rel: Buffer;
  readonly line: number;
}

/** Parses one CHECKSUMS line (without its `\n`); undefined for an empty line. */
function parseChecksumLine(raw: Buffer, lineNo: number, path: string, strict = false): ChecksumRow | undefined {
  let line = raw;
  if (line.length > 0 && line[line.length - 1] === 0x0d) {
    if (strict) throw malformed(path, lineNo, 'line ends with CR (CRLF line endings)');
    line = line.subarray(0, line.length - 1);
  }
  if (line.length > MAX_VERIFY_LINE) throw malformed(path, lineNo, 'line too long');
  if (line.length === 0) return undefined;
  const escaped = line[0] === 0x5c;
  const body = escaped ? line.subarray(1) : line;
  const hex = body.subarray(0, 64).toString('latin1');
  if (!/^[0-9a-f]{64}$/.test(hex)) throw malformed(path, lineNo, 'digest is not 64 lower-case hex digits');
  const sep = body.subarray(64, 66).toString('latin1');
  if (sep !== '  ' && sep !== ' *') throw malformed(path, lineNo, 'expected two spaces or " *" after the digest');
  let rel = body.subarray(66);
  if (rel.length === 0) throw malformed(path, lineNo, 'empty path');
  if (escaped) rel = unescapePath(rel, path, lineNo);
  checkLocalPath(rel, path, lineNo);
  return { hex, rel: Buffer.from(rel), line: lineNo };
}

/** Streams the rows of a CHECKSUMS file (opened without following a symlink), one read block at a time. */
async function* readChecksumRows(file: string, shownPath: string): AsyncGenerator<ChecksumRow> {
  let fd: number;
  try {
    fd = openRegularSync(file, { role: 'tree', shown: shownPath }).fd;
  } catch (err) {
    if (isEkvError(err) && err.code === 'TREE_MISSING') throw new DataError('CHECKSUMS_MISSING', 'cannot read CHECKSUMS: file does not exist', { path: file });
    throw err;
  }
  try {
    const block = Buffer.allocUnsafe(HASH_BLOCK);
    let carry = Buffer.alloc(0);
    let lineNo = 0;
    for (;;) {
      const n = readSync(fd, block, 0, block.length, null);
      const data = carry.length === 0 ? block.subarray(0, n) : Buffer.concat([carry, block.subarray(0, n)]);
      let start = 0;
      for (;;) {
        const end = data.indexOf(0x0a, start);
        if (end < 0) break;
        const row = parseChecksumLine(data.subarray(start, end), ++lineNo, shownPath, true);
        start = end + 1;
        if (row !== undefined) yield row;
      }
      carry = Buffer.from(data.subarray(start));
      if (carry.length > MAX_VERIFY_LINE + 1) throw malformed(shownPath, lineNo + 1, 'line too long');
      if (n === 0) break;
    }
    if (carry.length > 0) {
      const row = parseChecksumLine(carry, ++lineNo, shownPath, true);
      if (row !== undefined) yield row;
    }
  } finally {
    closeSync(fd);
  }
}

function malformed(path: string, line: number, why: string): DataError {
  return new DataError('CHECKSUMS_MALFORMED', `malformed CHECKSUMS line: ${why}`, { path, line });
}

function unescapePath(b: Buffer, path: string, line: number): Buffer {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const n = b[i + 1];
    if (n === 0x6e) out.push(0x0a);
    else if (n === 0x72) out.push(0x0d);
    else if (n === 0x5c) out.push(0x5c);
    else throw malformed(path, line, 'dangling or unknown escape');
    i++;
  }
  return Buffer.from(out);
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/** Go filepath.IsLocal on Unix plus the reference's extra rules: relative, no `..` escape, not empty or `.`. */
function checkLocalPath(rel: Buffer, path: string, line: number): void {
  const s = rel.toString('latin1');
  if (s === '.' || s === '') throw malformed(path, line, 'path is empty or "."');
  if (s.startsWith('/')) throw traversal(path, line, s);
  let depth = 0;
  for (const part of s.split('/')) {
    if (part === '..') {
      depth--;
      if (depth < 0) throw traversal(path, line, s);
    } else if (part !== '' && part !== '.') {
      depth++;
    }
    if (WINDOWS_RESERVED.test(part)) throw traversal(path, line, s);
  }
}

function traversal(path: string, line: number, rel: string): DataError {
  return new DataError('CHECKSUMS_PATH_TRAVERSAL', `CHECKSUMS path escapes dump root: ${JSON.stringify(rel)}`, { path, line });
}

/** How many unlisted files a verification reports by name (all of them are counted). */
const UNLISTED_SHOWN = 100;

export interface VerifyResult {
  /** CHECKSUMS rows checked (with onProblem, failing ones included). */
  readonly verified: number;
  /** The first (in path order) regular files on disk that CHECKSUMS does not list (CHECKSUMS itself excluded). */
  readonly unlisted: Buffer[];
  /** How many such files there are. */
  readonly unlistedCount: number;
}

/**
 * VerifyChecksums plus a scan for files CHECKSUMS does not list. Stops at the first mismatch, unless `onProblem`
 * is given: then each mismatching, missing or refused file is handed to it and the check goes on. Streams:
 * CHECKSUMS is read a block at a time, and the listed paths and the files on disk meet in a merge of two sorted
 * streams.
 */
export async function verifyChecksums(
  root: string,
  onFile?: (rel: Buffer) => void,
  spill?: WalkSpill,
  onProblem?: (problem: EkvError) => void,
): Promise<VerifyResult> {
  let own: OwnTempDir | undefined;
  let scratch: WalkSpill;
  if (spill === undefined) {
    own = ownTempDir('ekv-verify-');
    scratch = { scratchDir: own.path, memoryBudget: DEFAULT_WALK_BUDGET };
  } else scratch = spill;
  const listed = new ExternalSorter({
    scratchDir: join(scratch.scratchDir, `listed-${randomBytes(6).toString('hex')}`),
    memoryBudget: scratch.memoryBudget,
  });
  try {
    let verified = 0;
    const guard = new SymlinkGuard(root);
    let previous: Buffer | undefined;
    for await (const row of readChecksumRows(`${root}/${CHECKSUMS_FILE}`, CHECKSUMS_FILE)) {
      onFile?.(row.rel);
      const shown = showPath(row.rel);
      await listed.add(normalizeRel(row.rel), EMPTY);
      verified++;
      try {
        const before = previous;
        previous = row.rel;
        const order = before === undefined ? -1 : Buffer.compare(before, row.rel);
        if (order === 0)
          throw new DataError('CHECKSUMS_DUPLICATE', `backup: CHECKSUMS lists ${JSON.stringify(shown)} twice`, {
            path: CHECKSUMS_FILE,
            line: row.line,
          });
        if (order > 0 && before !== undefined)
          throw new DataError(
            'CHECKSUMS_UNSORTED',
            `backup: CHECKSUMS is not sorted by path: ${JSON.stringify(shown)} after ${JSON.stringify(showPath(before))}`,
            { path: CHECKSUMS_FILE, line: row.line },
          );
        guard.check(row.rel, shown);
        const abs = Buffer.concat([Buffer.from(root + '/'), row.rel]);
        let actual: string;
        try {
          actual = await sha256File(abs, shown);
        } catch (err) {
          if (isEkvError(err) && err.code === 'TREE_MISSING')
            throw new DataError('CHECKSUM_MISMATCH', `checksum mismatch: ${shown}: missing on disk`, { path: shown });
          throw err;
        }
        if (actual !== row.hex)
          throw new DataError('CHECKSUM_MISMATCH', `checksum mismatch: ${shown}: have ${actual} want ${row.hex}`, {
            path: shown,
          });
      } catch (err) {
        if (onProblem === undefined || !isEkvError(err) || err.exitClass !== 'data') throw err;
        onProblem(err);
      }
    }
    if (verified === 0)
      throw new DataError('CHECKSUMS_EMPTY', 'CHECKSUMS contains no checksum rows', { path: CHECKSUMS_FILE });
    const unlisted: Buffer[] = [];
    let unlistedCount = 0;
    const names = listed.sorted()[Symbol.asyncIterator]();
    let next = await names.next();
    for await (const { rel: r } of walkSorted(root, { spill: scratch, other: refuseSpecial })) {
      if (r.length === CHECKSUMS_FILE.length && r.toString('latin1') === CHECKSUMS_FILE) continue;
      while (!next.done && Buffer.compare(next.value.key, r) < 0) next = await names.next();
      if (!next.done && Buffer.compare(next.value.key, r) === 0) continue;
      unlistedCount++;
      if (unlisted.length < UNLISTED_SHOWN) unlisted.push(r);
    }
    await names.return(undefined);
    return { verified, unlisted, unlistedCount };
  } finally {
    await listed.dispose();
    if (own !== undefined) {
      removeTree(own.path);
      own.forget();
    }
  }
}

/** A listed path as the walk spells it: `.`, `..` and repeated slashes resolved (what opening it reaches). */
function normalizeRel(rel: Buffer): Buffer {
  const s = rel.toString('latin1');
  const n = posix.normalize(s);
  return n === s ? rel : Buffer.from(n, 'latin1');
}

/**
 * Refuses a listed path that goes through a symlink (any component, the file included). CHECKSUMS is sorted, so
 * consecutive rows share their directory: the last directory found clean is remembered and only the file
 * itself is checked below it.
 */
class SymlinkGuard {
  readonly #root: string;
  #cleanDir: string | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  check(rel: Buffer, shown: string): void {
    const parts = rel.toString('latin1').split('/');
    const dir = parts.slice(0, -1).join('/');
    const from = dir === this.#cleanDir ? parts.length - 1 : 0;
    let prefix = this.#root;
    for (let i = 0; i < parts.length; i++) {
      prefix = `${prefix}/${parts[i] as string}`;
      if (i < from) continue;
      let st;
      try {
        st = lstatSync(Buffer.from(prefix, 'latin1'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      if (st.isSymbolicLink()) throw new DataError('CHECKSUMS_SYMLINK_ESCAPE', 'CHECKSUMS path traverses a symlink', { path: shown });
      if (i === parts.length - 2) this.#cleanDir = dir;
    }
  }
}
