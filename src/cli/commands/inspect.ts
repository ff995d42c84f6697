// `inspect`: formats what pipeline/inspect.ts finds in a snapshot, as a table or as JSON (etcdutl's `-w`).

import type { Adapter } from '../../adapters/adapter.ts';
import { quoteBytes, UserError } from '../../errors.ts';
import { goMarshal, GoMap, type GoJson } from '../../json/go-json.ts';
import { inspectSnapshot, type InspectResult } from '../../pipeline/inspect.ts';
import { commandFlags } from '../command.ts';
import { FILTER_FLAGS, filterFromFlags } from '../filter-flags.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs } from '../go-flags.ts';
import type { CliIO } from '../io.ts';
import { parseS3Url } from '../../offload/s3-config.ts';
import { S3_FLAGS, s3OptionsFromFlags } from '../../offload/s3-flags.ts';
import { flagValues } from '../adapter-flags.ts';
import { groupDigits, humanBytes, startProgress } from '../progress.ts';

const INSPECT_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'FILE', help: '.fsm snapshot to inspect (gzip or zstd compressed too; - reads standard input; s3://bucket/key streams it from S3 with the --s3-* flags) (required)' },
  w: { type: 'string', value: 'FORMAT', default: 'table', choices: ['table', 'json'], help: 'output format: table or json' },
  json: { type: 'bool', help: 'same as -w json' },
  top: { type: 'uint64', value: 'N', help: 'also list the N largest live rows (by value size)' },
  ...FILTER_FLAGS,
  ...S3_FLAGS,
  quiet: { type: 'bool', help: 'no progress display' },
};

export function inspectHelp(prog: string): string {
  return renderHelp(
    `${prog} --input FILE.fsm [-w table|json] [--top N]`,
    'Summarises a snapshot without decoding it: header and container, the SHA-256 and CRC-32C of its bytes, versions\nand tombstones, what each adapter holds (databases, tables, buckets, queues; keys by type), rows and bytes\nper record kind, and the largest rows.',
    INSPECT_FLAGS,
  );
}

