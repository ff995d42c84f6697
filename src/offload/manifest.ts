// The snapshot manifest of an offloaded snapshot, byte for byte what the reference writes
// (internal/snapshotoffload/manifest.go): Go's json.MarshalIndent(m, "", "  ") plus a newline, with
// `manifest_sha256` the SHA-256 of the same document rendered without that field. Object keys:
//   <prefix>/v1/payloads/sha256/<sha[0:2]>/<sha>.fsm
//   <prefix>/v1/groups/<group>/snapshots/<index %020d>-<term %020d>.json

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { DataError } from '../errors.ts';
import { goMarshal, type GoStruct } from '../json/go-json.ts';
import { JsonObject, JsonTypeError, parseJsonBytes, readArray, readBool, readInt, readObject, readString, readUint } from '../json/go-json-read.ts';
import type { ConfStateIds } from './raft-source.ts';

export const MANIFEST_SCHEMA_VERSION = 1n;
/** The reference's limit on a manifest object it will read. */
export const MAX_MANIFEST_BYTES = 1 << 20;

interface PayloadDescriptor {
  readonly key: string;
  readonly bytes: bigint;
  readonly sha256: string;
  readonly sourceCrc32c: bigint;
}

/** An offload manifest: the reference's JSON document naming the payload object, its size, SHA-256, raft metadata. */
export interface OffloadManifest {
  readonly schemaVersion: bigint;
  /** RFC 3339 with nanoseconds as Go's time.Time marshals (trailing zeros of the fraction dropped). */
  readonly createdAt: string;
  readonly sourceCluster: string;
  readonly groupId: bigint;
  readonly snapshotIndex: bigint;
  readonly snapshotTerm: bigint;
  readonly confState: ConfStateIds;
  readonly payload: PayloadDescriptor;
  readonly binaryVersion: string;
  readonly manifestKey: string;
  readonly manifestSha256: string;
}

const SHA_HEX = /^[0-9a-f]{64}$/;

