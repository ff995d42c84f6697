// offload restore: a manifest and its payload from an object store -> a fresh raft data directory, the way the
// reference does it (internal/snapshotoffload/restore.go RestorePhysicalSnapshot): the manifest is loaded (at
// most 1 MiB), validated and its self-hash checked, and must name itself; the payload is downloaded into a
// private directory next to --data-dir while its size and SHA-256 are checked against the manifest (a mismatch
// is exit 2); only then is the data directory prepared (src/restore, physical payload: written as it is, with
// the CRC-32C footer), and the download removed.

import { createHash } from 'node:crypto';
import { constants as fsc, promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DataError, UserError } from '../errors.ts';
import { goCleanPath, preparePhysicalRestore } from '../restore/prepare.ts';
import { parsePeers } from '../restore/peers.ts';
import { randomHex } from '../tree/publish.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import { decodeManifest, MAX_MANIFEST_BYTES, normalizeObjectKey, validateManifest, type OffloadManifest } from './manifest.ts';
import { integrity, type ObjectStore } from './store.ts';
import { writeAll } from '../fs/write-all.ts';

/** Which manifest restoreSnapshot restores from `store`, and the data directory and peers it prepares. */
export interface RestoreOptions {
  readonly store: ObjectStore;
  readonly manifestKey: string;
  readonly dataDir: string;
  /** `id=addr,id=addr`. */
  readonly peers: string;
}

/** The data directory restoreSnapshot prepared, and the payload it checked. */
export interface RestoreResult {
  readonly manifest: OffloadManifest;
  readonly dataDir: string;
  readonly fsmPath: string;
  readonly snapPath: string;
  readonly crc32c: number;
  readonly payloadSha256: string;
  readonly payloadBytes: number;
  readonly peers: number;
}

/** Loads and checks the manifest object at `key`. */
async function loadManifest(store: ObjectStore, key: string): Promise<OffloadManifest> {
  const where = store.describe(key);
  const { body } = await store.get(key);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > MAX_MANIFEST_BYTES) throw new DataError('OFFLOAD_MANIFEST_INVALID', `manifest exceeds ${MAX_MANIFEST_BYTES} bytes`, { path: where });
    parts.push(Buffer.from(c));
  }
  const m = decodeManifest(Buffer.concat(parts), where);
  if (normalizeObjectKey(key) !== normalizeObjectKey(m.manifestKey)) throw integrity(where, `manifest key mismatch: loaded ${key}, body says ${m.manifestKey}`);
  return m;
}

/**
 * Restores a published snapshot (`offload restore`): loads and checks the manifest, downloads the payload and checks
 * its size and SHA-256, then builds a fresh raft data directory a stopped node boots from, as the reference does.
 */
export async function restoreSnapshot(o: RestoreOptions): Promise<RestoreResult> {
  if (o.manifestKey.trim() === '') throw new UserError('FLAG_INVALID', '--manifest-key is required');
  const peers = parsePeers(o.peers);
  const manifest = await loadManifest(o.store, o.manifestKey);
  validateManifest(manifest);
  const dest = goCleanPath(o.dataDir);
  if ((await fsp.lstat(dest).catch(() => undefined)) !== undefined) throw new UserError('RESTORE_DESTINATION_EXISTS', 'destination exists', { path: dest });
  const parent = dirname(resolve(dest));
  await fsp.mkdir(parent, { recursive: true, mode: 0o755 });
  const download = join(parent, `.snapshot-offload-restore-${randomHex()}`);
  await fsp.mkdir(download, { mode: 0o700 });
  const untrack = trackTemp(download);
  try {
    const payloadPath = join(download, 'payload.fsm');
    const where = o.store.describe(manifest.payload.key);
    const { body, info } = await o.store.get(manifest.payload.key);
    if (BigInt(info.size) !== manifest.payload.bytes || (info.sha256 !== '' && info.sha256 !== manifest.payload.sha256)) throw integrity(where, 'payload head mismatch');
    const fh = await fsp.open(payloadPath, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    const hash = createHash('sha256');
    let n = 0;
    try {
      for await (const c of body) {
        hash.update(c);
        n += c.length;
        await writeAll(fh, c);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    const sha = hash.digest('hex');
    if (BigInt(n) !== manifest.payload.bytes) throw integrity(where, `payload downloaded ${n} bytes, expected ${manifest.payload.bytes}`);
    if (sha !== manifest.payload.sha256) throw integrity(where, `payload sha256 ${sha}, expected ${manifest.payload.sha256}`);
    const r = await preparePhysicalRestore({
      input: payloadPath,
      expectedSha256: manifest.payload.sha256,
      dataDir: dest,
      index: manifest.snapshotIndex,
      term: manifest.snapshotTerm,
      peers: o.peers,
    });
    return {
      manifest,
      dataDir: r.dataDir,
      fsmPath: r.fsmPath,
      snapPath: r.snapPath,
      crc32c: r.crc32c,
      payloadSha256: r.payloadSha256,
      payloadBytes: r.payloadBytes,
      peers: peers.length,
    };
  } finally {
    removeTree(download);
    untrack();
  }
}
