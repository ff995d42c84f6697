// Encode orchestration: dump tree → .fsm (spec core.md §4, §5.3).
//
// MANIFEST gate → producer-mode guards → adapters emit rows (ENCODE_ORDER) → MVCC stamping with one commit
// timestamp T → external sort by encoded key → snapshot writer into `<output>.tmp-<random>` (SHA-256 tee,
// fsync) → optional self-test (decode the temp file into scratch, compare the selected adapters' subtrees
// with the input and the header T) → rename into place and fsync the directory. A failure at any step removes
// the temp file and leaves an earlier `<output>` untouched; a self-test mismatch publishes nothing.

import { closeSync, mkdtempSync, promises as fsp, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeSwitchesOf, encodeSwitchesOf } from '../adapters/options.ts';
import { type Adapter, type EncodeSwitches, type WarnSink } from '../adapters/adapter.ts';
import { ALL_ADAPTERS, ENCODE_ORDER, type AdapterName } from '../adapters/registry.ts';
import { DataError, isEkvError, UserError } from '../errors.ts';
import { MAX_ENCODED_KEY, MAX_ENCODED_VALUE, TS_SUFFIX_SIZE, VALUE_HEADER_SIZE } from '../snapshot/format.ts';
import { encodeMvccKey, encodeMvccValue } from '../snapshot/mvcc.ts';
import { SnapshotWriter } from '../snapshot/writer.ts';
import { ExternalSorter } from '../sort/external-sort.ts';
import { MemoryPool } from '../sort/memory-pool.ts';
import { MANIFEST_FILE, parseManifest, type Manifest } from '../tree/manifest.ts';
import { checkOutputFile, checkOutputParent, checkOutsideTree, fsyncDir, randomHex, type OverwritePolicy } from '../tree/publish.ts';
import { TreeReader, unexpectedEntry, type TreeFile } from '../tree/reader.ts';
import { showRel } from '../tree/paths.ts';
import { DEFAULT_MEMORY_BUDGET, decodeInto } from './decode.ts';
import { SelfTestTree } from './self-test-tree.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { assertNotInterrupted, trackTemp } from '../tree/temp-paths.ts';
import type { EncodeInfo } from '../tree/encode-info.ts';
import { formatRfc3339Nano } from '../tree/wall-time.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { WrittenFileDigest } from '../fs/file-digest.ts';
import { WritesBehind } from '../fs/writes-behind.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

/**
 * Where an encode is. `done`/`total` count rows in the collect and write phases (collect has no total yet:
 * `total` is 0) and snapshot bytes read back in the self-test phase; then the self-test's decoders write what they
 * regrouped, compared file by file with the input (`self-test-finalize`: files so far, no total), and the input
 * tree is checked for files the decode did not yield (`self-test-compare`, no counts).
 */
export interface EncodeProgress {
  readonly phase: 'collect' | 'write' | 'self-test' | 'self-test-finalize' | 'self-test-compare';
  readonly rows: number;
  readonly bytesWritten: number;
  readonly done: number;
  readonly total: number;
}

/** What to encode, where to, and how; only `input` and `output` are required. */
export interface EncodeSnapshotOptions {
  /** Dump root (holds MANIFEST.json). */
  readonly input: string;
  /** Destination `.fsm`; published atomically. */
  readonly output: string;
  /** Every adapter the build knows. Default: all built-in adapters. */
  readonly adapters?: readonly Adapter[];
  /** Adapters to encode. Default: every adapter in `adapters`. */
  readonly selected?: readonly AdapterName[];
  /** Commit timestamp override; must not be below the manifest's last_commit_ts. */
  readonly lastCommitTs?: bigint;
  readonly selfTest?: boolean;
  /** Encode a dump decoded with `--include`/`--exclude` (MANIFEST.json `filter`), which holds part of a snapshot. */
  readonly allowPartial?: boolean;
  /** Base directory of the self-test scratch (default: the OS temp directory). */
  readonly scratchRoot?: string;
  /** Directory for sort spill files (default: next to the output). */
  readonly sortScratchRoot?: string;
  readonly memoryBudget?: number;
  /**
   * The budget every external sorter of the encode shares (the row sorter and each adapter's); default: a pool of
   * `memoryBudget`. Pass one to read its `peak` afterwards.
   */
  readonly memoryPool?: MemoryPool;
  readonly warn?: WarnSink;
  readonly onProgress?: (p: EncodeProgress) => void;
  /** What may already be at `output` (default: nothing). */
  readonly overwrite?: OverwritePolicy;
  /** Test seam: runs after the temp file is complete and before the self-test reads it. */
  readonly afterWrite?: (tmpPath: string) => Promise<void>;
}

