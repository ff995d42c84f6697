// Decode orchestration: .fsm → dump tree (spec core.md §2, §3, §5.2).
//
// reader → version resolution → dispatch by prefix → adapter decoders → finalize (in DECODE_ORDER)
// → MANIFEST.json → CHECKSUMS → atomic rename into place. The tree is built in a private staging directory
// next to the output and only renamed into place once complete; on any failure it is removed, so nothing
// partial is ever left at the output path (the reference leaves finalized adapter files behind).

import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  DEFAULT_DECODE_SWITCHES,
  type Adapter,
  type AdapterDecoder,
  type DamagedUnit,
  type DecodeSwitches,
  type WarnSink,
} from '../adapters/adapter.ts';
import { DECODE_ORDER, type AdapterName } from '../adapters/registry.ts';
import { ALL_ADAPTERS } from '../adapters/registry.ts';
import type { DataErrorCode } from '../error-codes.ts';
import { DataError, UserError } from '../errors.ts';
import type { RecordFilter } from '../filter/record-filter.ts';
import type { GoStruct } from '../json/go-json.ts';
import type { S3Options } from '../offload/s3-store.ts';
import { openSnapshotInput, type SnapshotInput } from '../snapshot/input.ts';
import { SnapshotReader, type ContainerInfo, type DeferValues, type SnapshotEntry, type SnapshotHeader } from '../snapshot/reader.ts';
import { VersionResolver, type VersionPolicy } from '../snapshot/versions.ts';
import { ExternalSorter } from '../sort/external-sort.ts';
import { MemoryPool } from '../sort/memory-pool.ts';
import { writeChecksumsFrom } from '../tree/checksums.ts';
import { DigestLedger } from '../tree/digest-ledger.ts';
import { recordedModes } from '../adapters/options.ts';
import { MANIFEST_FILE, phase0Manifest, renderManifest, type Manifest } from '../tree/manifest.ts';
import { checkFreshOutputDir, checkOutputParent, makeStagingDir, publishDir, randomHex } from '../tree/publish.ts';
import { DiskTreeWriter, TreeWriterBase, type FileSink, type ProvisionalFile, type TreeWriter } from '../tree/writer.ts';
import type { RelPath } from '../tree/paths.ts';
import { Dispatcher } from './dispatch.ts';
import { Quarantine, quarantineManifestField, type OffsetLookup, type QuarantineSummary } from './quarantine.ts';
import { scanSnapshot } from './scan.ts';
import { snapshotIndexFromPath } from './snapshot-index.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { trackTemp } from '../tree/temp-paths.ts';

/** Memory (bytes) decode and encode may hold for regrouping and sorting before spilling to scratch files: 256 MiB. */
export const DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024;
/**
 * An input of this size or more starts the tree writer's thread at once: its tree will have more files than are
 * written before that thread takes over, or values large enough that the thread copies them.
 */
const START_WRITER_THREAD_AT = 16 * 1024 * 1024;

/**
 * Where a decode is, reported through `DecodeSnapshotOptions.onProgress`. Phases: `read` (the snapshot, by
 * bytes of the input file; `totalBytes` 0 when unknown, as for a pipe), `finalize` (adapters writing what they
 * regrouped: files written so far, total unknown), `checksums` (CHECKSUMS rendered; `files` listed).
 */
export interface DecodeProgress {
  readonly phase: 'read' | 'finalize' | 'checksums';
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly entries: number;
  /** Files written into the tree so far. */
  readonly files: number;
}

/** A tree writer that counts the files created through it and reports every 256th. */
class CountingTreeWriter extends TreeWriterBase {
  files = 0;
  readonly #inner: TreeWriter;
  readonly #onFile: (files: number) => void;

  constructor(inner: TreeWriter, onFile: (files: number) => void) {
    super();
    this.#inner = inner;
    this.#onFile = onFile;
    const fromInput = inner.writeFileFromInput;
    this.writeFileFromInput =
      fromInput === undefined
        ? undefined
        : (rel, range) => {
            this.#count();
            return fromInput(rel, range);
          };
  }

  mkdir(rel: RelPath): Promise<void> {
    return this.#inner.mkdir(rel);
  }

