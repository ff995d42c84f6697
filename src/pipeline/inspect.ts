// inspect: reads a snapshot without writing anything and reports what is in it. It walks the same read loop as
// decode (scan.ts) and asks each adapter, through its filter vocabulary, which scope (database, table, bucket,
// queue), type and key a row belongs to, so it knows no adapter internals itself.

import { createHash } from 'node:crypto';
import { crc32c } from '../bytes/crc32c.ts';
import { DEFAULT_DECODE_SWITCHES, type Adapter, type TreePrediction } from '../adapters/adapter.ts';
import { type AdapterName } from '../adapters/registry.ts';
import { ALL_ADAPTERS } from '../adapters/registry.ts';
import type { RecordFilter } from '../filter/record-filter.ts';
import type { S3Options } from '../offload/s3-store.ts';
import { openSnapshotInput, type InputCompression, type SnapshotInput } from '../snapshot/input.ts';
import { SnapshotReader, type ContainerInfo, type SnapshotHeader } from '../snapshot/reader.ts';
import { VersionResolver } from '../snapshot/versions.ts';
import { Dispatcher } from './dispatch.ts';
import { scanSnapshot } from './scan.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

/** What `inspectSnapshot` reads and how. */
export interface InspectOptions {
  /** Path of the `.fsm` (plain, gzip or zstd), `-` for `stdin`, or `s3://bucket/key` with `s3`. */
  readonly input: string;
  readonly stdin?: NodeJS.ReadableStream;
  /** S3 connection for an `input` of the form `s3://bucket/key` (read streamed); without it such a path is a file path. */
  readonly s3?: S3Options;
  /** Every adapter of the build (default: all). */
  readonly adapters?: readonly Adapter[];
  /** Rows of the adapters this filter refuses are counted in `filtered` and left out of the statistics. */
  readonly filter?: RecordFilter;
  /** How many of the largest live rows to list (default 0). */
  readonly top?: number;
  readonly onProgress?: (p: {
    readonly bytesRead: number;
    readonly totalBytes: number;
    readonly entries: number;
  }) => void;
}

/** Rows of one route kind (`adapter` undefined: an always-internal prefix). */
export interface KindStats {
  readonly adapter: AdapterName | undefined;
  readonly kind: string;
  entries: number;
  keyBytes: number;
  valueBytes: number;
}

/** What an adapter's live rows amount to. */
export interface AdapterStats {
  readonly adapter: AdapterName;
  /** The adapter's scope: `db`, `table`, `bucket` or `queue`. */
  readonly scopeField: string;
  /** Distinct scopes seen (databases, tables, buckets, queues). */
  scopes: number;
  /** Distinct keys per record type, for adapters whose records have types. */
  readonly keysByType: Map<string, number>;
  rows: number;
  valueBytes: number;
}

/** One of the largest live rows (`InspectOptions.top`). */
export interface LargestRow {
  readonly key: Buffer;
  readonly adapter: AdapterName | undefined;
  readonly kind: string;
  readonly valueBytes: number;
  readonly offset: number;
}

/** One adapter's part of the predicted tree. */
export interface AdapterTreePrediction extends TreePrediction {
  readonly adapter: AdapterName;
}

/**
 * The tree a default decode of the snapshot would write, predicted by each adapter from the counts (plus
 * MANIFEST.json and CHECKSUMS): files, bytes of file contents, and scratch space decode may need at most.
 */
export interface DecodedTreePrediction extends TreePrediction {
  readonly adapters: readonly AdapterTreePrediction[];
}

/** Bytes of MANIFEST.json, and of one CHECKSUMS line (64 hex digits, two spaces, a path, a newline), as estimated. */
const MANIFEST_BYTES = 1024;
const CHECKSUMS_LINE_BYTES = 105;

