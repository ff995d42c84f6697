// Byte-for-byte comparison of adapter subtrees, for the encoder's self-test (spec core.md §4.6 step 6;
// elastickv: internal/backup/encode_snapshot.go (diffAdapterTrees, diffOneSubdir)).
//
// Per adapter, in the order given: regular files keyed by `/`-relative path (a missing directory counts as
// empty); lines `<adapter>/<rel> (missing in input|missing in scratch|bytes differ)` sorted bytewise per
// adapter; after an adapter, 64 or more lines are cut to 64 plus a truncation line.

import { closeSync, fstatSync, openSync, promises as fsp, readSync } from 'node:fs';
import { walkRegularFiles, type WalkSpill } from '../tree/checksums.ts';

export const MISMATCH_LIMIT = 64;

/** Regular files under dir in bytewise path order; a missing directory is empty. */
async function* filesUnder(dir: string, spill: WalkSpill | undefined): AsyncGenerator<Buffer> {
  let st;
  try {
    st = await fsp.lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isDirectory()) throw new Error(`self-test: ${dir} exists but is not a directory`);
  yield* walkRegularFiles(dir, spill);
}

const BLOCK = 1024 * 1024;
let blocks: [Buffer, Buffer] | undefined;

function sameBytes(a: Buffer, b: Buffer): boolean {
  const fa = openSync(a, 'r');
  try {
    const fb = openSync(b, 'r');
    try {
      if (fstatSync(fa).size !== fstatSync(fb).size) return false;
      blocks ??= [Buffer.allocUnsafe(BLOCK), Buffer.allocUnsafe(BLOCK)];
      const [ba, bb] = blocks;
      for (;;) {
        const ra = readSync(fa, ba, 0, BLOCK, null);
        const rb = readSync(fb, bb, 0, BLOCK, null);
        if (ra !== rb) return false;
        if (ra === 0) return true;
        if (!ba.subarray(0, ra).equals(bb.subarray(0, rb))) return false;
      }
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

/** A sorted merge join of two sorted path streams. */
async function* pairUp(left: AsyncGenerator<Buffer>, right: AsyncGenerator<Buffer>): AsyncGenerator<[Buffer | undefined, Buffer | undefined]> {
  let l = await left.next();
  let r = await right.next();
  while (!l.done || !r.done) {
    const c = l.done ? 1 : r.done ? -1 : Buffer.compare(l.value, r.value);
    if (c === 0) {
      yield [l.value as Buffer, r.value as Buffer];
      l = await left.next();
      r = await right.next();
    } else if (c < 0) {
      yield [l.value as Buffer, undefined];
      l = await left.next();
    } else {
      yield [undefined, r.value as Buffer];
      r = await right.next();
    }
  }
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
    this.#lines.sort(Buffer.compare);
    this.#lines.length = Math.min(this.#lines.length, this.#limit);
  }

  /** All lines when there were fewer than limit + 1, else the smallest limit + 1 (enough to know it overflowed). */
  take(): Buffer[] {
    this.#lines.sort(Buffer.compare);
    return this.#lines.slice(0, this.#limit + 1);
  }
}

/** Returns the mismatch text (empty when the subtrees are identical). */
export async function diffAdapterTrees(inputRoot: string, scratchRoot: string, adapterDirs: readonly string[], spill?: WalkSpill): Promise<string> {
  const lines: Buffer[] = [];
  for (const dir of adapterDirs) {
    const mine = new SmallestLines(MISMATCH_LIMIT);
    const line = (rel: Buffer, what: string): Buffer => Buffer.concat([Buffer.from(`${dir}/`), rel, Buffer.from(` (${what})`)]);
    for await (const [inRel, outRel] of pairUp(filesUnder(`${inputRoot}/${dir}`, spill), filesUnder(`${scratchRoot}/${dir}`, spill))) {
      if (inRel === undefined) mine.add(line(outRel as Buffer, 'missing in input'));
      else if (outRel === undefined) mine.add(line(inRel, 'missing in scratch'));
      else if (!sameBytes(Buffer.concat([Buffer.from(`${inputRoot}/${dir}/`), inRel]), Buffer.concat([Buffer.from(`${scratchRoot}/${dir}/`), inRel]))) {
        mine.add(line(inRel, 'bytes differ'));
      }
    }
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