export async function inspectCommand(
  args: readonly string[],
  io: CliIO,
  prog: string,
  adapters: readonly Adapter[],
): Promise<number> {
  const flags = commandFlags(args, INSPECT_FLAGS, io, () => inspectHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const top = flags.values.get('top') as bigint;
  if (top > 10_000n) throw new UserError('FLAG_INVALID', `--top ${top} is above the limit of 10000`);
  const filter = filterFromFlags(flags, adapters);
  const progress = startProgress(io, flagBool(flags, 'quiet'), 'inspect');
  let result: InspectResult;
  try {
    result = await inspectSnapshot({
      input,
      ...(io.stdin !== undefined ? { stdin: io.stdin } : {}),
      ...(parseS3Url(input) !== undefined ? { s3: s3OptionsFromFlags(flagValues(flags)) } : {}),
      adapters,
      top: Number(top),
      ...(filter !== undefined ? { filter } : {}),
      onProgress: (p) => {
        progress.update('read', p.bytesRead, p.totalBytes, 'bytes', `${groupDigits(p.entries)} entries`);
      },
    });
  } finally {
    progress.stop();
  }
  io.stdout.write(
    flagBool(flags, 'json') || flagString(flags, 'w') === 'json' ? asJson(input, result) : asTable(input, result),
  );
  return 0;
}

function asJson(input: string, r: InspectResult): string {
  const c = r.container;
  const doc: GoJson = {
    input,
    bytes: BigInt(c.totalBytes),
    file_bytes: r.fileBytes === undefined ? undefined : BigInt(r.fileBytes),
    compression: r.compression,
    container: c.kind,
    crc32c: c.crc32c === undefined ? undefined : c.crc32c.toString(16).padStart(8, '0'),
    payload_sha256: r.sha256,
    payload_crc32c: r.crc32c,
    last_commit_ts: r.header.lastCommitTs,
    runtime_header:
      r.header.runtime === undefined
        ? undefined
        : {
            version: r.header.runtime.version,
            hlc_ceiling_ms: r.header.runtime.ceilingMs,
            cutover_index: r.header.runtime.cutoverIndex,
          },
    entries: BigInt(r.entries),
    live: BigInt(r.live),
    tombstones: BigInt(r.tombstones),
    superseded_versions: BigInt(r.superseded),
    unknown: BigInt(r.unknown),
    filtered: r.filtered === undefined ? undefined : BigInt(r.filtered),
    max_entry_commit_ts: r.maxCommitTs,
    adapters: r.adapters.map((a) => ({
      adapter: a.adapter,
      scope: a.scopeField,
      scopes: BigInt(a.scopes),
      rows: BigInt(a.rows),
      value_bytes: BigInt(a.valueBytes),
      keys_by_type:
        a.keysByType.size === 0
          ? undefined
          : new GoMap([...a.keysByType.entries()].map(([t, n]) => [t, BigInt(n)] as const)),
    })),
    kinds: r.kinds.map((k) => ({
      kind: `${k.adapter ?? 'internal'} ${k.kind}`,
      entries: BigInt(k.entries),
      key_bytes: BigInt(k.keyBytes),
      value_bytes: BigInt(k.valueBytes),
    })),
    largest: r.largest.map((l) => ({
      key: quoteBytes(l.key),
      kind: `${l.adapter ?? 'internal'} ${l.kind}`,
      value_bytes: BigInt(l.valueBytes),
      offset: BigInt(l.offset),
    })),
    operational: new GoMap([...r.operational.entries()]),
    decoded_tree: {
      files: BigInt(r.decodedTree.files),
      files_exact: r.decodedTree.filesExact,
      bytes: BigInt(r.decodedTree.bytes),
      scratch_bytes: BigInt(r.decodedTree.scratchBytes),
      adapters: r.decodedTree.adapters.map((p) => ({
        adapter: p.adapter,
        files: BigInt(p.files),
        files_exact: p.filesExact,
        bytes: BigInt(p.bytes),
        scratch_bytes: BigInt(p.scratchBytes),
      })),
    },
  };
  return `${goMarshal(doc, { escapeHTML: false, indent: true })}\n`;
}

const SCOPE_PLURAL: Readonly<Record<string, string>> = { db: 'databases', table: 'tables', bucket: 'buckets', queue: 'queues' };

function asTable(input: string, r: InspectResult): string {
  const c = r.container;
  const out: string[] = [];
  const stored = r.compression === 'none' ? '' : `, ${r.compression}-compressed${r.fileBytes !== undefined ? ` ${humanBytes(r.fileBytes)}` : ''}`;
  out.push(`file            ${input} (${humanBytes(c.totalBytes)}, ${c.kind}${c.crc32c !== undefined ? `, crc32c footer ${c.crc32c.toString(16).padStart(8, '0')} ok` : ''}${stored})`);
  out.push(`sha256          ${r.sha256}`);
  out.push(`crc32c          ${r.crc32c}`);
  out.push(`last_commit_ts  ${r.header.lastCommitTs}`);
  const rt = r.header.runtime;
  if (rt !== undefined) out.push(`runtime header  EKVTHLC${rt.version} hlc_ceiling_ms=${rt.ceilingMs}${rt.cutoverIndex !== undefined ? ` cutover_index=${rt.cutoverIndex}` : ''}`);
  out.push(`entries         ${r.entries} (live ${r.live}; tombstones ${r.tombstones}, superseded versions ${r.superseded}; unknown ${r.unknown})`);
  if (r.filtered !== undefined) out.push(`filtered out    ${r.filtered} entries (not in the tables below)`);
  if (r.maxCommitTs > r.header.lastCommitTs) out.push(`WARNING         an entry's commit ts ${r.maxCommitTs} is above the header's last_commit_ts`);
  for (const [k, v] of r.operational) out.push(`operational     ${k}=${v}`);
  for (const a of r.adapters) {
    const types = [...a.keysByType.entries()].map(([t, n]) => `${t} ${n}`).join(', ');
    out.push(`${a.adapter.padEnd(16)}${a.scopes} ${SCOPE_PLURAL[a.scopeField] ?? a.scopeField}, ${a.rows} rows, ${humanBytes(a.valueBytes)} of values${types === '' ? '' : `; keys: ${types}`}`);
  }
  const t = r.decodedTree;
  out.push(`decoded tree    ${t.filesExact ? '' : '~'}${t.files} files, ~${humanBytes(t.bytes)} (predicted; scratch up to ${humanBytes(t.scratchBytes)} next to the output)`);
  out.push('');
  out.push(`${'kind'.padEnd(36)}${'entries'.padStart(12)}${'key bytes'.padStart(14)}${'value bytes'.padStart(16)}`);
  for (const k of r.kinds) out.push(`${`${k.adapter ?? 'internal'} ${k.kind}`.padEnd(36)}${String(k.entries).padStart(12)}${String(k.keyBytes).padStart(14)}${String(k.valueBytes).padStart(16)}`);
  if (r.largest.length > 0) {
    out.push('');
    out.push(`${'largest rows'.padEnd(60)}${'value bytes'.padStart(16)}`);
    for (const l of r.largest) out.push(`${`${quoteBytes(l.key, 48)} (${l.adapter ?? 'internal'} ${l.kind})`.padEnd(60)}${String(l.valueBytes).padStart(16)}`);
  }
  return `${out.join('\n')}\n`;
}
