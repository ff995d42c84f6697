// Byte-for-byte comparison of adapter subtrees, for the encoder's self-test (spec core.md §4.6 step 6;
// elastickv: internal/backup/encode_snapshot.go (diffAdapterTrees, diffOneSubdir)).
//
// Per adapter, in the order given: regular files keyed by `/`-relative path (a missing directory counts as
// empty); lines `<adapter>/<rel> (missing in input|missing in scratch|bytes differ)` sorted bytewise per
// adapter; after an adapter, 64 or more lines are cut to 64 plus a truncation line.

import { promises as fsp } from 'node:fs';
import { listRegularFiles } from '../tree/checksums.ts';

export const MISMATCH_LIMIT = 64;

async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  let st;
  try {
    st = await fsp.lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  if (!st.isDirectory()) throw new Error(`self-test: ${dir} exists but is not a directory`);
  const files = await listRegularFiles(dir);
  return new Map(files.map((rel) => [rel.toString('latin1'), rel]));
}

async function sameBytes(a: Buffer, b: Buffer): Promise<boolean> {
  const [fa, fb] = await Promise.all([fsp.open(a, 'r'), fsp.open(b, 'r')]);
  try {
    const [sa, sb] = await Promise.all([fa.stat(), fb.stat()]);
    if (sa.size !== sb.size) return false;
    const size = 1024 * 1024;
    const ba = Buffer.allocUnsafe(size);
    const bb = Buffer.allocUnsafe(size);
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, size, null), fb.read(bb, 0, size, null)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** Returns the mismatch text (empty when the subtrees are identical). */
export async function diffAdapterTrees(inputRoot: string, scratchRoot: string, adapterDirs: readonly string[]): Promise<string> {
  const lines: Buffer[] = [];
  for (const dir of adapterDirs) {
    const [inFiles, outFiles] = await Promise.all([filesUnder(`${inputRoot}/${dir}`), filesUnder(`${scratchRoot}/${dir}`)]);
    const mine: Buffer[] = [];
    const line = (rel: Buffer, what: string): Buffer => Buffer.concat([Buffer.from(`${dir}/`), rel, Buffer.from(` (${what})`)]);
    for (const [key, rel] of outFiles) if (!inFiles.has(key)) mine.push(line(rel, 'missing in input'));
    for (const [key, rel] of inFiles) {
      if (!outFiles.has(key)) {
        mine.push(line(rel, 'missing in scratch'));
        continue;
      }
      const a = Buffer.concat([Buffer.from(`${inputRoot}/${dir}/`), rel]);
      const b = Buffer.concat([Buffer.from(`${scratchRoot}/${dir}/`), rel]);
      if (!(await sameBytes(a, b))) mine.push(line(rel, 'bytes differ'));
    }
    mine.sort(Buffer.compare);
    lines.push(...mine);
    if (lines.length >= MISMATCH_LIMIT) {
      lines.length = MISMATCH_LIMIT;
      lines.push(Buffer.from(`... (truncated; first ${MISMATCH_LIMIT} paths shown)`));
      break;
    }
  }
  if (lines.length === 0) return '';
  return Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])).toString('utf8');
}
