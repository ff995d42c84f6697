// The contract every adapter fulfils. An adapter owns its key layouts and both directions:
// - decode: the pipeline routes each live snapshot row whose key starts with one of the adapter's prefixes to
//   its decoder (longest prefix wins across all adapters), then calls finalize once the stream has ended;
// - encode: the pipeline hands the adapter the dump tree and a sink; the adapter emits every user row and
//   every derived row (indexes, counters, metadata) it needs. The pipeline stamps MVCC suffixes, sorts and
//   writes the snapshot.
// Pipelines know nothing else about adapters.

import type { DataError } from '../errors.ts';
import type { InputRange } from '../snapshot/input-range.ts';
import type { ExternalSorter } from '../sort/external-sort.ts';
import type { RelPath } from '../tree/paths.ts';
import type { TreeFile, TreeReader } from '../tree/reader.ts';
import type { TreeWriter } from '../tree/writer.ts';
import type { Exclusions, Manifest } from '../tree/manifest.ts';
import type { AdapterName } from './registry.ts';

/**
 * A key prefix an adapter claims, and the name of the handler the decoder should use for it. `K` is the adapter's
 * union of handler names: its routes, its decoder and its filter take the same one, so a route naming a handler
 * the decoder lacks does not compile.
 */
export interface RouteSpec<K extends string = string> {
  /** ASCII prefix, e.g. `!redis|str|`. */
  readonly prefix: string;
  /** Handler name passed back to AdapterDecoder.handle, e.g. `string`. */
  readonly kind: K;
}

/**
 * Proves at compile time that a switch over an adapter's route kinds handled every one: after such a switch the
 * kind is `never`, and a kind added without its case makes this call fail to compile. No row reaches it.
 */
export function everyKindHandled(kind: never): never {
  return kind;
}

/**
 * What decode does with records already expired at the snapshot's own time (a Redis key whose TTL has passed, an
 * SQS message past its queue's retention): `keep` writes them like the reference, `skip` leaves them out.
 */
export type ExpiredPolicy = 'keep' | 'skip';

/** Decode-side switches (the decode CLI's flags). */
export interface DecodeSwitches {
  readonly includeIncompleteUploads: boolean;
  readonly includeOrphans: boolean;
  readonly renameCollisions: boolean;
  readonly preserveSqsVisibility: boolean;
  readonly includeSqsSideRecords: boolean;
  readonly dynamodbBundleMode: 'per-item' | 'jsonl';
  /** Target size of one JSONL bundle file in bytes (DynamoDB jsonl layout). */
  readonly dynamodbBundleBytes: number;
  /** Which `redis/db_<n>/` directory receives Redis rows (the reference CLIs always use 0). */
  readonly redisDbIndex: number;
  /**
   * True when decoders see only the newest version of each key (decode `--versions latest`): they then follow
   * what the live node serves where the reference's version-blind reading differs (Redis: collections kept
   * alive by meta delta rows alone). False reproduces the reference (`--versions all`).
   */
  readonly resolvedVersions: boolean;
  readonly expired: ExpiredPolicy;
}

/** Decode switches when none are given: the reference decoder's defaults. */
export const DEFAULT_DECODE_SWITCHES: DecodeSwitches = {
  includeIncompleteUploads: false,
  includeOrphans: false,
  renameCollisions: false,
  preserveSqsVisibility: false,
  includeSqsSideRecords: false,
  dynamodbBundleMode: 'per-item',
  dynamodbBundleBytes: 64 * 1024 * 1024,
  redisDbIndex: 0,
  resolvedVersions: true,
  expired: 'keep',
};

/** Producer-mode facts read from MANIFEST.json that decide how a tree must be encoded. */
export interface EncodeSwitches {
  readonly includeIncompleteUploads: boolean;
  readonly includeOrphans: boolean;
  readonly renameS3Collisions: boolean;
  readonly preserveSqsVisibility: boolean;
  readonly includeSqsSideRecords: boolean;
  readonly dynamodbLayout: 'per-item' | 'jsonl';
}

/** Warnings an adapter reports instead of failing (the reference's WarnSink). */
export type WarnSink = (event: string, fields: Readonly<Record<string, unknown>>) => void;

/**
 * A unit of an adapter's data (a key, an object, a bucket, a queue) found inconsistent only once its rows were all
 * in: no single row is at fault, so the whole unit is set apart.
 */
export interface DamagedUnit {
  /** What a decode without --salvage fails with (code, reason naming the unit). */
  readonly error: DataError;
  /**
   * Which rows are the unit's: every live row of this adapter whose RowScope (its filter vocabulary's rowScope)
   * has this scope and, where given here, this key and this type (a row that tells no type matches any).
   */
  readonly rows: RowScope & { readonly scope: Uint8Array };
  /** What of the unit the decoder already wrote to the tree (files or directories, closed). */
  readonly written: readonly RelPath[];
}

