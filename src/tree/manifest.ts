// MANIFEST.json: what a dump is and how it was made (spec core.md §3.5; elastickv: internal/backup/manifest.go).
//
// Written with Go's json.Encoder: two-space indentation, HTML escaping off, one trailing newline; fields in
// the struct order below. Read with the reference's gate order: object, format_version present and non-null,
// version range (before any typed decode), typed decode (case-insensitive fields, unknown keys ignored),
// exclusions presence, validate().

import { DataError } from '../errors.ts';
import { goEncodeLine, type GoStruct } from '../json/go-json.ts';
import {
  JsonObject,
  JsonTypeError,
  parseJsonBytes,
  readArray,
  readBool,
  readObject,
  readString,
  readUint,
  type JsonValue,
} from '../json/go-json-read.ts';
import { formatRfc3339Nano, isRfc3339Nano } from './wall-time.ts';

export const MANIFEST_FILE = 'MANIFEST.json';
const CURRENT_FORMAT_VERSION = 1;
const PHASE0 = 'phase0-snapshot-decode';
const PHASE1 = 'phase1-live-pinned';
const ADAPTER_KEYS = ['dynamodb', 's3', 'redis', 'sqs'] as const;
type ManifestAdapterKey = (typeof ADAPTER_KEYS)[number];

/** What one adapter covered in a dump, as listed in MANIFEST.json `adapters`. */
export interface AdapterScope {
  readonly tables?: readonly string[];
  readonly buckets?: readonly string[];
  readonly databases?: readonly bigint[];
  readonly queues?: readonly string[];
}

/** The producer-mode switches MANIFEST.json `exclusions` records (they decide how the tree encodes). */
export interface Exclusions {
  readonly includeIncompleteUploads: boolean;
  readonly includeOrphans: boolean;
  readonly preserveSqsVisibility: boolean;
  readonly includeSqsSideRecords: boolean;
  readonly renameS3Collisions: boolean;
}

/** A dump tree's MANIFEST.json, parsed (snake_case fields as camelCase, 64-bit numbers as bigint). */
export interface Manifest {
  readonly formatVersion: number;
  readonly phase: string;
  readonly elastickvVersion: string;
  readonly clusterId: string;
  readonly snapshotIndex: bigint;
  readonly lastCommitTs: bigint;
  readonly wallTimeIso: string;
  readonly source?: { readonly fsmPath: string; readonly fsmCrc32c: string };
  readonly live?: { readonly readTs: bigint; readonly pinTokenSha256: string };
  /** null when the manifest has no adapters section (invalid). */
  readonly adapters: Partial<Record<ManifestAdapterKey, AdapterScope>> | null;
  readonly exclusions: Exclusions | null;
  readonly checksumAlgorithm: string;
  readonly checksumFormat: string;
  readonly encodedFilenameCharset: string;
  readonly keySegmentMaxBytes: number;
  readonly s3MetaSuffix: string;
  readonly s3CollisionStrategy: string;
  readonly dynamodbLayout: string;
  /**
   * Extension (ignored by the reference reader): facts about the source snapshot that only this toolchain
   * records — the runtime container and the node's operational `_meta_*` rows. Written only when present.
   */
  readonly sourceSnapshot?: GoStruct;
  /**
   * Extension, written only with the JSONL layout (which the reference refuses): the bundle size the decoder
   * cut parts at, so a self-test can reproduce the same parts.
   */
  readonly dynamodbBundleBytes?: bigint;
  /**
   * Extension, written only for a filtered dump: the `--include`/`--exclude` clauses it was made with. Such a
   * tree holds part of the snapshot; encode refuses it unless told `--allow-partial`.
   */
  readonly filter?: ManifestFilter;
  /**
   * Extension, written only by `decode --skip-expired`: the snapshot time expiries were judged against and how
   * many records each adapter left out.
   */
  readonly skipExpired?: GoStruct;
  /**
   * Extension, written only by a `decode --salvage` that set rows apart: where they are
   * (`_quarantine/records.jsonl`), how many, and how many per error code. Encode leaves them out and says so.
   */
  readonly quarantine?: GoStruct;
}