/** Go's time.Time.MarshalJSON of a UTC instant: RFC 3339, fraction to the nanosecond without trailing zeros. */
export function goTimeUtc(ms: number, extraNanos = 0): string {
  const iso = new Date(ms).toISOString();
  const nanos = (ms % 1000) * 1_000_000 + extraNanos;
  const frac = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${iso.slice(0, 19)}${frac}Z`;
}

function invalid(reason: string, path?: string): DataError {
  return new DataError('OFFLOAD_MANIFEST_INVALID', reason, path === undefined ? {} : { path });
}

function confToGo(c: ConfStateIds): GoStruct {
  const list = (v: readonly bigint[]) => (v.length === 0 ? undefined : [...v]);
  return {
    voters: list(c.voters),
    learners: list(c.learners),
    voters_outgoing: list(c.votersOutgoing),
    learners_next: list(c.learnersNext),
    auto_leave: c.autoLeave ? true : undefined,
  };
}

function toGo(m: OffloadManifest, withSha: boolean): GoStruct {
  return {
    schema_version: m.schemaVersion,
    created_at: m.createdAt,
    source_cluster: m.sourceCluster === '' ? undefined : m.sourceCluster,
    group_id: m.groupId,
    snapshot_index: m.snapshotIndex,
    snapshot_term: m.snapshotTerm,
    conf_state: confToGo(m.confState),
    payload: {
      key: m.payload.key,
      bytes: m.payload.bytes,
      sha256: m.payload.sha256,
      source_crc32c: m.payload.sourceCrc32c,
    },
    binary_version: m.binaryVersion === '' ? undefined : m.binaryVersion,
    manifest_key: m.manifestKey,
    manifest_sha256: withSha && m.manifestSha256 !== '' ? m.manifestSha256 : undefined,
  };
}

/** The canonical bytes (with the trailing newline) and the self-hash, as MarshalCanonical. */
export function marshalManifest(m: OffloadManifest): { bytes: Buffer; sha256: string } {
  const bare = goMarshal(toGo(m, false), { escapeHTML: true, indent: true });
  const sha256 = createHash('sha256').update(bare).digest('hex');
  const full = goMarshal(toGo({ ...m, manifestSha256: sha256 }, true), { escapeHTML: true, indent: true });
  return { bytes: Buffer.from(`${full}\n`), sha256 };
}

/** Go's RFC 3339 parse + re-format of created_at (a different spelling of the same instant would change the hash). */
function canonicalTime(s: string, where: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (m === null) throw invalid(`created_at ${JSON.stringify(s)} is not an RFC 3339 time`, where);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return `${m[1]}${frac === '' ? '' : `.${frac}`}${m[3]}`;
}

function uintList(v: ReturnType<typeof readArray>, field: string): bigint[] {
  return (v ?? []).map((x, i) => readUint(x, `${field}[${i}]`));
}

/** Parses, validates and self-hash-checks a manifest object (DecodeManifest + validateManifest). */
export function decodeManifest(bytes: Uint8Array, where: string): OffloadManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) throw new DataError('OFFLOAD_MANIFEST_INVALID', `manifest exceeds ${MAX_MANIFEST_BYTES} bytes`, { path: where });
  let m: OffloadManifest;
  try {
    const root = parseJsonBytes(bytes);
    if (!(root instanceof JsonObject)) throw new JsonTypeError('manifest is not a JSON object');
    const conf = readObject(root.field('conf_state'), 'conf_state') ?? new JsonObject([]);
    const payload = readObject(root.field('payload'), 'payload') ?? new JsonObject([]);
    m = {
      schemaVersion: readInt(root.field('schema_version'), 'schema_version'),
      createdAt: canonicalTime(readString(root.field('created_at'), 'created_at') || '0001-01-01T00:00:00Z', where),
      sourceCluster: readString(root.field('source_cluster'), 'source_cluster'),
      groupId: readUint(root.field('group_id'), 'group_id'),
      snapshotIndex: readUint(root.field('snapshot_index'), 'snapshot_index'),
      snapshotTerm: readUint(root.field('snapshot_term'), 'snapshot_term'),
      confState: {
        voters: uintList(readArray(conf.field('voters'), 'voters'), 'conf_state.voters'),
        learners: uintList(readArray(conf.field('learners'), 'learners'), 'conf_state.learners'),
        votersOutgoing: uintList(readArray(conf.field('voters_outgoing'), 'voters_outgoing'), 'conf_state.voters_outgoing'),
        learnersNext: uintList(readArray(conf.field('learners_next'), 'learners_next'), 'conf_state.learners_next'),
        autoLeave: readBool(conf.field('auto_leave'), 'conf_state.auto_leave'),
      },
      payload: {
        key: readString(payload.field('key'), 'payload.key'),
        bytes: readInt(payload.field('bytes'), 'payload.bytes'),
        sha256: readString(payload.field('sha256'), 'payload.sha256'),
        sourceCrc32c: readUint(payload.field('source_crc32c'), 'payload.source_crc32c', 32),
      },
      binaryVersion: readString(root.field('binary_version'), 'binary_version'),
      manifestKey: readString(root.field('manifest_key'), 'manifest_key'),
      manifestSha256: readString(root.field('manifest_sha256'), 'manifest_sha256'),
    };
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw invalid(`manifest is not valid JSON of the expected shape: ${(err as Error).message}`, where);
  }
  validateManifest(m, where);
  if (!SHA_HEX.test(m.manifestSha256)) throw invalid('manifest sha256 must be 64 lowercase hex characters', where);
  const { sha256 } = marshalManifest(m);
  if (sha256 !== m.manifestSha256) throw new DataError('OFFLOAD_INTEGRITY', `manifest sha256 ${m.manifestSha256}, expected ${sha256}`, { path: where });
  return m;
}

/** The reference's validateManifest checks. */
export function validateManifest(m: OffloadManifest, where?: string): void {
  if (m.schemaVersion !== MANIFEST_SCHEMA_VERSION) throw invalid(`unsupported manifest schema version ${m.schemaVersion}`, where);
  if (m.groupId === 0n && m.sourceCluster.trim() === '') throw invalid('source cluster is required for group 0 manifests', where);
  if (m.snapshotIndex === 0n) throw invalid('snapshot index must be > 0', where);
  if (m.snapshotTerm === 0n) throw invalid('snapshot term must be > 0', where);
  if (m.payload.key === '') throw invalid('payload key is required', where);
  if (m.payload.bytes < 0n) throw invalid('payload byte count must be >= 0', where);
  if (!SHA_HEX.test(m.payload.sha256)) throw invalid('payload sha256 must be 64 lowercase hex characters', where);
  if (m.manifestKey.trim() === '') throw invalid('manifest key is required', where);
  const c = m.confState;
  if (c.voters.length === 0) throw invalid('manifest ConfState requires voters', where);
  const roles: Array<[string, readonly bigint[]]> = [['voters', c.voters], ['learners', c.learners], ['voters_outgoing', c.votersOutgoing], ['learners_next', c.learnersNext]];
  for (const [name, ids] of roles) {
    const seen = new Set<bigint>();
    for (const id of ids) {
      if (id === 0n) throw invalid(`conf_state.${name} contains zero`, where);
      if (seen.has(id)) throw invalid(`conf_state.${name} contains duplicate node ${id}`, where);
      seen.add(id);
    }
  }
  const learners = new Set(c.learners);
  const outgoing = new Set(c.votersOutgoing);
  const next = new Set(c.learnersNext);
  for (const id of c.voters) {
    if (learners.has(id)) throw invalid(`node ${id} appears in conf_state.voters and conf_state.learners`, where);
    if (next.has(id)) throw invalid(`node ${id} appears in conf_state.voters and conf_state.learners_next`, where);
  }
  for (const id of c.learners) {
    if (outgoing.has(id)) throw invalid(`node ${id} appears in conf_state.learners and conf_state.voters_outgoing`, where);
    if (next.has(id)) throw invalid(`node ${id} appears in conf_state.learners and conf_state.learners_next`, where);
  }
  for (const id of c.learnersNext) if (!outgoing.has(id)) throw invalid(`conf_state.learners_next node ${id} is not an outgoing voter`, where);
  if (c.votersOutgoing.length === 0 && c.autoLeave) throw invalid('conf_state.auto_leave requires joint consensus', where);
}

/** Go's path.Clean of the trimmed prefix without surrounding slashes; "." when empty. */
function cleanPrefix(prefix: string): string {
  const p = prefix.trim().replace(/^\/+|\/+$/g, '');
  return p === '' ? '.' : posix.normalize(p).replace(/\/+$/, '') || '.';
}

export function payloadKey(prefix: string, sha256: string): string {
  return posix.join(cleanPrefix(prefix), 'v1', 'payloads', 'sha256', sha256.slice(0, 2), `${sha256}.fsm`);
}

export function manifestKey(prefix: string, groupId: bigint, index: bigint, term: bigint): string {
  return posix.join(cleanPrefix(prefix), 'v1', 'groups', String(groupId), 'snapshots', `${String(index).padStart(20, '0')}-${String(term).padStart(20, '0')}.json`);
}

/** Go's normalizeObjectKey: trimmed, leading slash dropped, path.Clean. */
export function normalizeObjectKey(key: string): string {
  const k = key.trim().replace(/^\//, '');
  if (k === '') return '.';
  const n = posix.normalize(k);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}