  create(rel: RelPath): Promise<FileSink> {
    this.#count();
    return this.#inner.create(rel);
  }

  /** The inner writer's, counted (decode leaves values in the input only for a writer that has it). */
  readonly writeFileFromInput: TreeWriter['writeFileFromInput'];

  /** Hands whole files to the inner writer's own writeFile (which may write large ones behind). */
  override writeFile(rel: RelPath, data: Uint8Array | string): Promise<void> {
    this.#count();
    return this.#inner.writeFile(rel, data);
  }

  #count(): void {
    this.files++;
    if ((this.files & 0xff) === 0) this.#onFile(this.files);
  }

  get remove(): ((rel: RelPath) => Promise<void>) | undefined {
    return this.#inner.remove;
  }

  /** The inner writer's provisional files, counted as they are adopted. */
  get provisional(): (() => ProvisionalFile) | undefined {
    const start = this.#inner.provisional;
    if (start === undefined) return undefined;
    return () => new CountedProvisionalFile(start(), () => {
      this.#count();
    });
  }
}

/** A provisional file that counts itself as a file of the tree when it is adopted. */
class CountedProvisionalFile implements ProvisionalFile {
  readonly #inner: ProvisionalFile;
  readonly #onAdopt: () => void;

  constructor(inner: ProvisionalFile, onAdopt: () => void) {
    this.#inner = inner;
    this.#onAdopt = onAdopt;
  }

  get bytes(): number {
    return this.#inner.bytes;
  }

  append(data: Uint8Array): Promise<void> {
    return this.#inner.append(data);
  }

  seal(): Promise<void> {
    return this.#inner.seal();
  }

  readInto(into: Uint8Array, length: number, position: number): number {
    return this.#inner.readInto(into, length, position);
  }

  adopt(rel: RelPath): Promise<void> {
    this.#onAdopt();
    return this.#inner.adopt(rel);
  }

  discard(): Promise<void> {
    return this.#inner.discard();
  }
}

/** What to decode, where to, and how; only `input` and `output` are required. */
export interface DecodeSnapshotOptions {
  /** Path of the `.fsm` file (plain, gzip or zstd), `-` for `stdin`, or `s3://bucket/key` with `s3`. */
  readonly input: string;
  /** What input `-` reads (the CLI passes process.stdin). */
  readonly stdin?: NodeJS.ReadableStream;
  /** S3 connection for an `input` of the form `s3://bucket/key` (read streamed); without it such a path is a file path. */
  readonly s3?: S3Options;
  /** Dump root to create (absent or an empty directory). */
  readonly output: string;
  /** Every adapter the build knows (routing needs all prefixes, selected or not). Default: all built-in adapters. */
  readonly adapters?: readonly Adapter[];
  /** Adapters to decode; rows of the others are counted as Internal. Default: every adapter in `adapters`. */
  readonly selected?: readonly AdapterName[];
  readonly switches?: Partial<DecodeSwitches>;
  readonly clusterId?: string;
  /** 'latest' (default): newest version per key, tombstones hide keys. 'all': the reference's behaviour. */
  readonly versions?: VersionPolicy;
  /** Bytes of records the decoders may hold before spilling. */
  readonly memoryBudget?: number;
  /**
   * The pool every sorter of the decode reserves from (the decoders' and the file digests'). Default: a pool of
   * `memoryBudget`; pass one to share a budget across runs or to watch its use.
   */
  readonly memoryPool?: MemoryPool;
  /** Where scratch files go (default: next to the output). */
  readonly scratchRoot?: string;
  readonly warn?: WarnSink;
  readonly onProgress?: (p: DecodeProgress) => void;
  /** `source.fsm_path` in the manifest (default: `input` exactly as given). */
  readonly manifestSourcePath?: string;
  /** Keeps only the rows it accepts (recorded in MANIFEST.json as `filter`); excluded rows reach no decoder. */
  readonly filter?: RecordFilter;
  /**
   * Sets apart, in `_quarantine/records.jsonl`, each row decode would refuse on its own and every row of a unit
   * (key, object, bucket, queue) an adapter finds damaged as a whole (see quarantine.ts) instead of failing; they
   * are counted as `quarantined` and listed in MANIFEST.json's `quarantine`. Units need a second reading of the
   * input: from standard input or a pipe, or into a writer without `remove`, they fail DECODE_SALVAGE_UNSUPPORTED.
   */
  readonly salvage?: boolean;
}

