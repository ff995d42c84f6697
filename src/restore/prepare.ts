// prepare-restore: a fresh raft data directory a stopped node boots from, around an encoded payload
// (cmd/elastickv-snapshot-prepare-restore/main.go prepare; internal/raftengine/etcd/external_snapshot_restore.go
// PrepareExternalSnapshotRestore; wal_store.go persistBootState; peer_metadata.go savePersistedPeers;
// migrate.go finalizeMigrationDir).
//
// Every check runs before anything is written. The directory is built in `<data-dir>.restore-prep` (which must
// not exist) and renamed to `<data-dir>` only when complete; any failure removes it, so nothing appears at
// `--data-dir`. Contents, each byte-identical to the reference's:
//   fsm-snap/<index>.fsm                    runtime header + payload + CRC-32C footer   (runtime-fsm.ts)
//   snap/<term>-<index>.snap                raft snapshot whose data is the fsm token    (snap.ts)
//   wal/0000000000000000-0000000000000000.wal  etcd WAL with the snapshot and HardState  (wal.ts)
//   etcd-raft-peers.bin                     the membership                               (peers.ts)

import { constants as fsc, promises as fsp } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { DataError, UserError, isEkvError } from '../errors.ts';
import type { EncodeInfo } from '../tree/encode-info.ts';
import { encodeInfoPath } from '../tree/encode-info.ts';
import { fsyncDir, randomHex } from '../tree/publish.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import { fsError } from './input-file.ts';
import { encodePeersFile, parsePeers, PEERS_FILE, type Peer } from './peers.ts';
import type { ConfState } from './raftpb.ts';
import { FSM_SNAP_DIR, hlcCeilingMs, snapshotToken, writeFsmSnapFile } from './runtime-fsm.ts';
import { encodeSnapFile, SNAP_DIR, snapFileName } from './snap.ts';
import { checkEncodeInfo, checkRestoreFlags, readRestoreEncodeInfo, validatePayload, type ClusterChecks } from './validate.ts';
import { FIRST_WAL_SEGMENT, restoreWalRecords, WAL_SEGMENT_BYTES } from './wal.ts';
import { writeAll } from '../fs/write-all.ts';

const WAL_DIR = 'wal';
const PREP_SUFFIX = '.restore-prep';

/**
 * What prepareRestore needs: the payload and its sidecar, the target directory, raft index/term and peers, and the
 * cluster-id rules.
 */
export interface PrepareRestoreOptions extends ClusterChecks {
  /** The encoded EKVPBBL1 payload. */
  readonly input: string;
  /** The ENCODE_INFO sidecar: a path (default `<input>.encode_info.json`) or an already-known record. */
  readonly encodeInfo?: string | EncodeInfo;
  readonly dataDir: string;
  readonly index: bigint;
  readonly term: bigint;
  /** `id=addr,id=addr`. */
  readonly peers: string;
  /** Called after every check passed, before the payload is copied (tests change the input here). */
  readonly afterValidate?: () => Promise<void>;
}

/**
 * Where prepareRestore put each file, the fsm-snap file's CRC-32C, and the payload's SHA-256, size and last_commit_ts.
 */
export interface PrepareRestoreResult {
  readonly dataDir: string;
  readonly fsmPath: string;
  readonly snapPath: string;
  readonly walPath: string;
  readonly peersPath: string;
  readonly crc32c: number;
  readonly payloadSha256: string;
  readonly payloadBytes: number;
  readonly lastCommitTs: bigint;
  readonly peers: readonly Peer[];
}

/** Go's filepath.Clean for the destination (so `d/` and `./d` name the same directory and temp sibling). */
export function goCleanPath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(err, path, 'stat');
  }
}

function confStateOf(peers: readonly Peer[]): ConfState {
  return { voters: peers.map((p) => p.nodeId), learners: [] };
}

/** Writes a small file with `mode` (subject to the umask), fsyncs it and its directory. */
async function writeSynced(path: string, data: Uint8Array, mode: number): Promise<void> {
  const fh = await fsp.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(dirname(path));
}