/** What the decode pipeline gives an adapter's decoder. */
export interface DecodeContext {
  /** Writer rooted at the dump tree being built. */
  readonly tree: TreeWriter;
  /** A scratch directory private to this adapter (exists, removed after finalize). */
  readonly scratchDir: string;
  readonly switches: DecodeSwitches;
  readonly warn: WarnSink;
  /** True when a record filter runs: rows a kept record refers to may have been left out. */
  readonly filtered: boolean;
  /**
   * The snapshot's own time in Unix milliseconds: the runtime header's HLC ceiling, else the physical part of
   * last_commit_ts (0 when neither is known). Expiries are judged against it.
   */
  readonly snapshotTimeMs: bigint;
  /** Counts one record left out because it had expired (only with `switches.expired === 'skip'`). */
  expiredSkipped(): void;
  /** Bytes this adapter may hold in memory for regrouping before it must spill to scratchDir. */
  readonly memoryBudget: number;
  /** A new external sorter spilling into this adapter's scratch directory. */
  newSorter(): ExternalSorter;
  /**
   * Reports a damaged unit found at finalize. Without --salvage it throws `unit.error`. With it, the pipeline
   * removes what was written of the unit, sets every row of the unit apart in the quarantine and returns: the
   * decoder then goes on without the unit (writing nothing more of it).
   */
  damaged(unit: DamagedUnit): Promise<void>;
}

/** One adapter's decoder for one run: receives its rows, then writes what remains on `finalize`. */
export interface AdapterDecoder<K extends string = string> {
  /**
   * Handles one live row. `userKey` is the full user key (prefix included); `kind` names the matched route.
   * Rows arrive in snapshot order (ascending encoded key). May return a promise when it does I/O.
   */
  handle(kind: K, userKey: Uint8Array, value: Uint8Array, rest?: InputRange): void | Promise<void>;
  /**
   * For the route kinds whose large values the decoder can take as a range of the snapshot file instead of bytes
   * (it hands them to TreeWriter.writeFileFromInput): the leading bytes of such a value it needs to see, at most 64;
   * 0 (or no method) for the others. Such a row then reaches `handle` with those bytes as `value` and the whole
   * value as `rest`.
   */
  valueHeadBytes?(kind: K): number;
  /** Called once after the last row (also after a failed read, like the reference); writes what remains. */
  finalize(): Promise<void>;
}

/** What the encode pipeline gives an adapter's encoder. */
export interface EncodeContext {
  /** Reader rooted at the dump root (the directory holding MANIFEST.json). */
  readonly tree: TreeReader;
  readonly switches: EncodeSwitches;
  readonly warn: WarnSink;
  readonly scratchDir: string;
  readonly memoryBudget: number;
  newSorter(): ExternalSorter;
  /**
   * Emits one row of the snapshot: the user key and the user value (no MVCC suffix or value header; the
   * pipeline adds both). Rows may be emitted in any order; each user key at most once.
   */
  emit(userKey: Uint8Array, userValue: Uint8Array): void | Promise<void>;
  /**
   * Emits one row whose user value is `head` followed by bytes `offset` to `offset + length` of a tree file found
   * with TreeReader.readOrFind. The pipeline reads those bytes only when it writes the row, so a large
   * value is neither held in memory nor sorted; a file that is no longer the one found is refused then
   * (TREE_FILE_CHANGED).
   */
  emitFile(userKey: Uint8Array, head: Uint8Array, file: TreeFile, offset: number, length: number): void | Promise<void>;
}

/** What record filters (`--include`/`--exclude`) see of one row; fields the row does not tell are absent. */
export interface RowScope {
  /** The row's scope: Redis database number (decimal), DynamoDB table, S3 bucket or SQS queue name. */
  readonly scope?: Uint8Array;
  /** The record type (Redis: string, hll, hash, list, set, zset, stream). */
  readonly type?: string;
  /** The user key: Redis key, DynamoDB partition-key value, S3 object key. */
  readonly key?: Uint8Array;
}

/** The names an adapter offers to filter expressions, and how it finds them in its rows. */
export interface FilterVocabulary<K extends string = string> {
  /** Name of the scope field in filter clauses: `db`, `table`, `bucket` or `queue`. */
  readonly scopeField: string;
  /** Values of the `type` field; absent when the adapter's records have no types. */
  readonly types?: readonly string[];
  /** Whether records carry a user key that the `key` field matches. */
  readonly keyed: boolean;
  /**
   * The scope of one routed row (the kind and key AdapterDecoder.handle would get), read from the key alone
   * so that excluded rows cost nothing more; undefined for a malformed key (the decoder reports it).
   */
  rowScope(kind: K, key: Uint8Array, switches: DecodeSwitches): RowScope | undefined;
}