/** Rows of the snapshot by where they went (live rows per adapter, internal, unknown) and what was dropped. */
export interface DecodeCounters {
  total: bigint;
  tombstone: bigint;
  /** Live rows each adapter received. */
  byAdapter: Record<AdapterName, bigint>;
  internal: bigint;
  unknown: bigint;
  /** Older versions hidden by a newer version of the same key (always 0 with versions: 'all'). */
  superseded: bigint;
  /** Raw operational rows of a live node (`_meta_*`, writer registry); not part of `total`. */
  operational: bigint;
  /** Live adapter rows left out by the filter (not counted under their adapter). */
  filtered: bigint;
  /** Records left out because they had expired at the snapshot's time (switches.expired 'skip'). */
  expired: bigint;
  /** Rows set apart in `_quarantine/` by a salvaging decode (not counted under their adapter). */
  quarantined: bigint;
}

/** What a decode read and wrote: the snapshot header and container, row counters and the MANIFEST.json written. */
export interface DecodeResult {
  readonly header: SnapshotHeader;
  readonly container: ContainerInfo;
  readonly counters: DecodeCounters;
  readonly manifest: Manifest;
  /** LE64 values of the `_meta_*` rows found, by name. */
  readonly operational: Readonly<Record<string, bigint>>;
  /** What a salvaging decode set apart in `_quarantine/`; undefined when nothing was. */
  readonly quarantine?: QuarantineSummary;
}

function emptyCounters(): DecodeCounters {
  return {
    total: 0n,
    tombstone: 0n,
    byAdapter: Object.fromEntries(DECODE_ORDER.map((n) => [n, 0n])) as Record<AdapterName, bigint>,
    internal: 0n,
    unknown: 0n,
    superseded: 0n,
    operational: 0n,
    filtered: 0n,
    expired: 0n,
    quarantined: 0n,
  };
}

