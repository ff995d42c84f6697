// `encode` / `elastickv-snapshot-encode`: dump tree → .fsm a stopped node can load, with the reference's
// contract (spec core.md §5.3): optional self-test, write-then-rename publish, `<output>.mismatch.txt` on a
// self-test mismatch, `<output>.encode_info.json` provenance sidecar, exit 1 for operator/environment errors
// and 2 for data-correctness errors.

import { promises as fsp } from 'node:fs';
import type { Adapter } from '../../adapters/adapter.ts';
import { DataError, quoteControl, UserError } from '../../errors.ts';
import { encodeInfoOf, encodeSnapshot, planEncode, type EncodeResult, type EncodeSnapshotOptions } from '../../pipeline/encode.ts';
import { encodeInfoPath, renderEncodeInfo } from '../../tree/encode-info.ts';
import { openSidecar, writeSidecar } from '../../tree/sidecar.ts';
import { checkOutputFile, checkOutputParent, fsyncDir } from '../../tree/publish.ts';
import { DEFAULT_ADAPTER_FLAG, parseAdapterSet } from '../adapter-set.ts';
import { commandFlags } from '../command.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs, type ParsedFlags } from '../go-flags.ts';
import type { OverwritePolicy } from '../../tree/publish.ts';
import type { CliIO } from '../io.ts';
import { humanBytes, startProgress, type PhaseTime } from '../progress.ts';
import { JSON_FLAG, writeSummary } from '../summary.ts';
import { parseSize } from '../size.ts';
import type { GoStruct } from '../../json/go-json.ts';
import { QUARANTINE_DIR } from '../../pipeline/quarantine.ts';
import { dirname } from 'node:path';
import { parseS3Url } from '../../offload/s3-config.ts';
import { S3_FLAGS, s3OptionsFromFlags } from '../../offload/s3-flags.ts';
import { flagValues } from '../adapter-flags.ts';

const ENCODE_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'DIR', help: 'dump root containing MANIFEST.json; extension: or an archive of one (a .tar, .tar.zst or .tzst file, or s3://bucket/key with the --s3-* flags), unpacked and checked as by `archive unpack` into a private directory under --scratch-root (default: next to --output) and removed afterwards (required)' },
  output: { type: 'string', value: 'FILE', help: 'destination .fsm path, published atomically (required)' },
  adapter: { type: 'string', value: 'LIST', default: DEFAULT_ADAPTER_FLAG, help: `adapters to encode: comma list of ${DEFAULT_ADAPTER_FLAG}, or "all"` },
  'last-commit-ts': { type: 'string', value: 'T', help: 'commit timestamp for the header and every key (decimal or 0x hex); must be >= the manifest\'s last_commit_ts' },
  'allow-partial': { type: 'bool', help: 'extension: encode a dump decoded with --include/--exclude (it holds part of the snapshot)' },
  'self-test': { type: 'bool', help: 'decode the result, comparing every file it yields with --input, before publishing' },
  'scratch-root': { type: 'string', value: 'DIR', help: "existing directory for the self-test's spill files (default: the OS temp directory)" },
  'memory-budget': { type: 'string', value: 'SIZE', default: '256M', help: 'extension: memory for sorting before spilling runs to disk' },
  quiet: { type: 'bool', help: 'extension: no progress display' },
  json: { ...JSON_FLAG, help: `extension: ${JSON_FLAG.help}` },
  ...S3_FLAGS,
};

/**
 * The main CLI's encode: the drop-in's flags plus --force (the drop-in replaces a regular file, like the reference).
 */
const MAIN_ENCODE_FLAGS: FlagSpecs = {
  ...ENCODE_FLAGS,
  force: { type: 'bool', help: 'replace an existing output file (never a directory, device, FIFO or symlink)' },
};

const DESCRIPTION = `Encodes a dump tree back into an elastickv FSM snapshot, rebuilding every derived index.
Writes <output>.encode_info.json next to the output; on a self-test mismatch writes <output>.mismatch.txt
and publishes nothing. Exit codes: 0 success, 1 usage or environment error, 2 data-correctness error.`;

export function encodeHelp(prog: string): string {
  return renderHelp(`${prog} --input DIR --output FILE.fsm [flags]`, `${DESCRIPTION}\nAn existing output file is refused unless --force is given.`, MAIN_ENCODE_FLAGS);
}

function dropInEncodeHelp(prog: string): string {
  return renderHelp(`${prog} --input DIR --output FILE.fsm [flags]`, `${DESCRIPTION}\nAn existing regular output file is replaced, as by the reference encoder.`, ENCODE_FLAGS);
}

