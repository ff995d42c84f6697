// verify: checks a dump tree (MANIFEST.json, every CHECKSUMS row, files CHECKSUMS does not list) or a `.fsm`
// (every entry well-formed, the CRC footer, the SHA-256 and header recorded in its encode_info sidecar), and
// reports every problem found, not only the first, as `sha256sum -c` does.

import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { DataErrorCode } from '../error-codes.ts';
import { isEkvError, UserError, type EkvError } from '../errors.ts';
import { readRegularSync } from '../fs/safe-open.ts';
import { openSnapshotInput, type SnapshotInput } from '../snapshot/input.ts';
import { SnapshotReader, type ContainerInfo } from '../snapshot/reader.ts';
import { verifyChecksums } from '../tree/checksums.ts';
import { ENCODE_INFO_MAX_BYTES, encodeInfoPath, parseEncodeInfo } from '../tree/encode-info.ts';
import { readManifestOf } from './encode.ts';

/** One problem verify found in the data: its code, the file and the message. */
export interface VerifyProblem {
  readonly code: DataErrorCode;
  /** The file concerned (relative to the tree root for files of a tree). */
  readonly path: string;
  readonly message: string;
}

/** Options of `verifyPath`, `verifyTree` and `verifyFsm`. */
export interface VerifyOptions {
  /** Problems kept in `problems` (all are counted in `problemCount`); default 1000, at least 1. */
  readonly keep?: number;
  /** Called for each CHECKSUMS row checked (tree) or with the bytes read so far (`.fsm`). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What verify checked and every problem it found (data problems are returned, not thrown). */
export interface VerifyResult {
  readonly kind: 'tree' | 'fsm';
  readonly input: string;
  /** Tree: CHECKSUMS rows checked. `.fsm`: entries read. */
  readonly checked: number;
  readonly problems: readonly VerifyProblem[];
  readonly problemCount: number;
  /** `.fsm` only. */
  readonly container?: ContainerInfo;
  readonly sha256?: string;
  /** `.fsm` only: the sidecar compared with, when there is one. */
  readonly sidecar?: { readonly path: string; readonly selfTest: 'matched' | 'mismatched' | 'not run' };
}

class Problems {
  readonly list: VerifyProblem[] = [];
  count = 0;
  readonly #keep: number;
  constructor(keep: number) {
    this.#keep = keep;
  }
  add(code: DataErrorCode, path: string, message: string): void {
    this.count++;
    if (this.list.length < this.#keep) this.list.push({ code, path, message });
  }
  addError(err: EkvError, fallbackPath: string): void {
    this.add(err.code as DataErrorCode, err.context.path ?? fallbackPath, err.message);
  }
}

/** Verifies a dump tree (a directory) or a `.fsm` file. Problems with the data are returned, not thrown. */
export async function verifyPath(input: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const st = await fsp.stat(input).catch(() => undefined);
  if (st === undefined) throw new UserError('INPUT_MISSING', 'input does not exist', { path: input });
  return st.isDirectory() ? verifyTree(input, opts) : verifyFsm(input, opts);
}

/** Verifies a dump tree against its MANIFEST.json and CHECKSUMS, including files CHECKSUMS does not list. */
export async function verifyTree(root: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const problems = new Problems(Math.max(1, opts.keep ?? 1000));
  try {
    await readManifestOf(root);
  } catch (err) {
    if (!isEkvError(err) || err.exitClass !== 'data') throw err;
    problems.addError(err, 'MANIFEST.json');
  }
  let checked = 0;
  try {
    const res = await verifyChecksums(
      root,
      () => opts.onProgress?.(++checked, 0),
      undefined,
      (p) => {
        problems.addError(p, root);
      },
    );
    checked = res.verified;
    for (const rel of res.unlisted) problems.add('CHECKSUMS_UNLISTED_FILE', rel.toString('utf8'), `${rel.toString('utf8')}: not listed in CHECKSUMS`);
    for (let i = res.unlisted.length; i < res.unlistedCount; i++) problems.add('CHECKSUMS_UNLISTED_FILE', root, 'not listed in CHECKSUMS');
  } catch (err) {
    if (!isEkvError(err) || err.exitClass !== 'data') throw err;
    problems.addError(err, 'CHECKSUMS');
  }
  return { kind: 'tree', input: root, checked, problems: problems.list, problemCount: problems.count };
}

/** Verifies a `.fsm` end to end, and against its `.encode_info.json` sidecar when there is one. */
export async function verifyFsm(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const input = await openSnapshotInput(path);
  try {
    return await verifyInput(path, input, opts);
  } finally {
    input.close();
  }
}

async function verifyInput(path: string, input: SnapshotInput, opts: VerifyOptions): Promise<VerifyResult> {
  const problems = new Problems(Math.max(1, opts.keep ?? 1000));
  const hash = createHash('sha256');
  const hashed = (async function* () {
    for await (const chunk of input.source) {
      hash.update(chunk);
      yield chunk;
    }
  })();
  const reader = new SnapshotReader(hashed, {
    path,
    onBytes: () => opts.onProgress?.(input.sourceBytesRead(), input.size ?? 0),
  });
  let entries = 0;
  let lastCommitTs: bigint | undefined;
  try {
    lastCommitTs = (await reader.header()).lastCommitTs;
    for await (const batch of reader.batches()) for (const rec of batch) if (rec.type === 'entry') entries++;
  } catch (err) {
    // A malformed snapshot cannot be read past its first error: that one problem is the report.
    if (!isEkvError(err) || err.exitClass !== 'data') throw err;
    problems.addError(err, path);
    return { kind: 'fsm', input: path, checked: entries, problems: problems.list, problemCount: problems.count };
  }
  const sha256 = hash.digest('hex');
  const sidecarPath = encodeInfoPath(path);
  let sidecar: VerifyResult['sidecar'];
  let bytes: Buffer | undefined;
  try {
    bytes = readEncodeInfo(sidecarPath);
  } catch (err) {
    if (!isEkvError(err) || err.exitClass !== 'data') throw err;
    problems.addError(err, sidecarPath);
  }
  if (bytes !== undefined) {
    try {
      const info = parseEncodeInfo(bytes, sidecarPath);
      if (info.outputFsmSha256.toLowerCase() !== sha256) problems.add('FSM_SHA256_MISMATCH', path, `${path}: SHA-256 ${sha256} differs from output_fsm_sha256 ${info.outputFsmSha256} in the sidecar`);
      if (info.lastCommitTs !== lastCommitTs) problems.add('FSM_HEADER_MISMATCH', path, `${path}: header last_commit_ts ${lastCommitTs} differs from the sidecar's ${info.lastCommitTs}`);
      sidecar = { path: sidecarPath, selfTest: info.selfTest.ran ? (info.selfTest.matched ? 'matched' : 'mismatched') : 'not run' };
    } catch (err) {
      if (!isEkvError(err) || err.exitClass !== 'data') throw err;
      problems.addError(err, sidecarPath);
    }
  }
  return {
    kind: 'fsm',
    input: path,
    checked: entries,
    problems: problems.list,
    problemCount: problems.count,
    container: reader.container as ContainerInfo,
    sha256,
    ...(sidecar !== undefined ? { sidecar } : {}),
  };
}

/** The encode_info sidecar beside a `.fsm`, or undefined when there is none; anything else there is an error. */
function readEncodeInfo(path: string): Buffer | undefined {
  try {
    return readRegularSync(path, ENCODE_INFO_MAX_BYTES, { role: 'encode-info' });
  } catch (err) {
    if (isEkvError(err) && err.code === 'ENCODE_INFO_MISSING') return undefined;
    throw err;
  }
}