/** What an encode produced: rows, bytes, SHA-256, the commit timestamp used and the self-test verdict. */
export interface EncodeResult {
  readonly manifest: Manifest;
  readonly lastCommitTs: bigint;
  readonly lastCommitTsOverridden: boolean;
  readonly adaptersEnabled: readonly AdapterName[];
  readonly rows: number;
  readonly bytesWritten: number;
  /** Lower-case hex SHA-256 of the produced bytes (also when they were not published). */
  readonly sha256: string;
  readonly selfTest: { readonly ran: boolean; readonly matched: boolean; readonly mismatchText: string };
  /** True when `output` now holds the result. */
  readonly published: boolean;
}

/** The ENCODE_INFO sidecar of an encode of `input` to `output` (the self-test's outcome as given). */
export function encodeInfoOf(
  input: string,
  output: string,
  r: EncodeResult,
  selfTest: EncodeInfo['selfTest'],
): EncodeInfo {
  return {
    formatVersion: 1,
    encoderVersion: PACKAGE_VERSION,
    encoderKeyFormatVersion: 1,
    wallTimeIso: formatRfc3339Nano(new Date()),
    inputRoot: input,
    outputFsmPath: output,
    outputFsmSha256: r.sha256,
    lastCommitTs: r.lastCommitTs,
    lastCommitTsOverridden: r.lastCommitTsOverridden,
    manifestLastCommitTs: r.manifest.lastCommitTs,
    manifestClusterId: r.manifest.clusterId,
    adaptersEnabled: r.adaptersEnabled,
    selfTest,
  };
}

/** Reads and gates MANIFEST.json: a missing file is an operator error, a bad one a data error. */
export async function readManifestOf(input: string): Promise<Manifest> {
  const st = await fsp.stat(input).catch(() => undefined);
  if (st === undefined) throw new UserError('INPUT_MISSING', 'input dump root does not exist', { path: input });
  if (!st.isDirectory()) throw new UserError('INPUT_NOT_DIR', 'input dump root is not a directory', { path: input });
  const path = join(input, MANIFEST_FILE);
  let bytes: Buffer;
  try {
    bytes = await new TreeReader(input).readFile(MANIFEST_FILE, 16 * 1024 * 1024);
  } catch (err) {
    if (isEkvError(err) && err.code === 'TREE_MISSING') throw new UserError('MANIFEST_MISSING', 'MANIFEST.json not found; is this a dump root?', { path });
    throw err;
  }
  const manifest = parseManifest(bytes, path);
  // Encode never reads CHECKSUMS; a directory in its place is still a damaged tree, not something to pass over.
  if ((await new TreeReader(input).kind('CHECKSUMS')) === 'dir') throw unexpectedEntry('CHECKSUMS', 'a directory where the CHECKSUMS file belongs');
  return manifest;
}

/** The effective commit timestamp: the override when given (never below the manifest's), else the manifest's. */
function resolveCommitTs(manifestTs: bigint, override: bigint | undefined): bigint {
  if (override === undefined) return manifestTs;
  if (override < manifestTs) {
    throw new DataError(
      'LAST_COMMIT_TS_REGRESSION',
      `--last-commit-ts T < manifest.last_commit_ts (HLC ceiling regression): --last-commit-ts ${override} < manifest ${manifestTs}`,
    );
  }
  return override;
}