/** The WAL directory: built as `wal.tmp` (mode 0700) and renamed, as etcd's wal.Create does. */
async function writeWal(root: string, records: Buffer): Promise<string> {
  const tmpDir = join(root, `${WAL_DIR}.tmp`);
  await fsp.mkdir(tmpDir, { mode: 0o700 });
  const file = join(tmpDir, FIRST_WAL_SEGMENT);
  const fh = await fsp.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await writeAll(fh, records, 0);
    // etcd preallocates the segment with fallocate; the bytes are the same zeros (see README).
    if (records.length < WAL_SEGMENT_BYTES) await fh.truncate(WAL_SEGMENT_BYTES);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const walDir = join(root, WAL_DIR);
  await fsp.rename(tmpDir, walDir);
  await fsyncDir(root);
  return join(walDir, FIRST_WAL_SEGMENT);
}

/** Renames the finished directory to `dest`, refusing to replace anything there. */
async function publishNoReplace(tempDir: string, dest: string): Promise<void> {
  if (await exists(dest)) throw new UserError('RESTORE_DESTINATION_EXISTS', 'etcd external snapshot restore: destination already exists', { path: dest });
  try {
    // rename(2) replaces only an empty directory; anything else there makes it fail. Node has no
    // renameat2(RENAME_NOREPLACE), so the lstat above closes all but that window (see README).
    await fsp.rename(tempDir, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw new UserError('RESTORE_DESTINATION_EXISTS', 'etcd external snapshot restore: destination already exists', { path: dest });
    }
    throw fsError(err, dest, 'rename prepared directory into place');
  }
  await fsyncDir(dirname(dest));
}

/**
 * The checks that need neither the payload nor its sidecar: flag rules, the peer list, and a free
 * destination. `restore` runs them before a long encode; prepareRestore repeats them in the reference's order.
 */
export async function precheckRestoreTarget(o: Pick<PrepareRestoreOptions, 'dataDir' | 'index' | 'term' | 'peers' | 'freshCluster' | 'targetClusterId'>): Promise<void> {
  checkRestoreFlags(o);
  parsePeers(o.peers);
  const dest = goCleanPath(o.dataDir);
  for (const p of [dest, dest + PREP_SUFFIX]) {
    if (await exists(p)) throw new UserError('RESTORE_DESTINATION_EXISTS', 'etcd external snapshot restore: destination already exists', { path: p });
  }
}

/**
 * prepare-restore as a library call: validates the sidecar, the payload and the options exactly as the
 * reference tool does (throwing a coded DataError or UserError), then builds the raft data directory in
 * `<dataDir>.restore-prep` and renames it to `dataDir`. Byte-identical to the reference's output.
 */
export async function prepareRestore(o: PrepareRestoreOptions): Promise<PrepareRestoreResult> {
  checkRestoreFlags(o);
  const info = typeof o.encodeInfo === 'object' ? o.encodeInfo : await readRestoreEncodeInfo(o.encodeInfo ?? encodeInfoPath(o.input));
  const payload = await validatePayload(o.input);
  checkEncodeInfo(info, payload.sha256, o.input, o);
  const peers = parsePeers(o.peers);
  const ceilingMs = hlcCeilingMs(payload.lastCommitTs);
  await o.afterValidate?.();

  const built = await buildDataDir({
    input: o.input,
    dataDir: o.dataDir,
    index: o.index,
    term: o.term,
    peers,
    ceilingMs,
    expectedSha256: info.outputFsmSha256,
  });
  return { ...built, lastCommitTs: payload.lastCommitTs };
}

/** What a physical restore needs: an opaque runtime FSM payload (as a node wrote it, header included). */
export interface PhysicalRestoreOptions {
  readonly input: string;
  /** SHA-256 the copied payload must have (the offload manifest's). */
  readonly expectedSha256: string;
  readonly dataDir: string;
  readonly index: bigint;
  readonly term: bigint;
  /** `id=addr,id=addr`. */
  readonly peers: string;
}

