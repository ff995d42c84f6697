// The encoder's self-test tree: a TreeWriter that, instead of writing the decoded files, compares each one with
// the input tree's file at the same path as its bytes arrive (spec core.md §4.6 step 6; elastickv:
// internal/backup/encode_snapshot.go (diffAdapterTrees, diffOneSubdir) decodes into scratch and then diffs; the
// outcome is the same, without a second copy of the tree on disk or the time to write and remove it).
//
// Per adapter, in the order given: regular files keyed by `/`-relative path (a missing directory counts as
// empty); lines `<adapter>/<rel> (missing in input|missing in scratch|bytes differ)` sorted bytewise per
// adapter; after an adapter, 64 or more lines are cut to 64 plus a truncation line. Files outside the adapters'
// directories are not compared. A path written twice is judged by its last version.
//
// A KEYMAP.jsonl is a map, not a sequence: the reference writes several rename records of one scope in Go map
// order, which changes between runs. Its records (lines) are compared as sets, so any order (and repetition) of
// the same records matches; different records give `<path> (records differ)` (the reference compares bytes and
// fails on its own trees at random). Files an adapter declares as unordered records (TTL sidecars whose
// legacy-format lines follow the inline ones) are compared as multisets, in constant memory.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { isEkvError } from '../errors.ts';
import { openRegularSync } from '../fs/safe-open.ts';
import { ExternalSorter, lastPerKey } from '../sort/external-sort.ts';
import type { MemoryPool } from '../sort/memory-pool.ts';
import { refuseSpecial, walkSorted, type WalkSpill } from '../tree/walk.ts';
import { KEYMAP_FILE } from '../tree/keymap.ts';
import { absPath, checkRel, type RelPath } from '../tree/paths.ts';
import { SequentialSink, TreeWriterBase, type FileSink } from '../tree/writer.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

export const MISMATCH_LIMIT = 64;

const READ_BLOCK = 256 * 1024;
const SAME = Buffer.from('=');
const DIFFERENT = Buffer.from('!');
const NOT_IN_INPUT = Buffer.from('+');
const RECORDS_DIFFER = Buffer.from('~');
/** Refusals of the safe open that mean "the input tree has no regular file here". */
const ABSENT_IN_INPUT: ReadonlySet<string> = new Set(['TREE_MISSING', 'TREE_NOT_REGULAR', 'TREE_SYMLINK']);

/** Compares written bytes with an input file as they arrive. */
class ComparingSink extends SequentialSink {
  readonly #record: (verdict: Buffer) => Promise<void>;
  #fd: number | undefined;
  #inputSize = 0;
  #block: Buffer | undefined;
  #blockUsed = 0;
  #blockFill = 0;
  #differs = false;
  #closed = false;

  constructor(fd: number | undefined, record: (verdict: Buffer) => Promise<void>) {
    super();
    this.#fd = fd;
    this.#record = record;
    if (fd !== undefined) this.#inputSize = fstatSync(fd).size;
  }