/** Decodes `input` into a new dump tree at `output`. */
export async function decodeSnapshot(opts: DecodeSnapshotOptions): Promise<DecodeResult> {
  if (opts.output === '') throw new UserError('DECODE_OPTIONS_INVALID', 'output path required');
  await checkOutputParent(opts.output);
  await checkFreshOutputDir(opts.output);
  const input = await openSnapshotInput(opts.input, {
    pipes: true,
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    ...(opts.s3 !== undefined ? { s3: opts.s3 } : {}),
  });
  const scratch = join(opts.scratchRoot ?? dirname(opts.output), `.${basename(opts.output)}.scratch-${randomHex()}`);
  const forget = [trackTemp(scratch)];
  let staging = '';
  try {
    staging = makeStagingDir(opts.output, 'partial', (p) => forget.push(trackTemp(p)));
    // File digests are taken as the files are written; CHECKSUMS is rendered from them in path order.
    const pool = opts.memoryPool ?? new MemoryPool(opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    const ledger = new DigestLedger({ scratchDir: join(scratch, 'digests'), pool });
    const tree = new DiskTreeWriter(staging, ledger, { startThread: (input.size ?? 0) >= START_WRITER_THREAD_AT });
    // Files written behind land before the tree is finished, or before it is removed after a failure.
    const result = await runDecode({ ...opts, memoryPool: pool }, tree, scratch, input).catch(async (err: unknown) => {
      await tree.close().catch(() => undefined);
      throw err;
    });
    try {
      await tree.writeFile(MANIFEST_FILE, renderManifest(result.manifest));
    } finally {
      await tree.close();
    }
    const report = (files: number): void =>
      opts.onProgress?.({ phase: 'checksums', bytesRead: input.sourceBytesRead(), totalBytes: input.size ?? 0, entries: Number(result.counters.total), files });
    report(0);
    report(await writeChecksumsFrom(staging, ledger.digests()));
    await publishDir(staging, opts.output);
    return result;
  } finally {
    input.close();
    if (staging !== '') removeTree(staging);
    removeTree(scratch);
    for (const f of forget) f();
  }
}

/**
 * Decodes `opts.input` into any tree writer, without MANIFEST.json, CHECKSUMS or publishing: the encoder's
 * self-test passes one that compares with its input tree instead of writing. Scratch files go under `scratch`.
 */
export async function decodeInto(opts: Omit<DecodeSnapshotOptions, 'output'>, tree: TreeWriter, scratch: string): Promise<DecodeResult> {
  const input = await openSnapshotInput(opts.input, {
    pipes: true,
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    ...(opts.s3 !== undefined ? { s3: opts.s3 } : {}),
  });
  try {
    return await runDecode(opts, tree, scratch, input);
  } finally {
    input.close();
  }
}

/** Values from this size on are left in the input file for the tree writer to copy (see deferValues). */
const DEFER_MIN_BYTES = 64 * 1024;

/**
 * Which values the reader leaves in the input file: large ones of the route kinds whose decoders take a range of
 * it, when the input is an uncompressed regular file and the tree writer copies from it. Not when salvaging: a
 * refused row's value goes to the quarantine whole.
 */
function deferValues(
  input: SnapshotInput,
  tree: TreeWriter,
  salvage: boolean,
  dispatcher: Dispatcher,
  decoders: ReadonlyMap<AdapterName, AdapterDecoder>,
): DeferValues | undefined {
  if (input.skippable === undefined || tree.writeFileFromInput === undefined || salvage) return undefined;
  return {
    input: input.skippable,
    minBytes: DEFER_MIN_BYTES,
    headBytes: (userKey) => {
      const route = dispatcher.route(userKey);
      if (route?.adapter === undefined) return 0;
      return decoders.get(route.adapter)?.valueHeadBytes?.(route.kind) ?? 0;
    },
  };
}

async function runDecode(opts: Omit<DecodeSnapshotOptions, 'output'>, target: TreeWriter, scratch: string, input: SnapshotInput): Promise<DecodeResult> {
  const totalBytes = input.size ?? 0;
  let phase: DecodeProgress['phase'] = 'read';
  const report = (): void =>
    opts.onProgress?.({ phase, bytesRead: input.sourceBytesRead(), totalBytes, entries, files: tree.files });
  const tree = new CountingTreeWriter(target, () => {
    if (phase === 'finalize') report();
  });
  const versionPolicy = opts.versions ?? 'latest';
  const switches: DecodeSwitches = { ...DEFAULT_DECODE_SWITCHES, ...opts.switches, resolvedVersions: versionPolicy === 'latest' };
  if (switches.expired === 'skip' && versionPolicy === 'all') {
    throw new UserError('DECODE_OPTIONS_INVALID', 'skipping expired records needs the newest version of each key (versions latest), not every version');
  }
  const warn: WarnSink = opts.warn ?? (() => undefined);
  const budget = opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  const pool = opts.memoryPool ?? new MemoryPool(budget);
  const adapters = opts.adapters ?? ALL_ADAPTERS;
  const selected = new Set(opts.selected ?? adapters.map((a) => a.name));
  const perAdapterBudget = Math.max(4096, Math.floor(budget / Math.max(1, selected.size)));
  const counters = emptyCounters();
  let entries = 0;
  let lastReport = 0;
  const dispatcher = new Dispatcher(adapters);
  const decoders = new Map<AdapterName, AdapterDecoder>();
  const reader = new SnapshotReader(input.source, {
    path: opts.input,
    rereadCrc32c: input.rereadCrc32c,
    deferValues: deferValues(input, tree, opts.salvage === true, dispatcher, decoders),
    onBytes: (n) => {
      if (n - lastReport >= 4 * 1024 * 1024) {
        lastReport = n;
        report();
      }
    },
  });
  const header = await reader.header();
  const snapshotTimeMs = snapshotTime(header);
  const expired = new Map<AdapterName, bigint>();
  const quarantine = opts.salvage === true ? new Quarantine(tree, join(scratch, 'quarantined-offsets')) : undefined;
  /** Units the adapters found damaged at finalize, by adapter (only while salvaging). */
  const damaged = new Map<AdapterName, DamagedUnit[]>();
  for (const name of DECODE_ORDER) {
    const adapter = adapters.find((a) => a.name === name);
    if (adapter === undefined || !selected.has(name)) continue;
    const scratchDir = join(scratch, name);
    await fsp.mkdir(scratchDir, { recursive: true });
    let sorters = 0;
    expired.set(name, 0n);
    decoders.set(
      name,
      adapter.createDecoder({
        tree,
        scratchDir,
        switches,
        warn,
        filtered: opts.filter !== undefined,
        snapshotTimeMs,
        expiredSkipped: () => {
          expired.set(name, (expired.get(name) ?? 0n) + 1n);
          counters.expired++;
        },
        memoryBudget: perAdapterBudget,
        newSorter: () => new ExternalSorter({ scratchDir: join(scratchDir, `sort-${sorters++}`), pool }),
        damaged: async (unit) => {
          if (quarantine === undefined) throw unit.error;
          if (input.size === undefined) throw cannotSalvage(unit, 'its rows are set apart by reading the snapshot a second time, and standard input or a pipe is read once: decode from a file');
          if (unit.written.length > 0) {
            if (tree.remove === undefined) throw cannotSalvage(unit, 'what was written of it cannot be taken back from this output (an archive stream): decode --salvage to a directory');
            for (const rel of unit.written) await tree.remove(rel);
          }
          let units = damaged.get(name);
          if (units === undefined) damaged.set(name, (units = []));
          units.push(unit);
        },
      }),
    );
  }

  const families = adapterFamilies(adapters.filter((a) => selected.has(a.name)));
  const filter = opts.filter;
  const vocab = new Map(adapters.map((a) => [a.name, a.filter]));
  const versions = new VersionResolver(versionPolicy);
  const operational: Record<string, bigint> = {};
  let registryRows = 0;
  /** Rows handed to each adapter while reading (counted as numbers: a bigint increment per row costs ~70 ns). */
  const routed = Object.fromEntries(adapters.map((a) => [a.name, 0])) as Record<AdapterName, number>;
  let tombstones = 0;
  let superseded = 0;
  /** A row's own data error: the row goes to the quarantine when salvaging, else the error ends the decode. */
  const refuse = (rec: SnapshotEntry, adapter: AdapterName | undefined, err: DataError): Promise<void> => {
    if (quarantine === undefined) throw err;
    counters.quarantined++;
    if (adapter !== undefined) counters.byAdapter[adapter]--;
    const row = { offset: rec.offset, commitTs: rec.commitTs, adapter, key: rec.userKey, value: rec.value };
    return quarantine.add(row, err);
  };
  /** A row's error: a data error goes to refuse with the row's offset, anything else ends the decode. */
  const refusedRow = (rec: SnapshotEntry, adapter: AdapterName, err: unknown): Promise<void> => {
    const e = atRow(err, opts.input, rec.offset);
    if (!(e instanceof DataError)) throw e;
    return refuse(rec, adapter, e);
  };
  try {
    await scanSnapshot(reader, dispatcher, versions, {
      operational(rec) {
        counters.operational++;
        if (rec.uint !== undefined) operational[rec.name] = rec.uint;
        else registryRows++;
      },
      hidden(rec) {
        entries++;
        if (rec.tombstone) tombstones++;
        else superseded++;
      },
      live(rec, route) {
        entries++;
        if (route === undefined) {
          const family = families.find(
            (f) =>
              rec.userKey.length >= f.prefix.length &&
              rec.userKey.compare(f.prefix, 0, f.prefix.length, 0, f.prefix.length) === 0,
          );
          if (family !== undefined) {
            const err = new DataError(
              'DECODE_UNATTRIBUTED_ROW',
              `a row under the ${family.adapter} prefix ${JSON.stringify(family.prefix.toString('latin1'))} that no ${family.adapter} record layout matches (a damaged key, or a layout this version does not decode): decoding on would drop it silently`,
              { path: opts.input, offset: rec.offset, key: rec.userKey },
            );
            return refuse(rec, undefined, err);
          }
          counters.unknown++;
          return undefined;
        }
        const decoder = route.adapter === undefined ? undefined : decoders.get(route.adapter);
        if (decoder === undefined || route.adapter === undefined) {
          counters.internal++;
          return undefined;
        }
        if (
          filter !== undefined &&
          !filter.accepts(route.adapter, vocab.get(route.adapter)?.rowScope(route.kind, rec.userKey, switches))
        ) {
          counters.filtered++;
          return undefined;
        }
        routed[route.adapter]++;
        const adapter = route.adapter;
        // The reader waits for a pending row before it moves on, so the row's buffers still hold it here.
        let pending;
        try {
          pending = decoder.handle(route.kind, rec.userKey, rec.value, rec.deferred);
        } catch (err) {
          return refusedRow(rec, adapter, err);
        }
        // A closure only for a row that is still pending (most rows are handled synchronously).
        return pending?.catch((err: unknown) => refusedRow(rec, adapter, err));
      },
    });
    counters.total += BigInt(entries);
    counters.tombstone += BigInt(tombstones);
    counters.superseded += BigInt(superseded);
    for (const name of Object.keys(routed) as AdapterName[]) counters.byAdapter[name] += BigInt(routed[name]);
    report();
    phase = 'finalize';
    report();
    for (const name of DECODE_ORDER) await decoders.get(name)?.finalize();
    report();
    if (quarantine !== undefined && damaged.size > 0) {
      const single = quarantine.endSingleRows();
      try {
        await setApartDamagedUnits({ opts, adapters, switches, versionPolicy, counters, quarantine, damaged, single });
      } finally {
        single.close();
      }
    }
  } finally {
    await quarantine?.close();
  }

  const container = reader.container as ContainerInfo;
  const salvaged = quarantine?.summary();
  const manifest = phase0Manifest({
    ...(opts.clusterId !== undefined && opts.clusterId !== '' ? { clusterId: opts.clusterId } : {}),
    snapshotIndex: snapshotIndexFromPath(opts.input, header.runtime !== undefined),
    lastCommitTs: header.lastCommitTs,
    fsmPath: opts.manifestSourcePath ?? opts.input,
    ...(container.crc32c !== undefined ? { fsmCrc32c: container.crc32c.toString(16).padStart(8, '0') } : {}),
    adapters: DECODE_ORDER.filter((a) => selected.has(a)),
    ...recordedModes(adapters, switches),
    ...sourceSnapshotFacts(header, container, operational, registryRows),
    ...(filter !== undefined ? { filter: filter.description } : {}),
    ...(switches.expired === 'skip' ? { skipExpired: { snapshot_time_ms: snapshotTimeMs, records: Object.fromEntries(expired) } } : {}),
    ...(salvaged !== undefined ? { quarantine: quarantineManifestField(salvaged) } : {}),
  });
  const result = { header, container, counters, manifest, operational };
  return salvaged === undefined ? result : { ...result, quarantine: salvaged };
}

/** The error for a damaged unit that --salvage cannot set apart, and why. */
function cannotSalvage(unit: DamagedUnit, why: string): DataError {
  return new DataError('DECODE_SALVAGE_UNSUPPORTED', `${unit.error.code} ${unit.error.reason}; --salvage cannot set it apart: ${why}`, unit.error.context, { cause: unit.error });
}

interface SecondPass {
  readonly opts: Omit<DecodeSnapshotOptions, 'output'>;
  readonly adapters: readonly Adapter[];
  readonly switches: DecodeSwitches;
  readonly versionPolicy: VersionPolicy;
  readonly counters: DecodeCounters;
  readonly quarantine: Quarantine;
  readonly damaged: ReadonlyMap<AdapterName, readonly DamagedUnit[]>;
  /** Whether the row at an offset was already set apart on its own. */
  readonly single: OffsetLookup;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/**
 * The second pass of a salvaging decode whose adapters reported damaged units: reads the snapshot again, resolves
 * versions, routes and filters as the first pass did, and sets apart every live row of a damaged unit (the
 * unit's RowScope matches the row's) that was not already set apart on its own. Memory holds the units only.
 */
async function setApartDamagedUnits(p: SecondPass): Promise<void> {
  const { opts, counters, quarantine, switches } = p;
  const byScope = new Map<AdapterName, Map<string, DamagedUnit[]>>();
  for (const [adapter, units] of p.damaged) {
    const m = new Map<string, DamagedUnit[]>();
    for (const u of units) {
      const id = Buffer.from(u.rows.scope).toString('latin1');
      m.set(id, [...(m.get(id) ?? []), u]);
    }
    byScope.set(adapter, m);
  }
  const vocab = new Map(p.adapters.map((a) => [a.name, a.filter]));
  const input = await openSnapshotInput(opts.input, opts.s3 !== undefined ? { s3: opts.s3 } : {});
  try {
    const reader = new SnapshotReader(input.source, { path: opts.input, rereadCrc32c: input.rereadCrc32c });
    await scanSnapshot(reader, new Dispatcher(p.adapters), new VersionResolver(p.versionPolicy), {
      operational: () => undefined,
      hidden: () => undefined,
      live(rec, route) {
        const adapter = route?.adapter;
        const units = adapter === undefined ? undefined : byScope.get(adapter);
        if (units === undefined || route === undefined || adapter === undefined) return undefined;
        const scope = vocab.get(adapter)?.rowScope(route.kind, rec.userKey, switches);
        if (scope?.scope === undefined) return undefined;
        if (opts.filter !== undefined && !opts.filter.accepts(adapter, scope)) return undefined;
        const unit = units
          .get(Buffer.from(scope.scope).toString('latin1'))
          ?.find(
            (u) =>
              (u.rows.key === undefined || (scope.key !== undefined && sameBytes(u.rows.key, scope.key))) &&
              (u.rows.type === undefined || scope.type === undefined || u.rows.type === scope.type),
          );
        if (unit === undefined || p.single.has(rec.offset)) return undefined;
        counters.byAdapter[adapter]--;
        counters.quarantined++;
        const row = { offset: rec.offset, commitTs: rec.commitTs, adapter, key: rec.userKey, value: rec.value };
        return quarantine.addUnitRow(row, unit.error);
      },
    });
  } finally {
    input.close();
  }
}

/**
 * The key families of adapters (the first `!…|` segment of each route prefix). A live row in an adapter's
 * family that none of its routes matches is damage (a flipped byte in a bucket's metadata key would otherwise
 * count as unknown and leave the bucket's objects without their bucket's metadata file), not noise.
 */
function adapterFamilies(
  adapters: readonly Adapter[],
): Array<{ readonly prefix: Buffer; readonly adapter: AdapterName }> {
  const out = new Map<string, AdapterName>();
  for (const a of adapters) {
    for (const r of a.routes) {
      const end = r.prefix.indexOf('|');
      if (r.prefix.startsWith('!') && end > 1) out.set(r.prefix.slice(0, end + 1), a.name);
    }
  }
  return [...out].map(([prefix, adapter]) => ({ prefix: Buffer.from(prefix, 'latin1'), adapter }));
}

/** An adapter's error for a row, given the row's offset in the input when it names none. */
function atRow(err: unknown, input: string, offset: number): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  if (!(err instanceof DataError) || err.context.offset !== undefined) return err;
  return new DataError(err.code as DataErrorCode, err.reason, { path: input, ...err.context, offset }, { cause: err });
}

/** The snapshot's own time in Unix ms: the runtime header's HLC ceiling, else last_commit_ts's physical part. */
function snapshotTime(header: SnapshotHeader): bigint {
  const ceiling = header.runtime?.ceilingMs ?? 0n;
  return ceiling !== 0n ? ceiling : header.lastCommitTs >> 16n;
}

/** The manifest extension describing a live node's snapshot; absent for a plain native payload. */
function sourceSnapshotFacts(
  header: SnapshotHeader,
  container: ContainerInfo,
  operational: Record<string, bigint>,
  registryRows: number,
): { sourceSnapshot?: GoStruct } {
  if (container.kind === 'native' && Object.keys(operational).length === 0 && registryRows === 0) return {};
  const rt = header.runtime;
  return {
    sourceSnapshot: {
      container: container.kind,
      hlc_ceiling_ms: rt?.ceilingMs,
      cutover_index: rt?.cutoverIndex,
      applied_index: operational['applied_index'],
      meta_last_commit_ts: operational['last_commit_ts'],
      min_retained_ts: operational['min_retained_ts'],
      pending_min_retained_ts: operational['pending_min_retained_ts'],
      writer_registry_rows: registryRows > 0 ? BigInt(registryRows) : undefined,
    },
  };
}