/** `--last-commit-ts`: trimmed; `0x`/`0X` then base 16, otherwise strict base 10; unsigned 64-bit. */
export function parseLastCommitTs(text: string): bigint {
  const s = text.trim();
  if (s === '') throw new UserError('FLAG_INVALID', '--last-commit-ts is empty');
  const hex = /^0[xX]/.test(s);
  const body = hex ? s.slice(2) : s;
  if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(body)) {
    throw new UserError('FLAG_INVALID', `--last-commit-ts ${hex ? 'hex' : 'decimal'} parse: invalid syntax in ${JSON.stringify(text)}`);
  }
  const n = BigInt(hex ? `0x${body}` : body);
  if (n > 0xffff_ffff_ffff_ffffn) throw new UserError('FLAG_INVALID', `--last-commit-ts ${hex ? 'hex' : 'decimal'} parse: value out of range`);
  return n;
}

/** `elastickv-snapshot encode`. */
export function encodeCommand(
  args: readonly string[],
  io: CliIO,
  prog: string,
  adapters: readonly Adapter[],
): Promise<number> {
  const flags = commandFlags(args, MAIN_ENCODE_FLAGS, io, () => encodeHelp(prog));
  if (flags === undefined) return Promise.resolve(0);
  return runEncode(flags, io, adapters, flagBool(flags, 'force') ? 'regular-file' : 'never');
}

/** `elastickv-snapshot-encode`, the reference's drop-in. */
export function dropInEncodeCommand(args: readonly string[], io: CliIO, prog: string, adapters: readonly Adapter[], hooks: Pick<EncodeSnapshotOptions, 'afterWrite'> = {}): Promise<number> {
  const flags = commandFlags(args, ENCODE_FLAGS, io, () => dropInEncodeHelp(prog));
  if (flags === undefined) return Promise.resolve(0);
  return runEncode(flags, io, adapters, 'regular-file', hooks);
}

async function runEncode(flags: ParsedFlags, io: CliIO, adapters: readonly Adapter[], overwrite: OverwritePolicy, hooks: Pick<EncodeSnapshotOptions, 'afterWrite'> = {}): Promise<number> {
  const input = flagString(flags, 'input');
  const output = flagString(flags, 'output');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  if (output === '') throw new UserError('FLAG_INVALID', '--output is required');
  parseAdapterSet(flagString(flags, 'adapter'), 'encode');
  if (flags.given.has('last-commit-ts')) parseLastCommitTs(flagString(flags, 'last-commit-ts'));
  parseSize('memory-budget', flagString(flags, 'memory-budget'));
  const s3In = parseS3Url(input);
  if (s3In === undefined && !/\.(tar|tar\.zst|tzst)$/.test(input)) return encodeTree(flags, io, adapters, overwrite, hooks, input);
  await checkOutputParent(output);
  await checkOutputFile(output, overwrite);
  // tar, zstd and the AWS SDK are loaded only for an archive input.
  const [{ openArchiveFile, openS3Archive }, { withUnpackedArchive }] = await Promise.all([
    import('../../archive/io.ts'),
    import('../../pipeline/archive-direct.ts'),
  ]);
  const source =
    s3In !== undefined
      ? await openS3Archive(s3In, s3OptionsFromFlags(flagValues(flags)))
      : await openArchiveFile(input);
  const scratchRoot = flagString(flags, 'scratch-root');
  return withUnpackedArchive(source, { source: input, scratchRoot: scratchRoot !== '' ? scratchRoot : dirname(output) }, (tree) => encodeTree(flags, io, adapters, overwrite, hooks, tree));
}