/** What an encode will do, decided before anything is written. */
export interface EncodePlan {
  readonly manifest: Manifest;
  readonly lastCommitTs: bigint;
  readonly switches: EncodeSwitches;
  readonly enabled: readonly AdapterName[];
  readonly adapters: readonly Adapter[];
}

/**
 * Every check before anything is written: MANIFEST gate, the output path (parent exists, nothing there the
 * overwrite policy forbids, not inside the input tree), adapter scopes, the commit-timestamp floor, and the
 * adapters' producer-mode guards.
 */
export async function planEncode(opts: EncodeSnapshotOptions): Promise<EncodePlan> {
  const known = opts.adapters ?? ALL_ADAPTERS;
  const selected = opts.selected ?? known.map((a) => a.name);
  if (selected.length === 0) throw new UserError('NO_ADAPTERS', 'no adapter selected');
  const manifest = await readManifestOf(opts.input);
  await checkOutputParent(opts.output);
  await checkOutputFile(opts.output, opts.overwrite ?? 'never');
  await checkOutsideTree(opts.input, opts.output);
  for (const name of selected) {
    if (manifest.adapters?.[name] === undefined) {
      throw new DataError(
        'ADAPTER_NOT_IN_MANIFEST',
        `adapter "${name}" selected but MANIFEST.json has no scope for it (use --adapter to restrict, or re-dump including this adapter)`,
        { path: join(opts.input, MANIFEST_FILE) },
      );
    }
  }
  if (manifest.filter !== undefined && opts.allowPartial !== true) {
    const clauses = [...manifest.filter.include.map((c) => `--include ${c}`), ...manifest.filter.exclude.map((c) => `--exclude ${c}`)].join(' ');
    throw new UserError(
      'ENCODE_PARTIAL_DUMP',
      `the dump was decoded with a filter (${clauses}) and holds only part of the snapshot; a node restored from it would lose the rest (pass --allow-partial to encode it anyway)`,
      { path: join(opts.input, MANIFEST_FILE) },
    );
  }
  const lastCommitTs = resolveCommitTs(manifest.lastCommitTs, opts.lastCommitTs);
  const switches = encodeSwitchesOf(known, manifest);
  const enabled = ENCODE_ORDER.filter((n) => selected.includes(n));
  const adapters = enabled.map((n) => {
    const a = known.find((x) => x.name === n);
    if (a === undefined) throw new UserError('UNKNOWN_ADAPTER', `adapter ${n} is not available in this build`);
    return a;
  });
  for (const a of adapters) a.checkEncodable(switches);
  return { manifest, lastCommitTs, switches, enabled, adapters };
}

/**
 * Encodes the dump tree at `opts.input` into a `.fsm` at `opts.output`, published atomically (and only when
 * the self-test, if asked for, matched). `plan` is the result of `planEncode` when the caller already made one.
 */
