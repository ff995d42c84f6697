// `decode` / `elastickv-snapshot-decode`: .fsm → dump tree. Accepts the reference decoder's flags exactly
// (spec core.md §5.2) plus a few of our own (marked "extension" in the help).

import { type Adapter } from '../../adapters/adapter.ts';
import { DECODE_ORDER } from '../../adapters/registry.ts';
import { quoteControl, UserError } from '../../errors.ts';
import { decodeSnapshot, type DecodeCounters, type DecodeProgress, type DecodeResult, type DecodeSnapshotOptions } from '../../pipeline/decode.ts';
import type { Compression, PackResult } from '../../archive/pack.ts';
import { dirname } from 'node:path';
import { DEFAULT_ADAPTER_FLAG, parseAdapterSet } from '../adapter-set.ts';
import { FILTER_FLAGS, filterFromFlags } from '../filter-flags.ts';
import { adapterFlagSpecs, adapterSwitches, flagValues } from '../adapter-flags.ts';
import { ALL_ADAPTERS } from '../../adapters/registry.ts';
import { commandFlags } from '../command.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs } from '../go-flags.ts';
import type { CliIO } from '../io.ts';
import { parseS3Url } from '../../offload/s3-config.ts';
import { S3_FLAGS, s3OptionsFromFlags } from '../../offload/s3-flags.ts';
import { groupDigits, humanBytes, startProgress, type PhaseTime } from '../progress.ts';
import { JSON_FLAG, writeSummary } from '../summary.ts';
import { GoMap } from '../../json/go-json.ts';
import { parseSize } from '../size.ts';
import { QUARANTINE_FILE } from '../../pipeline/quarantine.ts';

const BASE_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'FILE', help: '.fsm snapshot to decode (native payload or a node\'s fsm-snap/<index>.fsm; gzip or zstd compressed too; - reads standard input; s3://bucket/key streams it from S3 with the --s3-* flags) (required)' },
  output: { type: 'string', value: 'DIR', help: 'dump root to create; must not exist or be empty; or an archive of it (see --archive) (required)' },
  archive: { type: 'string', value: 'KIND', choices: ['zstd', 'none'], help: 'extension: write the dump tree as a tar archive, zstd-compressed or not, to --output (a new file, - for standard output, or s3://bucket/key with the --s3-* flags) with the bytes `archive pack` gives; implied by an --output ending in .tar.zst or .tzst (zstd) or .tar (none)' },
  adapter: { type: 'string', value: 'LIST', default: DEFAULT_ADAPTER_FLAG, help: `adapters to decode: comma list of ${DEFAULT_ADAPTER_FLAG}, or "all"` },
  'cluster-id': { type: 'string', value: 'ID', help: 'cluster id recorded in MANIFEST.json' },
  'skip-expired': { type: 'bool', help: 'extension: leave out records already expired at the snapshot\'s own time (keys whose TTL has passed, messages past their queue\'s retention); counted in the summary and MANIFEST.json' },
  expired: { type: 'string', value: 'MODE', choices: ['keep', 'skip'], help: 'extension: skip is --skip-expired; keep (the default) keeps expired records, as the reference' },
  versions: { type: 'string', value: 'POLICY', default: 'latest', choices: ['latest', 'all'], help: 'extension: latest (newest version per key; tombstones hide keys) or all (every live version, as the reference decoder)' },
  'memory-budget': { type: 'string', value: 'SIZE', default: '256M', help: 'extension: memory for regrouping records before spilling to disk' },
  salvage: { type: 'bool', help: `extension: set apart each row decode would refuse on its own (a damaged value, key or meta row), and every row of a key, object, bucket or queue found inconsistent as a whole (read again from the input file), in ${QUARANTINE_FILE} instead of failing, publish the rest, list them in MANIFEST.json and the summary, and exit 3 when any was set apart` },
  'scratch-root': { type: 'string', value: 'DIR', help: 'extension: directory for spill files, and for the spool files of an archive output (default: next to --output; the OS temp directory for an archive to - or S3)' },
  ...FILTER_FLAGS,
  ...S3_FLAGS,
  quiet: { type: 'bool', help: 'extension: no progress display' },
  json: { ...JSON_FLAG, help: `extension: ${JSON_FLAG.help}` },
};

