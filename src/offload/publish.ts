// offload publish: the newest persisted snapshot of a raft data directory -> an object store, the way the
// reference does it (internal/snapshotoffload/publish.go): the payload is spooled to a temp file while its
// SHA-256 is computed, uploaded under its content address (an existing object with the same bytes is reused),
// and only then is the manifest created. A publish that dies before the end leaves at most an unreferenced
// payload object, never a manifest pointing at a partial or missing payload.

import { createHash } from 'node:crypto';
import { constants as fsc, promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DataError, UserError } from '../errors.ts';
import { randomHex } from '../tree/publish.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import { decodeManifest, manifestKey, marshalManifest, MANIFEST_SCHEMA_VERSION, payloadKey, validateManifest, goTimeUtc, type OffloadManifest } from './manifest.ts';
import { openPersistedSnapshot } from './raft-source.ts';
import { integrity, type ObjectStore } from './store.ts';
import { writeAll } from '../fs/write-all.ts';

/**
 * What publishSnapshot publishes (the data directory's newest persisted snapshot) and where to; the reference's
 * publish flags.
 */
export interface PublishOptions {
  readonly store: ObjectStore;
  readonly dataDir: string;
  readonly prefix: string;
  readonly groupId: bigint;
  readonly sourceCluster: string;
  readonly binaryVersion: string;
  /** Spool directory (default: `.snapshot-offload-spool` next to the data directory). */
  readonly spoolDir?: string;
  /** Fixed creation time (RFC 3339, Go format); default now. With it, an existing manifest must match exactly. */
  readonly createdAt?: string;
}

/** The manifest publishSnapshot created (or found identical). */
export interface PublishResult {
  readonly manifest: OffloadManifest;
  /** The canonical manifest bytes (what the reference prints on stdout). */
  readonly manifestBytes: Buffer;
  /** False when an identical manifest was already there. */
  readonly created: boolean;
}

function nowGo(): string {
  const ms = Date.now();
  const ns = Number(process.hrtime.bigint() % 1_000_000n);
  return goTimeUtc(ms, ns);
}

/**
 * Publishes the newest persisted snapshot of the raft data directory `dataDir` to `store`: the payload under its
 * content address, then the manifest (`offload publish`; the reference's object layout, so either tool restores it).
 */
export async function publishSnapshot(o: PublishOptions): Promise<PublishResult> {
  if (o.dataDir.trim() === '') throw new UserError('FLAG_INVALID', '--data-dir is required');
  if (o.groupId === 0n && o.sourceCluster.trim() === '') throw new UserError('FLAG_INVALID', '--source-cluster is required when --group-id is 0');
  const snap = await openPersistedSnapshot(o.dataDir);
  if (snap === undefined) throw new DataError('OFFLOAD_NO_SNAPSHOT', 'no persisted snapshot available', { path: o.dataDir });
  const spoolDir = o.spoolDir !== undefined && o.spoolDir.trim() !== '' ? o.spoolDir : join(dirname(resolve(o.dataDir)), '.snapshot-offload-spool');
  await fsp.mkdir(spoolDir, { recursive: true, mode: 0o755 });
  const spool = join(spoolDir, `elastickv-snapshot-offload-${randomHex()}.fsm`);
  const untrack = trackTemp(spool);
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    const fh = await fsp.open(spool, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      for await (const chunk of snap.payload()) {
        hash.update(chunk);
        bytes += chunk.length;
        await writeAll(fh, chunk);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (bytes !== snap.payloadBytes) throw integrity(o.dataDir, `exported ${bytes} bytes, metadata expected ${snap.payloadBytes}`);
    const sha256 = hash.digest('hex');
    const pKey = payloadKey(o.prefix, sha256);
    const existing = await o.store.head(pKey);
    if (existing !== undefined) await verifyExisting(o.store, pKey, bytes, sha256, existing.size, existing.sha256);
    else await o.store.put(pKey, { path: spool }, { size: bytes, sha256, contentType: 'application/octet-stream' });
    const candidate: OffloadManifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      createdAt: o.createdAt ?? nowGo(),
      sourceCluster: o.sourceCluster.trim(),
      groupId: o.groupId,
      snapshotIndex: snap.index,
      snapshotTerm: snap.term,
      confState: snap.confState,
      payload: { key: pKey, bytes: BigInt(bytes), sha256, sourceCrc32c: BigInt(snap.crc32c) },
      binaryVersion: o.binaryVersion.trim(),
      manifestKey: manifestKey(o.prefix, o.groupId, snap.index, snap.term),
      manifestSha256: '',
    };
    validateManifest(candidate);
    return await putManifest(o.store, candidate, o.createdAt === undefined);
  } finally {
    await fsp.rm(spool, { force: true });
    untrack();
  }
}

async function verifyExisting(
  store: ObjectStore,
  key: string,
  size: number,
  sha256: string,
  haveSize: number,
  haveSha: string,
): Promise<void> {
  const where = store.describe(key);
  if (haveSize !== size) throw integrity(where, 'object already exists with different size');
  if (haveSha !== '') {
    if (haveSha !== sha256) throw integrity(where, 'object already exists with different sha256');
    return;
  }
  const { body } = await store.get(key);
  const h = createHash('sha256');
  let n = 0;
  for await (const c of body) {
    h.update(c);
    n += c.length;
  }
  if (n !== size || h.digest('hex') !== sha256) throw integrity(where, 'object already exists with different content');
}

async function loadExisting(store: ObjectStore, key: string): Promise<OffloadManifest | undefined> {
  if ((await store.head(key)) === undefined) return undefined;
  const { body } = await store.get(key);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > 1 << 20) throw integrity(store.describe(key), 'existing manifest exceeds 1 MiB');
    parts.push(Buffer.from(c));
  }
  return decodeManifest(Buffer.concat(parts), store.describe(key));
}

/** Same manifest, ignoring the self-hash (and the creation time when `anyTime`). */
function sameManifest(a: OffloadManifest, b: OffloadManifest, anyTime: boolean): boolean {
  const norm = (m: OffloadManifest) => marshalManifest({ ...m, createdAt: anyTime ? '' : m.createdAt, manifestSha256: '' }).bytes.toString();
  return norm(a) === norm(b);
}

async function putManifest(store: ObjectStore, candidate: OffloadManifest, anyTime: boolean): Promise<PublishResult> {
  const where = store.describe(candidate.manifestKey);
  const existing = await loadExisting(store, candidate.manifestKey);
  if (existing !== undefined) {
    if (!sameManifest(existing, candidate, anyTime)) throw integrity(where, 'manifest object already exists with different content');
    return { manifest: existing, manifestBytes: marshalManifest(existing).bytes, created: false };
  }
  const { bytes, sha256 } = marshalManifest(candidate);
  const objectSha = createHash('sha256').update(bytes).digest('hex');
  await store.put(candidate.manifestKey, { bytes }, { size: bytes.length, sha256: objectSha, contentType: 'application/json' });
  const committed = await loadExisting(store, candidate.manifestKey);
  if (committed === undefined) throw integrity(where, 'manifest object missing after put');
  if (!sameManifest(committed, candidate, anyTime)) throw integrity(where, 'manifest object already exists with different content');
  return { manifest: { ...candidate, manifestSha256: sha256 }, manifestBytes: bytes, created: true };
}