export async function encodeSnapshot(opts: EncodeSnapshotOptions, plan?: EncodePlan): Promise<EncodeResult> {
  const { manifest, lastCommitTs: T, switches, enabled, adapters } = plan ?? (await planEncode(opts));
  const budget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  const sortRoot = join(opts.sortScratchRoot ?? dirname(opts.output), `.encode-sort-${randomHex()}`);
  const tmpPath = `${opts.output}.tmp-${randomHex()}`;
  const forget = [trackTemp(sortRoot), trackTemp(tmpPath)];
  let published = false;
  try {
    // One budget for the row sorter and every adapter's sorters, which fill at the same time.
    const pool = opts.memoryPool ?? new MemoryPool(budget);
    const sorter = new ExternalSorter({ scratchDir: join(sortRoot, 'rows'), pool });
    // Each row's MVCC key and (small) value are composed in reused buffers: the sorter copies them as it adds.
    let keyBuf = Buffer.allocUnsafe(1024);
    const valueBuf = Buffer.allocUnsafe(64 * 1024);
    const ts = encodeMvccKey(Buffer.alloc(0), T);
    let rows = 0;
    let rowsWritten = 0;
    const report = (phase: EncodeProgress['phase'], bytesWritten: number, done: number, total: number): void =>
      opts.onProgress?.({ phase, rows, bytesWritten, done, total });
    report('collect', 0, 0, 0);
    for (const a of adapters) {
      let sorters = 0;
      await a.encode({
        tree: new TreeReader(opts.input),
        switches,
        warn: opts.warn ?? (() => undefined),
        scratchDir: join(sortRoot, a.name),
        memoryBudget: Math.floor(budget / 4),
        newSorter: () => new ExternalSorter({ scratchDir: join(sortRoot, a.name, `sort-${sorters++}`), pool }),
        emit: (userKey, userValue) => {
          checkRow(userKey, userValue.length);
          rows++;
          if ((rows & 0xffff) === 0) report('collect', 0, rows, 0);
          const kl = userKey.length + TS_SUFFIX_SIZE;
          if (keyBuf.length < kl) keyBuf = Buffer.allocUnsafe(2 * kl);
          keyBuf.set(userKey, 0);
          keyBuf.set(ts, userKey.length);
          const vl = userValue.length + VALUE_HEADER_SIZE;
          if (vl > valueBuf.length) return sorter.add(keyBuf.subarray(0, kl), encodeMvccValue(userValue));
          valueBuf.fill(0, 0, VALUE_HEADER_SIZE);
          valueBuf.set(userValue, VALUE_HEADER_SIZE);
          return sorter.add(keyBuf.subarray(0, kl), valueBuf.subarray(0, vl));
        },
        emitFile: (userKey, head, file, offset, length) => {
          checkRow(userKey, head.length + length);
          rows++;
          if ((rows & 0xffff) === 0) report('collect', 0, rows, 0);
          return sorter.add(Buffer.concat([userKey, ts]), fileRowValue(head, file, offset, length));
        },
      });
    }

    const files = new FoundFiles(new TreeReader(opts.input));
    const fh = await fsp.open(tmpPath, 'w', 0o600);
    const digest = new WrittenFileDigest(tmpPath);
    const out = new WritesBehind(fh, (upTo) => {
      digest.written(upTo);
    });
    let writer: SnapshotWriter;
    let sha256: string;
    try {
      writer = new SnapshotWriter({
        write: async (chunk) => {
          digest.chunk(chunk);
          await out.write(chunk);
          report('write', writer.bytesWritten, rowsWritten, rows);
        },
      });
      await writer.writeHeader(T);
      for await (const r of sorter.sorted()) {
        if (r.value[0] === FILE_ROW) await writeFileRow(writer, r.key, r.value, files);
        else await writer.writeEntry(r.key, r.value);
        rowsWritten++;
      }
      await writer.flush();
      await out.settle();
      await fh.sync();
      sha256 = await digest.digest();
    } finally {
      files.close();
      await out.settle().catch(() => undefined);
      await fh.close();
      await digest.close();
    }
    await opts.afterWrite?.(tmpPath);

    let selfTest = { ran: false, matched: false, mismatchText: '' };
    if (opts.selfTest === true) {
      const fileBytes = writer.bytesWritten;
      report('self-test', fileBytes, 0, fileBytes);
      const mismatchText = await runSelfTest(opts, manifest, enabled, tmpPath, T, pool, (phase, done) => { report(phase, fileBytes, done, phase === 'self-test' ? fileBytes : 0); });
      selfTest = { ran: true, matched: mismatchText === '', mismatchText };
    }
    // An interrupt removes the self-test's scratch while it runs: its verdict, and anything after, is void.
    assertNotInterrupted(opts.output);
    if (!selfTest.ran || selfTest.matched) {
      // Checked again right before the rename: something may have appeared at the path during the run.
      await checkOutputFile(opts.output, opts.overwrite ?? 'never');
      await fsp.rename(tmpPath, opts.output);
      published = true;
      try {
        await fsyncDir(dirname(opts.output));
      } catch (err) {
        await fsp.rm(opts.output, { force: true });
        published = false;
        throw err;
      }
    }
    return {
      manifest,
      lastCommitTs: T,
      lastCommitTsOverridden: opts.lastCommitTs !== undefined,
      adaptersEnabled: enabled,
      rows,
      bytesWritten: writer.bytesWritten,
      sha256,
      selfTest,
      published,
    };
  } finally {
    if (!published) await fsp.rm(tmpPath, { force: true });
    removeTree(sortRoot);
    for (const f of forget) f();
  }
}