const DESCRIPTION = `Decodes an elastickv FSM snapshot into a vendor-independent dump tree (${ALL_ADAPTERS.map((a) => `${a.name}/`).join(', ')},
MANIFEST.json, CHECKSUMS). The tree is built next to --output and renamed into place when complete.
Exit codes: 0 success, 1 usage or environment error, 2 the snapshot's data is invalid, 3 (--salvage) the tree is
published with rows set apart in ${QUARANTINE_FILE}.`;

/** Decode's own flags and, after --adapter, the flags of the adapters it decodes with. */
function decodeFlags(adapters: readonly Adapter[]): FlagSpecs {
  const specs: Record<string, FlagSpecs[string]> = {};
  for (const [name, spec] of Object.entries(BASE_FLAGS)) {
    specs[name] = spec;
    if (name === 'adapter') Object.assign(specs, adapterFlagSpecs(adapters, BASE_FLAGS));
  }
  return specs;
}

export function decodeHelp(prog: string, adapters: readonly Adapter[] = ALL_ADAPTERS): string {
  return renderHelp(`${prog} --input FILE.fsm --output DIR [flags]`, DESCRIPTION, decodeFlags(adapters));
}

export async function decodeCommand(
  args: readonly string[],
  io: CliIO,
  prog: string,
  adapters: readonly Adapter[],
): Promise<number> {
  const flags = commandFlags(args, decodeFlags(adapters), io, () => decodeHelp(prog, adapters));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  const output = flagString(flags, 'output');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  if (output === '') throw new UserError('FLAG_INVALID', '--output is required');
  const selected = parseAdapterSet(flagString(flags, 'adapter'), 'decode');
  const versions = flagString(flags, 'versions') === 'all' ? 'all' : 'latest';
  const expiredFlag = flagString(flags, 'expired');
  if (expiredFlag === 'keep' && flagBool(flags, 'skip-expired'))
    throw new UserError('FLAG_INVALID', '--expired keep contradicts --skip-expired');
  const skipExpired = flagBool(flags, 'skip-expired') || expiredFlag === 'skip';
  if (versions === 'all' && skipExpired)
    throw new UserError('FLAG_INVALID', '--skip-expired needs --versions latest (the newest version of each key)');
  const scratchRoot = flagString(flags, 'scratch-root');
  const filter = filterFromFlags(flags, adapters);
  const progress = startProgress(io, flagBool(flags, 'quiet'), 'decode');
  const warnings = new Map<string, number>();
  const started = Date.now();
  const archive = archiveCompressionOf(output, flagString(flags, 'archive'));
  if (archive !== undefined && output === '-' && flagBool(flags, 'json'))
    throw new UserError(
      'FLAG_INVALID',
      '--json writes the summary to standard output, where --output - writes the archive: use one of them',
    );
  const common: Omit<DecodeSnapshotOptions, 'output'> = {
    input,
    ...(io.stdin !== undefined ? { stdin: io.stdin } : {}),
    ...(parseS3Url(input) !== undefined ? { s3: s3OptionsFromFlags(flagValues(flags)) } : {}),
    adapters,
    selected,
    clusterId: flagString(flags, 'cluster-id'),
    versions,
    memoryBudget: parseSize('memory-budget', flagString(flags, 'memory-budget')),
    ...(filter !== undefined ? { filter } : {}),
    salvage: flagBool(flags, 'salvage'),
    switches: {
      ...adapterSwitches(adapters, flags),
      expired: skipExpired ? 'skip' : 'keep',
    },
    warn: (event, fields) => {
      const n = (warnings.get(event) ?? 0) + 1;
      warnings.set(event, n);
      if (n <= 5) io.stderr.write(`${quoteControl(`warning: ${event} ${formatFields(fields)}`)}\n`);
    },
  };
  const onProgress = (p: DecodeProgress): void => {
    if (p.phase === 'read')
      progress.update('read', p.bytesRead, p.totalBytes, 'bytes', `${groupDigits(p.entries)} entries`);
    else progress.update(p.phase, p.files, 0, 'files');
  };
  let result: DecodeResult;
  let packed: PackResult | undefined;
  let phases: PhaseTime[];
  try {
    if (archive === undefined) {
      result = await decodeSnapshot({ ...common, output, ...(scratchRoot !== '' ? { scratchRoot } : {}), onProgress });
    } else {
      // Scratch and spool files go under --scratch-root, else next to a file output, else in the OS temp directory.
      const local = output !== '-' && parseS3Url(output) === undefined;
      const stageIn = scratchRoot !== '' ? scratchRoot : local ? dirname(output) : undefined;
      // tar, zstd and the AWS SDK are loaded only for an archive output.
      const [{ openArchiveSink }, { decodeToArchive }] = await Promise.all([
        import('./archive.ts'),
        import('../../pipeline/archive-direct.ts'),
      ]);
      const sink = await openArchiveSink(output, io, flags);
      try {
        const r = await decodeToArchive(
          { ...common, compression: archive, ...(stageIn !== undefined ? { scratchRoot: stageIn } : {}), onProgress },
          sink.stream,
        );
        await sink.commit();
        result = r;
        packed = r.archive;
      } catch (err) {
        await sink.abort();
        throw err;
      }
    }
  } finally {
    phases = progress.stop();
  }
  for (const [event, n] of warnings) if (n > 5) io.stderr.write(`warning: ${event}: ${n - 5} more not shown\n`);
  const secs = (Date.now() - started) / 1000;
  const bytes = result.container.totalBytes;
  const line =
    `decoded ${input} -> ${output}${packed === undefined ? '' : ` (${archive === 'zstd' ? 'tar+zstd' : 'tar'}: ${packed.files} files, ${packed.dirs} directories, ${humanBytes(packed.contentBytes)})`}: ${summarizeCounters(result.counters)}; last_commit_ts=${result.header.lastCommitTs}; ` +
    `${humanBytes(bytes)} in ${secs.toFixed(1)}s (${(bytes / 1024 / 1024 / Math.max(secs, 0.001)).toFixed(1)} MB/s)`;
  // One level, the adapters' counts after the tombstones (the order of the text summary).
  const { byAdapter, ...rest } = result.counters;
  const counters = new GoMap(
    Object.entries(rest).flatMap(([k, v]) =>
      k === 'tombstone' ? [[k, v] as const, ...DECODE_ORDER.map((n) => [n, byAdapter[n]] as const)] : [[k, v] as const],
    ),
  );
  writeSummary(
    io,
    flagBool(flags, 'json'),
    line,
    {
      command: 'decode',
      input,
      output,
      container: result.container.kind,
      payload_bytes: BigInt(bytes),
      last_commit_ts: result.header.lastCommitTs,
      counters,
      quarantine:
        result.quarantine === undefined
          ? undefined
          : { file: QUARANTINE_FILE, records: result.quarantine.records, by_code: new GoMap(result.quarantine.byCode) },
      archive:
        packed === undefined
          ? undefined
          : {
              compression: archive,
              files: BigInt(packed.files),
              dirs: BigInt(packed.dirs),
              content_bytes: BigInt(packed.contentBytes),
            },
      seconds: Math.round(secs * 1000) / 1000,
    },
    phases,
  );
  return result.quarantine === undefined ? 0 : SALVAGED_EXIT;
}