/** Encodes the dump tree at `tree` (the --input itself, or the tree unpacked from the --input archive). */
async function encodeTree(flags: ParsedFlags, io: CliIO, adapters: readonly Adapter[], overwrite: OverwritePolicy, hooks: Pick<EncodeSnapshotOptions, 'afterWrite'>, tree: string): Promise<number> {
  const input = flagString(flags, 'input');
  const output = flagString(flags, 'output');
  const selected = parseAdapterSet(flagString(flags, 'adapter'), 'encode');
  const overridden = flags.given.has('last-commit-ts');
  const override = overridden ? parseLastCommitTs(flagString(flags, 'last-commit-ts')) : undefined;
  const scratchRoot = flagString(flags, 'scratch-root');
  const memoryBudget = parseSize('memory-budget', flagString(flags, 'memory-budget'));
  const progress = startProgress(io, flagBool(flags, 'quiet'), 'encode');
  const opts: EncodeSnapshotOptions = {
    input: tree,
    output,
    adapters,
    selected,
    overwrite,
    selfTest: flagBool(flags, 'self-test'),
    allowPartial: flagBool(flags, 'allow-partial'),
    memoryBudget,
    ...(override !== undefined ? { lastCommitTs: override } : {}),
    ...(scratchRoot !== '' ? { scratchRoot } : {}),
    ...hooks,
    onProgress: (p) => {
      if (p.phase === 'self-test') progress.update('self-test', p.done, p.total, 'bytes');
      else if (p.phase === 'self-test-finalize') progress.update('finalize', p.done, 0, 'files', 'self-test: regrouped files compared with --input');
      else if (p.phase === 'self-test-compare') progress.update('compare', p.done, 0, 'files', 'self-test: looking for --input files the decode did not yield');
      else if (p.phase === 'write') progress.update('write', p.done, p.total, 'rows', humanBytes(p.bytesWritten));
      else progress.update('read tree', p.done, 0, 'rows');
    },
  };
  const started = Date.now();
  let result: EncodeResult;
  let phases: PhaseTime[];
  try {
    const plan = await planEncode(opts);
    await fsp.rm(`${output}.mismatch.txt`, { force: true }).catch(() => undefined);
    result = await encodeSnapshot(opts, plan);
  } finally {
    phases = progress.stop();
  }

  const sidecar = (matched: boolean): string =>
    renderEncodeInfo(encodeInfoOf(input, output, result, { ran: result.selfTest.ran, matched }));

  if (result.selfTest.ran && !result.selfTest.matched) {
    const mismatchPath = `${output}.mismatch.txt`;
    await writeSidecar(mismatchPath, result.selfTest.mismatchText).catch((err: unknown) => {
      io.stderr.write(`${quoteControl(`warning: could not write ${mismatchPath}: ${(err as Error).message}`)}\n`);
    });
    await removeStaleOutput(output, io);
    await writeSidecar(encodeInfoPath(output), sidecar(false)).catch((err: unknown) => {
      io.stderr.write(`${quoteControl(`warning: could not write ${encodeInfoPath(output)}: ${(err as Error).message}`)}\n`);
    });
    throw new DataError('SELF_TEST_MISMATCH', `self-test diff (see ${mismatchPath}): --self-test diff against --input`, { path: output });
  }

  await writeEncodeInfo(output, sidecar(result.selfTest.ran));
  const secs = (Date.now() - started) / 1000;
  // A salvaged tree's quarantined rows are not part of it: the encoder reads only the adapters' directories.
  const quarantined = quarantinedRecords(result.manifest.quarantine);
  const line =
    `encoded ${input} -> ${output}: ${result.rows} rows, ${humanBytes(result.bytesWritten)}, last_commit_ts=${result.lastCommitTs}, ` +
    `adapters=${result.adaptersEnabled.join(',')}, self_test=${result.selfTest.ran ? 'matched' : 'not run'}, ${secs.toFixed(1)}s` +
    (quarantined === undefined ? '' : `; not encoded: ${quarantined} quarantined records in ${QUARANTINE_DIR}/ (decode --salvage)`);
  writeSummary(io, flagBool(flags, 'json'), line, {
    command: 'encode',
    input,
    output,
    rows: BigInt(result.rows),
    bytes: BigInt(result.bytesWritten),
    sha256: result.sha256,
    last_commit_ts: result.lastCommitTs,
    adapters: [...result.adaptersEnabled],
    self_test: result.selfTest.ran ? 'matched' : 'not run',
    quarantined_records: quarantined,
    seconds: Math.round(secs * 1000) / 1000,
  }, phases);
  return 0;
}

/** The record count of MANIFEST.json's `quarantine` (decode --salvage), if it has one. */
function quarantinedRecords(q: GoStruct | undefined): bigint | undefined {
  const n = q?.['records'];
  return typeof n === 'bigint' ? n : undefined;
}

/** After a mismatch, a stale `<output>` from an earlier run must not pass for this run's result. */
async function removeStaleOutput(output: string, io: CliIO): Promise<void> {
  const st = await fsp.lstat(output).catch(() => undefined);
  if (st === undefined) return;
  if (st.isFile() || st.isSymbolicLink()) await fsp.rm(output, { force: true });
  else io.stderr.write(`${quoteControl(`warning: leaving non-file at ${output} in place after self-test mismatch`)}\n`);
}

/**
 * Writes the sidecar; if that fails, the just-published output is withdrawn (an output without provenance
 * must not be mistaken for a verified one), and a sidecar this run had opened is removed.
 */
async function writeEncodeInfo(output: string, body: string): Promise<void> {
  const path = encodeInfoPath(output);
  let opened = false;
  try {
    const fh = await openSidecar(path);
    opened = true;
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(dirname(path));
  } catch (err) {
    await fsp.rm(output, { force: true });
    if (opened) await fsp.rm(path, { force: true });
    throw new UserError('SIDECAR_WRITE_FAILED', `write encode_info sidecar: ${(err as Error).message}`, { path }, { cause: err });
  }
}