/** Refuses a row whose encoded key or value would exceed the snapshot's caps. */
function checkRow(userKey: Uint8Array, userValueLength: number): void {
  if (userKey.length + TS_SUFFIX_SIZE > MAX_ENCODED_KEY) {
    throw new DataError('ENCODE_KEY_TOO_LARGE', `encoded key length exceeds limit: length ${userKey.length + TS_SUFFIX_SIZE} > ${MAX_ENCODED_KEY}`, { key: userKey.subarray(0, 64) });
  }
  if (userValueLength + VALUE_HEADER_SIZE > MAX_ENCODED_VALUE) {
    throw new DataError('ENCODE_VALUE_TOO_LARGE', `encoded value length exceeds limit: length ${userValueLength + VALUE_HEADER_SIZE} > ${MAX_ENCODED_VALUE}`, { key: userKey });
  }
}

// A row emitted with emitFile goes through the sorter as a reference to its bytes, not the bytes themselves:
// FILE_ROW | f64 dev | f64 ino | f64 size | f64 mtimeMs | f64 offset | f64 length | LE32 head length | head | path.
// Every other row's sorted value is its MVCC value, whose first byte (flags) the encoder always writes as 0.
const FILE_ROW = 0x01;
const FILE_ROW_FIXED = 1 + 6 * 8 + 4;

function fileRowValue(head: Uint8Array, file: TreeFile, offset: number, length: number): Buffer {
  const rel = typeof file.rel === 'string' ? Buffer.from(file.rel, 'utf8') : file.rel;
  const out = Buffer.allocUnsafe(FILE_ROW_FIXED + head.length + rel.length);
  out[0] = FILE_ROW;
  [file.dev, file.ino, file.size, file.mtimeMs, offset, length].forEach((n, i) => out.writeDoubleLE(n, 1 + 8 * i));
  out.writeUInt32LE(head.length, FILE_ROW_FIXED - 4);
  out.set(head, FILE_ROW_FIXED);
  out.set(rel, FILE_ROW_FIXED + head.length);
  return out;
}

/** The tree files rows are read from as they are written; the last one stays open for the next row. */
class FoundFiles {
  readonly #tree: TreeReader;
  #open: { readonly file: TreeFile; readonly key: Buffer; readonly fd: number } | undefined;

  constructor(tree: TreeReader) {
    this.#tree = tree;
  }