/** One command-line flag of decode that an adapter owns (shown in decode's help under its name). */
export interface AdapterFlag {
  readonly type: 'bool' | 'string';
  readonly help: string;
  /** Shown in help and parsed when the flag is not given (a string for string flags, true for bool flags). */
  readonly default?: string | boolean;
  /** Placeholder shown in help, e.g. SIZE. */
  readonly value?: string;
  /** The only values the flag accepts. */
  readonly choices?: readonly string[];
}

/** The parsed values of an adapter's flags, as decode hands them back. */
export interface AdapterFlagValues {
  bool(name: string): boolean;
  string(name: string): string;
  /** A size flag (`64M`, `1G`, plain bytes) in bytes; refused with the flag's name when malformed. */
  size(name: string): number;
}

/** The MANIFEST.json fields that record how a tree was produced (decode writes them, encode reads them). */
export interface ManifestModes {
  readonly exclusions: Exclusions;
  readonly dynamodbLayout: 'per-item' | 'jsonl';
  readonly dynamodbBundleBytes?: bigint;
}

/** The parts of ManifestModes one adapter records. */
export type AdapterModes = Partial<Omit<ManifestModes, 'exclusions'>> & { readonly exclusions?: Partial<Exclusions> };

/**
 * What an adapter lets the user choose when decoding: its flags, the decode switches they set, and how those
 * switches are recorded in MANIFEST.json and read back from it.
 */
export interface AdapterOptions {
  /** Flags by name (without dashes). */
  readonly flags: Readonly<Record<string, AdapterFlag>>;
  /** The decode switches this adapter's flags set. */
  switchesFromFlags(values: AdapterFlagValues): Partial<DecodeSwitches>;
  /** The MANIFEST.json fields recording this adapter's decode switches. */
  recordModes(switches: DecodeSwitches): AdapterModes;
  /** The encode switches a manifest's recorded modes mean for this adapter. */
  encodeSwitches(m: Manifest): Partial<EncodeSwitches>;
  /** The decode switches that reproduce the recorded modes (encode's self-test decodes with them). */
  switchesFromManifest(m: Manifest): Partial<DecodeSwitches>;
}

/** Rows, key bytes and value bytes inspect counted for one route kind. */
export interface KindCounts {
  readonly entries: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
}

/** What inspect counted of one adapter's live rows (newest versions), from which the adapter predicts its tree. */
export interface TreeCounts {
  /** Per route kind of this adapter. */
  readonly kinds: ReadonlyMap<string, KindCounts>;
  /** Distinct keys per record type (adapters whose records have types). */
  readonly keysByType: ReadonlyMap<string, number>;
  /** Distinct scopes: databases, tables, buckets or queues. */
  readonly scopes: number;
}

/** An adapter's prediction of its part of the tree a default decode writes. */
export interface TreePrediction {
  readonly files: number;
  /**
   * True when `files` is exact. Some files depend on what counts cannot tell (a KEYMAP.jsonl for over-long names,
   * which TTL side files appear): then `files` may be a few short per scope.
   */
  readonly filesExact: boolean;
  /** Bytes of file contents, estimated from the counted key and value bytes. */
  readonly bytes: number;
  /** Scratch bytes decode may need at most while regrouping rows (spill files, S3 chunks awaiting their object). */
  readonly scratchBytes: number;
}

/**
 * An adapter: the key prefixes it owns and both directions (see the module comment). `N` is its name, `K` the
 * names of its decoder's handlers (see RouteSpec).
 */
export interface Adapter<N extends string = AdapterName, K extends string = string> {
  /** Its name; also its top-level directory in the dump tree. */
  readonly name: N;
  /** Every key prefix the adapter decodes. */
  readonly routes: readonly RouteSpec<K>[];
  /**
   * Prefixes of the adapter's bookkeeping rows that are never decoded: counted as internal, like the store's own.
   * `kind` names what the rows hold (inspect shows it instead of the raw prefix).
   */
  readonly internalPrefixes?: readonly RouteSpec[];
  /** Filter field names and the row scope reader. */
  readonly filter: FilterVocabulary<K>;
  /** Decode flags the adapter owns (none when absent). */
  readonly options?: AdapterOptions;
  /**
   * Base names of tree files whose lines are records in no defined order: the encoder's self-test compares them
   * as multisets of lines rather than byte for byte.
   */
  readonly unorderedRecordFiles?: readonly string[];
  createDecoder(ctx: DecodeContext): AdapterDecoder<K>;
  /** Predicts the adapter's part of the decoded tree from inspect's counts (inspect's "decoded tree" figures). */
  predictTree?(counts: TreeCounts): TreePrediction;
  /**
   * Throws a DataError when the tree was produced in a mode this adapter cannot encode faithfully
   * (for example a dump that omitted data the live store needs). Called before anything is written.
   */
  checkEncodable(switches: EncodeSwitches): void;
  /** Encodes `<root>/<adapter dir>` (absent directory: nothing to do). */
  encode(ctx: EncodeContext): Promise<void>;
}
