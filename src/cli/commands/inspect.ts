// `inspect`: reads a snapshot without writing anything and reports what is in it: the header and container,
// entries per adapter and record kind (with bytes), versions, tombstones, and the node's operational rows.

import { createReadStream, promises as fsp } from 'node:fs';
import { DEFAULT_DECODE_SWITCHES, type Adapter } from '../../adapters/adapter.ts';
import { UserError } from '../../errors.ts';
import { goMarshal, GoMap, type GoJson } from '../../json/go-json.ts';
import { Dispatcher } from '../../pipeline/dispatch.ts';
import { SnapshotReader } from '../../snapshot/reader.ts';
import { VersionResolver } from '../../snapshot/versions.ts';
import { FILTER_FLAGS, filterFromFlags } from '../filter-flags.ts';
import { commandFlags } from '../command.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs } from '../go-flags.ts';
import type { CliIO } from '../io.ts';
import { humanBytes, startProgress } from '../progress.ts';

export const INSPECT_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'FILE', help: '.fsm snapshot to inspect (required)' },
  json: { type: 'bool', help: 'print one JSON document instead of a table' },
  ...FILTER_FLAGS,
  quiet: { type: 'bool', help: 'no progress display' },
};

export function inspectHelp(prog: string): string {
  return renderHelp(
    `${prog} --input FILE.fsm [--json]`,
    'Summarises a snapshot without decoding it: header, container, counts and bytes per adapter and record kind.',
    INSPECT_FLAGS,
  );
}

interface KindStats {
  entries: number;
  keyBytes: number;
  valueBytes: number;
}

export async function inspectCommand(args: readonly string[], io: CliIO, prog: string, adapters: readonly Adapter[]): Promise<number> {
  const flags = commandFlags(args, INSPECT_FLAGS, io, () => inspectHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const total = (await fsp.stat(input).catch(() => {
    throw new UserError('INPUT_MISSING', 'input file does not exist', { path: input });
  })).size;
  const progress = startProgress(io, flagBool(flags, 'quiet'), 'inspect');
  const dispatcher = new Dispatcher(adapters);
  const filter = filterFromFlags(flags, adapters);
  const vocab = new Map(adapters.map((a) => [a.name, a.filter]));
  let filtered = 0;
  const versions = new VersionResolver('latest');
  const byKind = new Map<string, KindStats>();
  const operational = new Map<string, string>();
  let entries = 0;
  let tombstones = 0;
  let superseded = 0;
  let unknown = 0;
  let maxCommitTs = 0n;
  const reader = new SnapshotReader(createReadStream(input, { highWaterMark: 1024 * 1024 }), {
    path: input,
    onBytes: (n) => {
      if ((entries & 0x3fff) === 0) progress.update(n, total, `${entries} entries`);
    },
  });
  try {
    const header = await reader.header();
    for await (const rec of reader.records()) {
      if (rec.type === 'operational') {
        operational.set(rec.name, rec.uint !== undefined ? rec.uint.toString() : rec.rawValue.toString('hex'));
        continue;
      }
      entries++;
      if (rec.commitTs > maxCommitTs) maxCommitTs = rec.commitTs;
      const live = versions.accept(rec);
      if (rec.tombstone) tombstones++;
      else if (!live) superseded++;
      const route = dispatcher.route(rec.userKey);
      if (route === undefined) {
        unknown++;
        continue;
      }
      if (filter !== undefined && route.adapter !== undefined && !filter.accepts(route.adapter, vocab.get(route.adapter)?.rowScope(route.kind, rec.userKey, DEFAULT_DECODE_SWITCHES))) {
        filtered++;
        continue;
      }
      const label = route.adapter === undefined ? `internal ${route.prefix}` : `${route.adapter} ${route.kind}`;
      const s = byKind.get(label) ?? { entries: 0, keyBytes: 0, valueBytes: 0 };
      s.entries++;
      s.keyBytes += rec.userKey.length;
      s.valueBytes += rec.value.length;
      byKind.set(label, s);
    }
    progress.stop();
    const c = reader.container!;
    const kinds = [...byKind.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (flagBool(flags, 'json')) {
      const doc: GoJson = {
        input,
        bytes: BigInt(c.totalBytes),
        container: c.kind,
        crc32c: c.crc32c === undefined ? undefined : c.crc32c.toString(16).padStart(8, '0'),
        last_commit_ts: header.lastCommitTs,
        runtime_header: header.runtime === undefined ? undefined : { version: header.runtime.version, hlc_ceiling_ms: header.runtime.ceilingMs, cutover_index: header.runtime.cutoverIndex },
        entries: BigInt(entries),
        tombstones: BigInt(tombstones),
        superseded_versions: BigInt(superseded),
        unknown: BigInt(unknown),
        filtered: filter === undefined ? undefined : BigInt(filtered),
        max_entry_commit_ts: maxCommitTs,
        kinds: kinds.map(([label, s]) => ({ kind: label, entries: BigInt(s.entries), key_bytes: BigInt(s.keyBytes), value_bytes: BigInt(s.valueBytes) })),
        operational: new GoMap([...operational.entries()]),
      };
      io.stdout.write(goMarshal(doc, { escapeHTML: false, indent: true }) + '\n');
      return 0;
    }
    const out: string[] = [];
    out.push(`file            ${input} (${humanBytes(c.totalBytes)}, ${c.kind}${c.crc32c !== undefined ? `, crc32c ${c.crc32c.toString(16).padStart(8, '0')} ok` : ''})`);
    out.push(`last_commit_ts  ${header.lastCommitTs}`);
    if (header.runtime !== undefined) out.push(`runtime header  EKVTHLC${header.runtime.version} hlc_ceiling_ms=${header.runtime.ceilingMs}${header.runtime.cutoverIndex !== undefined ? ` cutover_index=${header.runtime.cutoverIndex}` : ''}`);
    out.push(`entries         ${entries} (tombstones ${tombstones}, superseded versions ${superseded}, unknown ${unknown})`);
    if (filter !== undefined) out.push(`filtered out    ${filtered} entries (not in the table below)`);
    if (maxCommitTs > header.lastCommitTs) out.push(`WARNING         an entry's commit ts ${maxCommitTs} is above the header's last_commit_ts`);
    for (const [k, v] of operational) out.push(`operational     ${k}=${v}`);
    out.push('');
    out.push(`${'kind'.padEnd(36)}${'entries'.padStart(12)}${'key bytes'.padStart(14)}${'value bytes'.padStart(16)}`);
    for (const [label, s] of kinds) out.push(`${label.padEnd(36)}${String(s.entries).padStart(12)}${String(s.keyBytes).padStart(14)}${String(s.valueBytes).padStart(16)}`);
    io.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    progress.stop();
  }
}