  /** A descriptor of the file, checked to be the one found (kept open until another file or close()). */
  fd(file: TreeFile, key: Buffer): number {
    if (this.#open?.key.equals(key) === true) return this.#open.fd;
    this.close();
    const fd = this.#tree.openFound(file);
    this.#open = { file, key, fd };
    return fd;
  }

  close(): void {
    if (this.#open !== undefined) closeSync(this.#open.fd);
    this.#open = undefined;
  }
}

/** Writes a FILE_ROW row: the MVCC value header, the head, then the file's bytes read straight into the writer. */
async function writeFileRow(
  writer: SnapshotWriter,
  key: Uint8Array,
  value: Uint8Array,
  files: FoundFiles,
): Promise<void> {
  const v = asBuffer(value);
  const field = (i: number): number => v.readDoubleLE(1 + 8 * i);
  const [dev, ino, size, mtimeMs, offset, length] = [field(0), field(1), field(2), field(3), field(4), field(5)];
  const headLength = v.readUInt32LE(FILE_ROW_FIXED - 4);
  const rel = v.subarray(FILE_ROW_FIXED + headLength);
  const file: TreeFile = { rel, size, dev, ino, mtimeMs };
  const fd = files.fd(file, Buffer.concat([v.subarray(1, 33), rel]));
  const head = Buffer.alloc(VALUE_HEADER_SIZE + headLength);
  v.copy(head, VALUE_HEADER_SIZE, FILE_ROW_FIXED, FILE_ROW_FIXED + headLength);
  let at = offset;
  await writer.writeEntryFrom(key, head, length, (block, to, n) => {
    const got = readFullAt(fd, block, to, n, at);
    if (got !== n) throw new DataError('TREE_FILE_CHANGED', 'file changed between the read of the tree and the write of the snapshot', { path: showRel(rel) });
    at += n;
    return n;
  });
}

/** Reads n bytes at `position` of fd into dst at `at` (fewer only at the end of the file). */
function readFullAt(fd: number, dst: Buffer, at: number, n: number, position: number): number {
  let got = 0;
  while (got < n) {
    const r = readSync(fd, dst, at + got, n - got, position + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}

/** Decodes the produced file, comparing every file it yields with the input tree; returns the mismatch text. */
async function runSelfTest(
  opts: EncodeSnapshotOptions,
  manifest: Manifest,
  enabled: readonly AdapterName[],
  fsmPath: string,
  T: bigint,
  pool: MemoryPool,
  onProgress: (phase: 'self-test' | 'self-test-finalize' | 'self-test-compare', done: number) => void,
): Promise<string> {
  const base = opts.scratchRoot ?? tmpdir();
  const scratch = mkdtempSync(join(base, 'encode-self-test-')); // synchronous: tracked before an interrupt can act
  const forget = trackTemp(scratch);
  const budget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  const adapters = opts.adapters ?? ALL_ADAPTERS;
  const recordFiles = new Set(
    adapters.filter((a) => enabled.includes(a.name)).flatMap((a) => a.unorderedRecordFiles ?? []),
  );
  // The decode and the comparison's sorters reserve from the encode's pool (free again by now): one budget.
  const compared = new SelfTestTree(opts.input, enabled, { scratchDir: join(scratch, 'compare'), memoryBudget: Math.max(4096, Math.floor(budget / 4)) }, recordFiles, pool);
  try {
    let decoded;
    try {
      decoded = await decodeInto(
        {
          input: fsmPath,
          adapters,
          selected: enabled,
          versions: 'all',
          onProgress: (p) => {
            if (p.phase === 'read') onProgress('self-test', p.bytesRead);
            else onProgress('self-test-finalize', p.files);
          },
          ...(opts.memoryBudget !== undefined ? { memoryBudget: opts.memoryBudget } : {}),
          memoryPool: pool,
          switches: decodeSwitchesOf(adapters, manifest),
        },
        compared,
        join(scratch, 'decode'),
      );
    } catch (err) {
      return `self-test failed: DecodeSnapshot rejected the produced .fsm: ${(err as Error).message}`;
    }
    if (decoded.header.lastCommitTs !== T) {
      return `self-test failed: header.LastCommitTS mismatch (want ${T}, got ${decoded.header.lastCommitTs})\n`;
    }
    onProgress('self-test-compare', 0);
    return await compared.mismatches();
  } finally {
    await compared.dispose();
    removeTree(scratch);
    forget();
  }
}