interface ManifestFilter {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

export interface Phase0Params {
  readonly clusterId?: string;
  readonly snapshotIndex?: bigint;
  readonly lastCommitTs: bigint;
  readonly fsmPath: string;
  readonly fsmCrc32c?: string;
  readonly adapters: readonly ManifestAdapterKey[];
  readonly exclusions: Exclusions;
  readonly dynamodbLayout: 'per-item' | 'jsonl';
  readonly wallTime?: Date;
  readonly sourceSnapshot?: GoStruct;
  readonly dynamodbBundleBytes?: bigint;
  readonly filter?: ManifestFilter;
  readonly skipExpired?: GoStruct;
  readonly quarantine?: GoStruct;
}

/** The manifest the decode command writes (NewPhase0SnapshotManifest + emitManifest). */
export function phase0Manifest(p: Phase0Params): Manifest {
  const adapters: Partial<Record<ManifestAdapterKey, AdapterScope>> = {};
  for (const a of ADAPTER_KEYS) if (p.adapters.includes(a)) adapters[a] = {};
  const m: Manifest = {
    formatVersion: CURRENT_FORMAT_VERSION,
    phase: PHASE0,
    elastickvVersion: 'dev',
    clusterId: p.clusterId ?? '',
    snapshotIndex: p.snapshotIndex ?? 0n,
    lastCommitTs: p.lastCommitTs,
    wallTimeIso: formatRfc3339Nano(p.wallTime ?? new Date()),
    source: { fsmPath: p.fsmPath, fsmCrc32c: p.fsmCrc32c ?? '' },
    adapters,
    exclusions: p.exclusions,
    checksumAlgorithm: 'sha256',
    checksumFormat: 'sha256sum',
    encodedFilenameCharset: 'rfc3986-unreserved-plus-percent',
    keySegmentMaxBytes: 240,
    s3MetaSuffix: '.elastickv-meta.json',
    s3CollisionStrategy: 'leaf-data-suffix',
    dynamodbLayout: p.dynamodbLayout,
  };
  return {
    ...m,
    ...(p.sourceSnapshot !== undefined ? { sourceSnapshot: p.sourceSnapshot } : {}),
    ...(p.skipExpired !== undefined ? { skipExpired: p.skipExpired } : {}),
    ...(p.quarantine !== undefined ? { quarantine: p.quarantine } : {}),
    ...(p.dynamodbLayout === 'jsonl' && p.dynamodbBundleBytes !== undefined ? { dynamodbBundleBytes: p.dynamodbBundleBytes } : {}),
    ...(p.filter !== undefined ? { filter: p.filter } : {}),
  };
}

function scopeToGo(s: AdapterScope): GoStruct {
  const nonEmpty = <T,>(a: readonly T[] | undefined): readonly T[] | undefined =>
    a !== undefined && a.length > 0 ? a : undefined;
  return {
    tables: nonEmpty(s.tables),
    buckets: nonEmpty(s.buckets),
    databases: nonEmpty(s.databases),
    queues: nonEmpty(s.queues),
  };
}

/** The manifest as Go would marshal it (omitempty applied). */
function manifestToGo(m: Manifest): GoStruct {
  const omit = <T>(v: T, empty: T): T | undefined => (v === empty ? undefined : v);
  let adapters: GoStruct | null = null;
  if (m.adapters !== null) {
    const a: Record<string, GoStruct | undefined> = {};
    for (const k of ADAPTER_KEYS) a[k] = m.adapters[k] === undefined ? undefined : scopeToGo(m.adapters[k]);
    adapters = a;
  }
  const ex = m.exclusions;
  return {
    format_version: m.formatVersion,
    phase: m.phase,
    elastickv_version: omit(m.elastickvVersion, ''),
    cluster_id: omit(m.clusterId, ''),
    snapshot_index: omit(m.snapshotIndex, 0n),
    last_commit_ts: omit(m.lastCommitTs, 0n),
    wall_time_iso: m.wallTimeIso,
    source: m.source === undefined ? undefined : { fsm_path: m.source.fsmPath, fsm_crc32c: omit(m.source.fsmCrc32c, '') },
    live: m.live === undefined ? undefined : { read_ts: m.live.readTs, pin_token_sha256: omit(m.live.pinTokenSha256, '') },
    adapters,
    exclusions:
      ex === null
        ? null
        : {
            include_incomplete_uploads: ex.includeIncompleteUploads,
            include_orphans: ex.includeOrphans,
            preserve_sqs_visibility: ex.preserveSqsVisibility,
            include_sqs_side_records: ex.includeSqsSideRecords,
            rename_s3_collisions: ex.renameS3Collisions ? true : undefined,
          },
    checksum_algorithm: m.checksumAlgorithm,
    checksum_format: m.checksumFormat,
    encoded_filename_charset: m.encodedFilenameCharset,
    key_segment_max_bytes: m.keySegmentMaxBytes,
    s3_meta_suffix: m.s3MetaSuffix,
    s3_collision_strategy: m.s3CollisionStrategy,
    dynamodb_layout: m.dynamodbLayout,
    dynamodb_bundle_bytes: m.dynamodbBundleBytes,
    source_snapshot: m.sourceSnapshot,
    filter: m.filter === undefined ? undefined : { include: m.filter.include, exclude: m.filter.exclude },
    skip_expired: m.skipExpired,
    quarantine: m.quarantine,
  };
}

/** Serialises a manifest after validating it (WriteManifest). */
export function renderManifest(m: Manifest): string {
  validateManifest(m, 'MANIFEST.json');
  return goEncodeLine(manifestToGo(m), { escapeHTML: false, indent: true });
}

function invalid(path: string, why: string): DataError {
  return new DataError('MANIFEST_INVALID', `manifest invalid: ${why}`, { path });
}

function unsupported(path: string, why: string): DataError {
  return new DataError('MANIFEST_UNSUPPORTED_VERSION', `manifest format_version unsupported: ${why}`, { path });
}

/** validate(): the invariants every manifest must hold, read or written. */
function validateManifest(m: Manifest, path: string): void {
  if (m.formatVersion === 0) throw unsupported(path, 'format_version is zero');
  if (m.formatVersion > CURRENT_FORMAT_VERSION) throw unsupported(path, `format_version ${m.formatVersion} > current ${CURRENT_FORMAT_VERSION} (newer producer)`);
  if (m.phase !== PHASE0 && m.phase !== PHASE1) throw invalid(path, `unknown phase ${JSON.stringify(m.phase)}`);
  if (m.wallTimeIso === '' || !isRfc3339Nano(m.wallTimeIso)) throw invalid(path, `wall_time_iso ${JSON.stringify(m.wallTimeIso)} is not RFC3339`);
  if (m.adapters === null) throw invalid(path, 'adapters section missing');
  if (m.exclusions === null) throw invalid(path, 'exclusions section missing');
  const required: Array<[string, string]> = [
    ['checksum_algorithm', m.checksumAlgorithm],
    ['checksum_format', m.checksumFormat],
    ['encoded_filename_charset', m.encodedFilenameCharset],
    ['s3_meta_suffix', m.s3MetaSuffix],
    ['s3_collision_strategy', m.s3CollisionStrategy],
  ];
  for (const [k, v] of required) if (v === '') throw invalid(path, `${k} missing`);
  if (m.keySegmentMaxBytes === 0) throw invalid(path, 'key_segment_max_bytes missing');
  if (m.dynamodbLayout !== 'per-item' && m.dynamodbLayout !== 'jsonl') throw invalid(path, `dynamodb_layout ${JSON.stringify(m.dynamodbLayout)} unsupported`);
  if (m.phase === PHASE0 && m.live !== undefined) throw invalid(path, 'phase0 manifest must not carry live');
  if (m.phase === PHASE1) {
    if (m.source !== undefined) throw invalid(path, 'phase1 manifest must not carry source');
    if (m.live === undefined) throw invalid(path, 'phase1 manifest requires live');
    if (m.live.readTs === 0n) throw invalid(path, 'phase1 manifest requires non-zero live.read_ts');
  }
}

const EXCLUSION_FLAGS = ['include_incomplete_uploads', 'include_orphans', 'preserve_sqs_visibility', 'include_sqs_side_records'] as const;

/** ReadManifest: parses and validates MANIFEST.json bytes. */
export function parseManifest(bytes: Uint8Array, path = MANIFEST_FILE): Manifest {
  let root: JsonValue;
  try {
    root = parseJsonBytes(bytes);
  } catch (err) {
    throw invalid(path, (err as Error).message);
  }
  if (!(root instanceof JsonObject)) throw invalid(path, 'not a JSON object');
  if (!root.has('format_version')) throw invalid(path, 'format_version missing');
  const fv = root.get('format_version');
  if (fv === null || fv === undefined) throw invalid(path, 'format_version is null');
  let version: number;
  try {
    version = Number(readUint(fv, 'format_version', 32));
  } catch (err) {
    throw invalid(path, (err as Error).message);
  }
  if (version === 0) throw unsupported(path, 'format_version is zero');
  if (version > CURRENT_FORMAT_VERSION) throw unsupported(path, `format_version ${version} > current ${CURRENT_FORMAT_VERSION} (newer producer)`);
  let m: Manifest;
  try {
    m = decodeManifest(root, version);
  } catch (err) {
    if (err instanceof JsonTypeError) throw invalid(path, err.message);
    throw err;
  }
  const exRaw = root.field('exclusions');
  if (exRaw !== undefined) {
    if (!(exRaw instanceof JsonObject)) throw invalid(path, exRaw === null ? 'exclusions.include_incomplete_uploads missing (cannot infer producer-side default)' : 'exclusions is not an object');
    for (const f of EXCLUSION_FLAGS) {
      if (!exRaw.has(f)) throw invalid(path, `exclusions.${f} missing (cannot infer producer-side default)`);
      if (exRaw.get(f) === null) throw invalid(path, `exclusions.${f} is null`);
    }
  }
  validateManifest(m, path);
  return m;
}

function decodeManifest(o: JsonObject, version: number): Manifest {
  const src = readObject(o.field('source'), 'source');
  const live = readObject(o.field('live'), 'live');
  const adaptersObj = readObject(o.field('adapters'), 'adapters');
  const exObj = readObject(o.field('exclusions'), 'exclusions');
  let adapters: Partial<Record<ManifestAdapterKey, AdapterScope>> | null = null;
  if (adaptersObj !== undefined) {
    adapters = {};
    for (const k of ADAPTER_KEYS) {
      const s = readObject(adaptersObj.field(k), `adapters.${k}`);
      if (s !== undefined) adapters[k] = decodeScope(s, k);
    }
  }
  const exclusions: Exclusions | null =
    exObj === undefined
      ? null
      : {
          includeIncompleteUploads: readBool(exObj.field('include_incomplete_uploads'), 'exclusions.include_incomplete_uploads'),
          includeOrphans: readBool(exObj.field('include_orphans'), 'exclusions.include_orphans'),
          preserveSqsVisibility: readBool(exObj.field('preserve_sqs_visibility'), 'exclusions.preserve_sqs_visibility'),
          includeSqsSideRecords: readBool(exObj.field('include_sqs_side_records'), 'exclusions.include_sqs_side_records'),
          renameS3Collisions: readBool(exObj.field('rename_s3_collisions'), 'exclusions.rename_s3_collisions'),
        };
  let m: Manifest = {
    formatVersion: version,
    phase: readString(o.field('phase'), 'phase'),
    elastickvVersion: readString(o.field('elastickv_version'), 'elastickv_version'),
    clusterId: readString(o.field('cluster_id'), 'cluster_id'),
    snapshotIndex: readUint(o.field('snapshot_index'), 'snapshot_index'),
    lastCommitTs: readUint(o.field('last_commit_ts'), 'last_commit_ts'),
    wallTimeIso: readString(o.field('wall_time_iso'), 'wall_time_iso'),
    adapters,
    exclusions,
    checksumAlgorithm: readString(o.field('checksum_algorithm'), 'checksum_algorithm'),
    checksumFormat: readString(o.field('checksum_format'), 'checksum_format'),
    encodedFilenameCharset: readString(o.field('encoded_filename_charset'), 'encoded_filename_charset'),
    keySegmentMaxBytes: Number(readUint(o.field('key_segment_max_bytes'), 'key_segment_max_bytes', 32)),
    s3MetaSuffix: readString(o.field('s3_meta_suffix'), 's3_meta_suffix'),
    s3CollisionStrategy: readString(o.field('s3_collision_strategy'), 's3_collision_strategy'),
    dynamodbLayout: readString(o.field('dynamodb_layout'), 'dynamodb_layout'),
    ...(o.has('dynamodb_bundle_bytes') ? { dynamodbBundleBytes: readUint(o.get('dynamodb_bundle_bytes'), 'dynamodb_bundle_bytes') } : {}),
  };
  const quarantineObj = readObject(o.field('quarantine'), 'quarantine');
  if (quarantineObj !== undefined) {
    m = {
      ...m,
      quarantine: {
        file: readString(quarantineObj.field('file'), 'quarantine.file'),
        records: readUint(quarantineObj.field('records'), 'quarantine.records'),
      },
    };
  }
  const filterObj = readObject(o.field('filter'), 'filter');
  if (filterObj !== undefined) {
    const list = (f: string): string[] => (readArray(filterObj.field(f), `filter.${f}`) ?? []).map((v) => readString(v, `filter.${f}`));
    m = { ...m, filter: { include: list('include'), exclude: list('exclude') } };
  }
  const withSource: Manifest =
    src === undefined ? m : { ...m, source: { fsmPath: readString(src.field('fsm_path'), 'source.fsm_path'), fsmCrc32c: readString(src.field('fsm_crc32c'), 'source.fsm_crc32c') } };
  return live === undefined
    ? withSource
    : { ...withSource, live: { readTs: readUint(live.field('read_ts'), 'live.read_ts'), pinTokenSha256: readString(live.field('pin_token_sha256'), 'live.pin_token_sha256') } };
}

function decodeScope(s: JsonObject, name: string): AdapterScope {
  const strings = (field: string): string[] => (readArray(s.field(field), `adapters.${name}.${field}`) ?? []).map((v) => readString(v, `adapters.${name}.${field}`));
  const dbs = (readArray(s.field('databases'), `adapters.${name}.databases`) ?? []).map((v) => readUint(v, `adapters.${name}.databases`, 32));
  return { tables: strings('tables'), buckets: strings('buckets'), databases: dbs, queues: strings('queues') };
}