/**
 * The reference's PreparePhysicalSnapshotRestore (used by offload restore): the payload is copied as it is, with
 * only the CRC-32C footer added, and the same snap, WAL and peers files are written around it.
 */
export async function preparePhysicalRestore(o: PhysicalRestoreOptions): Promise<Omit<PrepareRestoreResult, 'lastCommitTs'>> {
  const peers = parsePeers(o.peers);
  return buildDataDir({ ...o, peers, ceilingMs: undefined });
}

interface BuildOptions {
  readonly input: string;
  readonly dataDir: string;
  readonly index: bigint;
  readonly term: bigint;
  readonly peers: readonly Peer[];
  /** The runtime header's HLC ceiling; undefined for a physical payload, which carries its own header. */
  readonly ceilingMs: bigint | undefined;
  readonly expectedSha256: string;
}

/** Builds the data directory in `<dataDir>.restore-prep` and renames it into place. */
async function buildDataDir(o: BuildOptions): Promise<Omit<PrepareRestoreResult, 'lastCommitTs'>> {
  const dest = goCleanPath(o.dataDir);
  if (await exists(dest)) throw new UserError('RESTORE_DESTINATION_EXISTS', 'etcd external snapshot restore: destination already exists', { path: dest });
  const tempDir = dest + PREP_SUFFIX;
  try {
    await fsp.mkdir(tempDir, { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UserError('RESTORE_DESTINATION_EXISTS', 'etcd external snapshot restore: temporary destination exists (left by an interrupted run? remove it)', { path: tempDir });
    }
    throw fsError(err, tempDir, 'create temporary data directory');
  }
  const untrack = trackTemp(tempDir);
  let published = false;
  try {
    const fsm = await writeFsmSnapFile(o.input, join(tempDir, FSM_SNAP_DIR), o.index, o.ceilingMs);
    if (fsm.payloadSha256.toLowerCase() !== o.expectedSha256.toLowerCase()) {
      throw new DataError('RESTORE_PAYLOAD_CHANGED', `etcd external snapshot restore: payload SHA-256 mismatch: copied payload has ${fsm.payloadSha256}, expected ${o.expectedSha256} (the input changed while it was being restored)`, { path: o.input });
    }
    const conf = confStateOf(o.peers);
    const token = snapshotToken(o.index, fsm.crc32c);
    const walPath = await step(tempDir, 'write WAL', async () => {
      await fsp.mkdir(join(tempDir, SNAP_DIR), { mode: 0o755 });
      const records = restoreWalRecords({ index: o.index, term: o.term, confState: conf });
      const wal = await writeWal(tempDir, records);
      await writeSynced(
        join(tempDir, SNAP_DIR, snapFileName(o.term, o.index)),
        encodeSnapFile(token, conf, o.index, o.term),
        0o666,
      );
      return wal;
    });
    await step(tempDir, 'write peers file', async () => {
      // replaceFile: a temp sibling, mode 0600 whatever the umask, fsynced, renamed, directory fsynced.
      const tmp = join(tempDir, `${PEERS_FILE}.tmp-${randomHex(4)}`);
      await writeSynced(tmp, encodePeersFile(o.index, o.peers), 0o600);
      await fsp.chmod(tmp, 0o600);
      await fsp.rename(tmp, join(tempDir, PEERS_FILE));
      await fsyncDir(tempDir);
    });
    await publishNoReplace(tempDir, dest);
    published = true;
    const rel = (p: string): string => join(dest, p.slice(tempDir.length + 1));
    return {
      dataDir: dest,
      fsmPath: rel(fsm.path),
      snapPath: join(dest, SNAP_DIR, snapFileName(o.term, o.index)),
      walPath: rel(walPath),
      peersPath: join(dest, PEERS_FILE),
      crc32c: fsm.crc32c,
      payloadSha256: fsm.payloadSha256,
      payloadBytes: fsm.payloadBytes,
      peers: o.peers,
    };
  } finally {
    if (!published) removeTree(tempDir);
    untrack();
  }
}

async function step<T>(path: string, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isEkvError(err)) throw err;
    throw fsError(err, path, doing);
  }
}