/** What `inspectSnapshot` found: header, container, and counts and bytes per adapter and record kind. */
export interface InspectResult {
  readonly header: SnapshotHeader;
  readonly container: ContainerInfo;
  readonly compression: InputCompression;
  /** Size of the input file as stored (compressed size when compressed); undefined for a pipe. */
  readonly fileBytes: number | undefined;
  /** SHA-256 (hex) and CRC-32C (hex) of the snapshot's bytes (after decompression). */
  readonly sha256: string;
  readonly crc32c: string;
  readonly entries: number;
  readonly live: number;
  readonly tombstones: number;
  /** Older versions hidden by a newer version of the same key. */
  readonly superseded: number;
  readonly unknown: number;
  /** Live rows the filter left out (undefined without a filter). */
  readonly filtered: number | undefined;
  readonly maxCommitTs: bigint;
  readonly kinds: readonly KindStats[];
  readonly adapters: readonly AdapterStats[];
  /** Operational rows of a live node's database, by name (LE64 value, or hex). */
  readonly operational: ReadonlyMap<string, string>;
  /** The largest live rows by value size, largest first. */
  readonly largest: readonly LargestRow[];
  /** The decoded tree predicted from these counts. */
  readonly decodedTree: DecodedTreePrediction;
}

const MAX_SCOPES = 1_000_000;

/** Reads `opts.input` once and summarises it. */
export async function inspectSnapshot(opts: InspectOptions): Promise<InspectResult> {
  const input = await openSnapshotInput(opts.input, {
    pipes: true,
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    ...(opts.s3 !== undefined ? { s3: opts.s3 } : {}),
  });
  try {
    return await inspectInput(opts, input);
  } finally {
    input.close();
  }
}