  protected accept(b: Uint8Array): void {
    if (this.#fd === undefined || this.#differs) return;
    if (this.bytes > this.#inputSize) {
      this.#differs = true;
      return;
    }
    let off = 0;
    while (off < b.length) {
      if (this.#blockUsed === this.#blockFill) {
        this.#block ??= Buffer.allocUnsafe(Math.min(READ_BLOCK, Math.max(1, this.#inputSize)));
        this.#blockFill = readSync(this.#fd, this.#block, 0, this.#block.length, null);
        this.#blockUsed = 0;
        if (this.#blockFill === 0) {
          this.#differs = true;
          return;
        }
      }
      const n = Math.min(b.length - off, this.#blockFill - this.#blockUsed);
      if ((this.#block as Buffer).compare(b, off, off + n, this.#blockUsed, this.#blockUsed + n) !== 0) {
        this.#differs = true;
        return;
      }
      off += n;
      this.#blockUsed += n;
    }
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const present = this.#fd !== undefined;
    if (present) closeSync(this.#fd as number);
    this.#fd = undefined;
    const verdict = !present ? NOT_IN_INPUT : this.#differs || this.bytes !== this.#inputSize ? DIFFERENT : SAME;
    await this.#record(verdict);
  }
}

/** How the lines of a file of records are compared: what was produced, then what the input holds. */
interface RecordComparison {
  produced(line: string): void;
  input(line: string): void;
  /** After both sides: whether they hold the same records. */
  same(): boolean;
}

/**
 * KEYMAP.jsonl: a set of records (any order, repetition allowed). The produced records are held, as encode held them.
 */
class RecordSet implements RecordComparison {
  readonly #produced = new Set<string>();
  readonly #seen = new Set<string>();
  #extra = false;

  produced(line: string): void {
    this.#produced.add(line);
  }

  input(line: string): void {
    if (this.#produced.has(line)) this.#seen.add(line);
    else this.#extra = true;
  }

  same(): boolean {
    return !this.#extra && this.#seen.size === this.#produced.size;
  }
}

/**
 * A multiset of records in constant memory: the count and the lane-wise sum (mod 2^32 per lane) of each line's
 * SHA-256, a commutative digest that any order of the same lines gives and a changed, missing or extra line
 * changes.
 */
class RecordMultiset implements RecordComparison {
  readonly #sides = [new Uint32Array(9), new Uint32Array(9)] as const;

  static #add(acc: Uint32Array, line: string): void {
    const d = createHash('sha256').update(line, 'latin1').digest();
    for (let i = 0; i < 8; i++) acc[i] = ((acc[i] as number) + d.readUInt32LE(i * 4)) >>> 0;
    acc[8] = ((acc[8] as number) + 1) >>> 0;
  }

  produced(line: string): void {
    RecordMultiset.#add(this.#sides[0], line);
  }

  input(line: string): void {
    RecordMultiset.#add(this.#sides[1], line);
  }

  same(): boolean {
    return this.#sides[0].every((v, i) => v === this.#sides[1][i]);
  }
}

/** Compares a file of line records with the input's, order aside; the input file is read a block at a time. */
class RecordsComparingSink extends SequentialSink {
  readonly #record: (verdict: Buffer) => Promise<void>;
  readonly #records: RecordComparison;
  #fd: number | undefined;
  #partial: Buffer[] = [];
  #closed = false;

  constructor(fd: number | undefined, records: RecordComparison, record: (verdict: Buffer) => Promise<void>) {
    super();
    this.#fd = fd;
    this.#records = records;
    this.#record = record;
  }

  protected accept(b: Uint8Array): void {
    forEachLine(b, this.#partial, (line) => { this.#records.produced(line); });
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    endLines(this.#partial, (line) => { this.#records.produced(line); });
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return this.#record(NOT_IN_INPUT);
    const onInputLine = (line: string): void => { this.#records.input(line); };
    try {
      const block = Buffer.allocUnsafe(READ_BLOCK);
      const partial: Buffer[] = [];
      for (;;) {
        const n = readSync(fd, block, 0, block.length, null);
        if (n === 0) break;
        forEachLine(block.subarray(0, n), partial, onInputLine);
      }
      endLines(partial, onInputLine);
    } finally {
      closeSync(fd);
    }
    await this.#record(this.#records.same() ? SAME : RECORDS_DIFFER);
  }
}

/** Calls `each` with every complete line of `b` (without its `\n`), carrying an unfinished line in `partial`. */
function forEachLine(b: Uint8Array, partial: Buffer[], each: (line: string) => void): void {
  const buf = asBuffer(b);
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    partial.push(buf.subarray(start, nl));
    each(Buffer.concat(partial).toString('latin1'));
    partial.length = 0;
    start = nl + 1;
  }
  if (start < buf.length) partial.push(Buffer.from(buf.subarray(start)));
}

/** The last line when the file does not end in `\n`. */
function endLines(partial: Buffer[], each: (line: string) => void): void {
  if (partial.length > 0) each(Buffer.concat(partial).toString('latin1'));
  partial.length = 0;
}

/** Keeps the smallest `limit` lines of an unbounded stream of mismatch lines, in memory bounded by a few thousand. */
class SmallestLines {
  readonly #limit: number;
  #lines: Buffer[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(line: Buffer): void {
    this.#lines.push(line);
    if (this.#lines.length >= 64 * this.#limit) this.#trim();
  }

  #trim(): void {
    this.#lines.sort((a, b) => Buffer.compare(a, b));
    this.#lines.length = Math.min(this.#lines.length, this.#limit);
  }

  /** All lines when there were fewer than limit + 1, else the smallest limit + 1 (enough to know it overflowed). */
  take(): Buffer[] {
    this.#lines.sort((a, b) => Buffer.compare(a, b));
    return this.#lines.slice(0, this.#limit + 1);
  }
}

export class SelfTestTree extends TreeWriterBase {
  readonly #inputRoot: string;
  readonly #adapterDirs: readonly string[];
  readonly #spill: WalkSpill;
  readonly #recordFiles: ReadonlySet<string>;
  /** Verdicts per adapter directory, keyed by the path below it. */
  readonly #verdicts = new Map<string, ExternalSorter>();

  /**
   * `recordFiles`: base names of files whose lines are records in no defined order (the adapters'
   * `unorderedRecordFiles`), compared as multisets. The verdict sorters reserve from `pool` when one is given (the
   * budget of the run, shared with the decode that feeds them), else they share `spill.memoryBudget`; the input
   * tree's listings use `spill` either way.
   */
  constructor(
    inputRoot: string,
    adapterDirs: readonly string[],
    spill: WalkSpill,
    recordFiles: ReadonlySet<string> = new Set(),
    pool?: MemoryPool,
  ) {
    super();
    this.#inputRoot = inputRoot;
    this.#adapterDirs = adapterDirs;
    this.#spill = spill;
    this.#recordFiles = recordFiles;
    // The verdict sorters fill side by side: they share the budget.
    const each = Math.max(4096, Math.floor(spill.memoryBudget / Math.max(1, adapterDirs.length)));
    let n = 0;
    for (const dir of adapterDirs) {
      const scratchDir = `${spill.scratchDir}/verdicts-${n++}`;
      const sorter = new ExternalSorter(pool === undefined ? { scratchDir, memoryBudget: each } : { scratchDir, pool });
      this.#verdicts.set(dir, sorter);
    }
  }

  async mkdir(rel: RelPath): Promise<void> {
    checkRel(rel);
  }

  async create(rel: RelPath): Promise<FileSink> {
    const b = checkRel(rel);
    const slash = b.indexOf(0x2f);
    const sorter = slash < 0 ? undefined : this.#verdicts.get(b.subarray(0, slash).toString('latin1'));
    if (sorter === undefined) return new ComparingSink(undefined, async () => undefined);
    let fd: number | undefined;
    try {
      fd = openRegularSync(absPath(this.#inputRoot, b), { role: 'tree' }).fd;
    } catch (err) {
      // What the input tree holds at this path is not a regular file: the produced file has no counterpart.
      if (!isEkvError(err) || !ABSENT_IN_INPUT.has(err.code)) throw err;
    }
    const below = b.subarray(slash + 1);
    const record = async (verdict: Buffer): Promise<void> => {
      await sorter.add(below, verdict);
    };
    const name = below.subarray(below.lastIndexOf(0x2f) + 1).toString('latin1');
    if (name === KEYMAP_FILE) return new RecordsComparingSink(fd, new RecordSet(), record);
    if (this.#recordFiles.has(name)) return new RecordsComparingSink(fd, new RecordMultiset(), record);
    return new ComparingSink(fd, record);
  }

  /** After the decode: the mismatch text (empty when the selected adapters' subtrees are identical). */
  async mismatches(): Promise<string> {
    const lines: Buffer[] = [];
    for (const dir of this.#adapterDirs) {
      const mine = new SmallestLines(MISMATCH_LIMIT);
      const line = (rel: Buffer, what: string): Buffer =>
        Buffer.concat([Buffer.from(`${dir}/`), rel, Buffer.from(` (${what})`)]);
      // One verdict per path, the last written.
      const produced = lastPerKey((this.#verdicts.get(dir) as ExternalSorter).sorted());
      let p = await produced.next();
      for await (const inRel of inputFilesUnder(`${this.#inputRoot}/${dir}`, this.#spill)) {
        while (!p.done && Buffer.compare(p.value.key, inRel) < 0) {
          mine.add(line(p.value.key, 'missing in input'));
          p = await produced.next();
        }
        if (!p.done && p.value.key.equals(inRel)) {
          if (p.value.value.equals(DIFFERENT)) mine.add(line(inRel, 'bytes differ'));
          // A file absent when its bytes were produced but present now was created meanwhile: not the same bytes.
          else if (p.value.value.equals(NOT_IN_INPUT)) mine.add(line(inRel, 'bytes differ'));
          else if (p.value.value.equals(RECORDS_DIFFER)) mine.add(line(inRel, 'records differ'));
          p = await produced.next();
        } else {
          mine.add(line(inRel, 'missing in scratch'));
        }
      }
      for (; !p.done; p = await produced.next()) mine.add(line(p.value.key, 'missing in input'));
      lines.push(...mine.take());
      if (lines.length >= MISMATCH_LIMIT) {
        lines.length = MISMATCH_LIMIT;
        lines.push(Buffer.from(`... (truncated; first ${MISMATCH_LIMIT} paths shown)`));
        break;
      }
    }
    if (lines.length === 0) return '';
    return Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])).toString('utf8');
  }

  /** Removes the verdict run files. */
  async dispose(): Promise<void> {
    for (const s of this.#verdicts.values()) await s.dispose();
  }
}

/** Regular files under an input adapter directory in path order; a missing directory is empty. */
async function* inputFilesUnder(dir: string, spill: WalkSpill): AsyncGenerator<Buffer> {
  try {
    for await (const { rel } of walkSorted(dir, { spill, other: refuseSpecial })) yield rel;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new Error(`self-test: ${dir} exists but is not a directory`, { cause: err });
    throw err;
  }
}