/** Exit status of a `--salvage` decode that published its tree with rows set apart (no script takes it for clean). */
const SALVAGED_EXIT = 3;

/** The archive compression an output asks for: --archive, else the name's suffix; undefined for a directory. */
function archiveCompressionOf(output: string, flag: string): Compression | undefined {
  if (flag === 'zstd' || flag === 'none') return flag;
  if (/\.(tar\.zst|tzst)$/.test(output)) return 'zstd';
  if (output.endsWith('.tar')) return 'none';
  return undefined;
}

function summarizeCounters(c: DecodeCounters): string {
  const parts = [
    `entries=${c.total}`,
    ...DECODE_ORDER.map((n) => `${n}=${c.byAdapter[n]}`),
    `tombstone=${c.tombstone}`,
    `internal=${c.internal}`,
    `unknown=${c.unknown}`,
  ];
  if (c.filtered > 0n) parts.push(`filtered=${c.filtered}`);
  if (c.superseded > 0n) parts.push(`superseded=${c.superseded}`);
  if (c.operational > 0n) parts.push(`operational=${c.operational}`);
  if (c.expired > 0n) parts.push(`expired_skipped=${c.expired}`);
  if (c.quarantined > 0n) parts.push(`quarantined=${c.quarantined} (${QUARANTINE_FILE})`);
  return parts.join(' ');
}

function formatFields(fields: Readonly<Record<string, unknown>>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}