async function inspectInput(opts: InspectOptions, input: SnapshotInput): Promise<InspectResult> {
  const adapters = opts.adapters ?? ALL_ADAPTERS;
  const hash = createHash('sha256');
  let crc = 0;
  const hashed = (async function* () {
    for await (const chunk of input.source) {
      hash.update(chunk);
      crc = crc32c(asBuffer(chunk), crc);
      yield chunk;
    }
  })();
  let entries = 0;
  let lastReport = 0;
  const totalBytes = input.size ?? 0;
  const reader = new SnapshotReader(hashed, {
    path: opts.input,
    onBytes: (n) => {
      if (opts.onProgress !== undefined && n - lastReport >= 4 * 1024 * 1024) {
        lastReport = n;
        opts.onProgress({ bytesRead: input.sourceBytesRead(), totalBytes, entries });
      }
    },
  });
  const header = await reader.header();
  const kinds = new Map<string, KindStats>();
  const perAdapter = new Map<
    AdapterName,
    AdapterStats & { scopeSet: Set<string>; lastKey: Map<string, Buffer>; keysByKind: Map<string, number> }
  >();
  for (const a of adapters) {
    perAdapter.set(a.name, {
      adapter: a.name,
      scopeField: a.filter.scopeField,
      scopes: 0,
      keysByType: new Map(),
      rows: 0,
      valueBytes: 0,
      scopeSet: new Set(),
      lastKey: new Map(),
      keysByKind: new Map(),
    });
  }
  const vocab = new Map(adapters.map((a) => [a.name, a.filter]));
  const operational = new Map<string, string>();
  const top = Math.max(0, opts.top ?? 0);
  const largest: LargestRow[] = [];
  const typeOfKind = new Map<string, string>();
  let live = 0;
  let tombstones = 0;
  let superseded = 0;
  let unknown = 0;
  let filtered = 0;
  let maxCommitTs = 0n;
  const filter = opts.filter;
  await scanSnapshot(reader, new Dispatcher(adapters), new VersionResolver('latest'), {
    operational(rec) {
      operational.set(rec.name, rec.uint !== undefined ? rec.uint.toString() : rec.rawValue.toString('hex'));
    },
    hidden(rec) {
      entries++;
      if (rec.commitTs > maxCommitTs) maxCommitTs = rec.commitTs;
      if (rec.tombstone) tombstones++;
      else superseded++;
    },
    live(rec, route) {
      entries++;
      live++;
      if (rec.commitTs > maxCommitTs) maxCommitTs = rec.commitTs;
      if (route === undefined) {
        unknown++;
        return;
      }
      const scope =
        route.adapter === undefined
          ? undefined
          : vocab.get(route.adapter)?.rowScope(route.kind, rec.userKey, DEFAULT_DECODE_SWITCHES);
      if (filter !== undefined && route.adapter !== undefined && !filter.accepts(route.adapter, scope)) {
        filtered++;
        return;
      }
      const label = `${route.adapter ?? 'internal'} ${route.kind}`;
      let k = kinds.get(label);
      if (k === undefined)
        kinds.set(label, (k = { adapter: route.adapter, kind: route.kind, entries: 0, keyBytes: 0, valueBytes: 0 }));
      k.entries++;
      k.keyBytes += rec.userKey.length;
      k.valueBytes += rec.value.length;
      if (
        top > 0 &&
        (largest.length < top || rec.value.length > (largest[largest.length - 1] as LargestRow).valueBytes)
      ) {
        const row: LargestRow = {
          key: Buffer.from(rec.userKey),
          adapter: route.adapter,
          kind: route.kind,
          valueBytes: rec.value.length,
          offset: rec.offset,
        };
        const at = largest.findIndex((r) => r.valueBytes < row.valueBytes);
        largest.splice(at < 0 ? largest.length : at, 0, row);
        if (largest.length > top) largest.pop();
      }
      if (route.adapter === undefined) return;
      const stats = perAdapter.get(route.adapter);
      if (stats === undefined || scope === undefined) return;
      stats.rows++;
      stats.valueBytes += rec.value.length;
      if (scope.scope !== undefined && stats.scopeSet.size < MAX_SCOPES) stats.scopeSet.add(Buffer.from(scope.scope).toString('latin1'));
      if (scope.type !== undefined && scope.key !== undefined) {
        // Rows of one key are adjacent within a kind's prefix: count a key when it differs from the last one.
        typeOfKind.set(route.kind, scope.type);
        const last = stats.lastKey.get(route.kind);
        const key = Buffer.from(scope.key);
        if (last === undefined || !last.equals(key)) {
          stats.lastKey.set(route.kind, key);
          stats.keysByKind.set(route.kind, (stats.keysByKind.get(route.kind) ?? 0) + 1);
        }
      }
    },
  });
  opts.onProgress?.({ bytesRead: input.sourceBytesRead(), totalBytes, entries });
  const adapterStats: AdapterStats[] = [];
  for (const s of perAdapter.values()) {
    if (s.rows === 0) continue;
    // A type stored under several kinds (a hash's meta row and its field rows) counts its keys once: the most
    // any of its kinds saw.
    for (const [kind, n] of s.keysByKind) {
      const type = typeOfKind.get(kind) as string;
      s.keysByType.set(type, Math.max(s.keysByType.get(type) ?? 0, n));
    }
    adapterStats.push({
      adapter: s.adapter,
      scopeField: s.scopeField,
      scopes: s.scopeSet.size,
      keysByType: s.keysByType,
      rows: s.rows,
      valueBytes: s.valueBytes,
    });
  }
  const predictions: AdapterTreePrediction[] = [];
  for (const s of adapterStats) {
    const adapter = adapters.find((a) => a.name === s.adapter);
    if (adapter?.predictTree === undefined) continue;
    const own = new Map([...kinds.values()].filter((k) => k.adapter === s.adapter).map((k) => [k.kind, k] as const));
    const predicted = adapter.predictTree({ kinds: own, keysByType: s.keysByType, scopes: s.scopes });
    predictions.push({ adapter: s.adapter, ...predicted });
  }
  const adapterFiles = predictions.reduce((n, p) => n + p.files, 0);
  const decodedTree: DecodedTreePrediction = {
    files: adapterFiles + 2,
    filesExact: predictions.every((p) => p.filesExact),
    bytes: predictions.reduce((n, p) => n + p.bytes, 0) + MANIFEST_BYTES + CHECKSUMS_LINE_BYTES * (adapterFiles + 1),
    scratchBytes: predictions.reduce((n, p) => n + p.scratchBytes, 0),
    adapters: predictions,
  };
  const sortedKinds = [...kinds.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return {
    header,
    container: reader.container as ContainerInfo,
    compression: input.compression,
    fileBytes: input.size,
    sha256: hash.digest('hex'),
    crc32c: (crc >>> 0).toString(16).padStart(8, '0'),
    entries,
    live,
    tombstones,
    superseded,
    unknown,
    filtered: filter === undefined ? undefined : filtered,
    maxCommitTs,
    kinds: sortedKinds,
    adapters: adapterStats,
    operational,
    largest,
    decodedTree,
  };
}
