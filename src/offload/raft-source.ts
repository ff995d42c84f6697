// The newest persisted FSM snapshot of a node's raft data directory, read-only: what the reference's
// etcd.OpenPersistedSnapshotExport finds (internal/raftengine/etcd/persisted_snapshot_export.go).
//
// 1. The WAL (`wal/*.wal`, etcd's format: LE64 length with padding bits, walpb.Record {type, crc, data}, a
//    running CRC-32C checked on every record) gives the snapshot records and the last HardState; snapshots
//    with index <= HardState.commit are valid (etcd wal.ValidSnapshotEntries).
// 2. The newest `snap/<term>-<index>.snap` matching a valid WAL snapshot (etcd Snapshotter.LoadNewestAvailable):
//    snappb envelope {crc, data} with CRC-32C of data, data a raftpb.Snapshot {data, metadata}.
// 3. Its data is either the payload itself (legacy) or a 17-byte token `EKVT | version 1 | index BE64 |
//    crc32c BE32` naming `fsm-snap/<index %016x>.fsm`, whose last 4 bytes (the footer) must equal the token's
//    CRC; the payload is the file without its footer, CRC-checked while it streams.

import { crc32c } from '../bytes/crc32c.ts';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.ts';

export interface ConfStateIds {
  readonly voters: bigint[];
  readonly learners: bigint[];
  readonly votersOutgoing: bigint[];
  readonly learnersNext: bigint[];
  readonly autoLeave: boolean;
}

export interface PersistedSnapshot {
  readonly index: bigint;
  readonly term: bigint;
  readonly confState: ConfStateIds;
  readonly payloadBytes: number;
  /** The token's CRC-32C of the payload (0 for a legacy in-snapshot payload). */
  readonly crc32c: number;
  /** Streams the payload; a token-backed payload is CRC-checked and a mismatch throws at the end. */
  payload(): AsyncGenerator<Buffer>;
}

const WAL_STATE = 3n;
const WAL_CRC = 4n;
const WAL_SNAPSHOT = 5n;
const TOKEN_MAGIC = Buffer.from('EKVT');
const TOKEN_SIZE = 17;
const FOOTER = 4;

interface WalSnap {
  readonly index: bigint;
  readonly term: bigint;
}

function bad(path: string, reason: string): DataError {
  return new DataError('RAFT_DATA_DIR_INVALID', reason, { path });
}

function hex16(n: bigint): string {
  return n.toString(16).padStart(16, '0');
}

/** Reads the valid snapshot entries of the WAL (index <= last committed HardState). */
async function validWalSnapshots(walDir: string): Promise<WalSnap[]> {
  const names = (await fsp.readdir(walDir)).filter((n) => /^[0-9a-f]{16}-[0-9a-f]{16}\.wal$/.test(n)).sort();
  const snaps: WalSnap[] = [];
  let commit = 0n;
  let crc = 0;
  for (const name of names) {
    const path = join(walDir, name);
    const buf = await fsp.readFile(path);
    let off = 0;
    while (off + 8 <= buf.length) {
      const lenField = buf.readBigUInt64LE(off);
      if (lenField === 0n) break;
      const recBytes = Number(lenField & 0x00ff_ffff_ffff_ffffn);
      const pad = lenField >> 63n === 1n ? Number((lenField >> 56n) & 7n) : 0;
      if (off + 8 + recBytes + pad > buf.length) throw bad(path, `WAL record at offset ${off} runs past the end of the segment (torn write)`);
      const rec = buf.subarray(off + 8, off + 8 + recBytes);
      if (rec.every((b) => b === 0)) throw bad(path, `WAL record at offset ${off} is zeroed (torn write)`);
      let type = 0n;
      let recCrc = 0;
      let data: Uint8Array = new Uint8Array(0);
      const r = new BinaryReader(rec);
      while (r.pos < r.len) {
        const [field, wire] = r.tag();
        if (field === 1) type = BigInt(r.int64());
        else if (field === 2) recCrc = r.uint32();
        else if (field === 3) data = r.bytes();
        else r.skip(wire);
      }
      if (type === WAL_CRC) {
        if (crc !== 0 && recCrc !== crc) throw bad(path, `WAL CRC record at offset ${off} does not continue the previous segment`);
        crc = recCrc;
      } else {
        if (data.length > 0) crc = crc32c(data, crc);
        if (recCrc !== crc) throw bad(path, `WAL record at offset ${off}: CRC mismatch`);
        if (type === WAL_SNAPSHOT) {
          const s = new BinaryReader(data);
          let index = 0n;
          let term = 0n;
          while (s.pos < s.len) {
            const [f, w] = s.tag();
            if (f === 1) index = BigInt(s.uint64());
            else if (f === 2) term = BigInt(s.uint64());
            else s.skip(w);
          }
          snaps.push({ index, term });
        } else if (type === WAL_STATE) {
          const s = new BinaryReader(data);
          while (s.pos < s.len) {
            const [f, w] = s.tag();
            if (f === 3) commit = BigInt(s.uint64());
            else s.skip(w);
          }
        }
      }
      off += 8 + recBytes + pad;
    }
  }
  return snaps.filter((s) => s.index <= commit);
}

interface LoadedSnap {
  readonly index: bigint;
  readonly term: bigint;
  readonly confState: ConfStateIds;
  readonly data: Uint8Array;
}

function readConfState(b: Uint8Array): ConfStateIds {
  const c: ConfStateIds = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const r = new BinaryReader(b);
  let autoLeave = false;
  const list = [c.voters, c.learners, c.votersOutgoing, c.learnersNext];
  while (r.pos < r.len) {
    const [f, w] = r.tag();
    const target = f >= 1 && f <= 4 ? list[f - 1] : undefined;
    if (target !== undefined) {
      if (w === WireType.LengthDelimited) {
        const end = r.uint32() + r.pos;
        while (r.pos < end) target.push(BigInt(r.uint64()));
      } else target.push(BigInt(r.uint64()));
    } else if (f === 5) autoLeave = r.bool();
    else r.skip(w);
  }
  return { ...c, autoLeave };
}

/** Loads the newest `.snap` file that a valid WAL snapshot names. */
async function loadNewestSnap(snapDir: string, valid: readonly WalSnap[]): Promise<LoadedSnap | undefined> {
  const names = (await fsp.readdir(snapDir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{16}-[0-9a-f]{16}\.snap$/.test(n)).sort().reverse();
  for (const name of names) {
    const term = BigInt(`0x${name.slice(0, 16)}`);
    const index = BigInt(`0x${name.slice(17, 33)}`);
    if (!valid.some((s) => s.index === index && s.term === term)) continue;
    const path = join(snapDir, name);
    const env = new BinaryReader(await fsp.readFile(path));
    let crc = 0;
    let data: Uint8Array | undefined;
    while (env.pos < env.len) {
      const [f, w] = env.tag();
      if (f === 1) crc = env.uint32();
      else if (f === 2) data = env.bytes();
      else env.skip(w);
    }
    if (data === undefined || data.length === 0) throw bad(path, 'empty snapshot file');
    if (crc32c(data) !== crc) throw bad(path, 'snapshot file CRC mismatch');
    const r = new BinaryReader(data);
    let payload: Uint8Array = new Uint8Array(0);
    let conf: ConfStateIds | undefined;
    let mIndex = 0n;
    let mTerm = 0n;
    while (r.pos < r.len) {
      const [f, w] = r.tag();
      if (f === 1) payload = r.bytes();
      else if (f === 2) {
        const m = new BinaryReader(r.bytes());
        while (m.pos < m.len) {
          const [mf, mw] = m.tag();
          if (mf === 1) conf = readConfState(m.bytes());
          else if (mf === 2) mIndex = BigInt(m.uint64());
          else if (mf === 3) mTerm = BigInt(m.uint64());
          else m.skip(mw);
        }
      } else r.skip(w);
    }
    if (mIndex === 0n || mTerm === 0n || conf === undefined) throw bad(path, `snapshot metadata requires non-zero index and term plus ConfState: index=${mIndex} term=${mTerm}`);
    return { index: mIndex, term: mTerm, confState: conf, data: payload };
  }
  return undefined;
}

/**
 * Opens the newest persisted snapshot of `dataDir`; undefined when the node has none yet. Nothing in the
 * directory is modified.
 */
export async function openPersistedSnapshot(dataDir: string): Promise<PersistedSnapshot | undefined> {
  const walDir = join(dataDir, 'wal');
  const st = await fsp.stat(walDir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) return undefined;
  const snap = await loadNewestSnap(join(dataDir, 'snap'), await validWalSnapshots(walDir));
  if (snap === undefined || snap.data.length === 0) return undefined;
  const isToken = snap.data.length === TOKEN_SIZE && Buffer.from(snap.data.subarray(0, 4)).equals(TOKEN_MAGIC);
  if (!isToken) {
    const data = Buffer.from(snap.data);
    return {
      index: snap.index,
      term: snap.term,
      confState: snap.confState,
      payloadBytes: data.length,
      crc32c: 0,
      async *payload() {
        yield data;
      },
    };
  }
  const tok = Buffer.from(snap.data);
  if (tok[4] !== 1) throw bad(join(dataDir, 'snap'), `snapshot token: unknown version ${tok[4]}`);
  const tokIndex = tok.readBigUInt64BE(5);
  const tokCrc = tok.readUInt32BE(13);
  if (tokIndex !== snap.index) throw bad(join(dataDir, 'snap'), `token index ${tokIndex} does not match snapshot metadata index ${snap.index}`);
  const fsmPath = join(dataDir, 'fsm-snap', `${hex16(tokIndex)}.fsm`);
  const fh = await fsp.open(fsmPath, 'r').catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? bad(fsmPath, 'the FSM snapshot file the raft snapshot names is missing') : err;
  });
  const size = (await fh.stat()).size;
  if (size < FOOTER + 1) {
    await fh.close();
    throw bad(fsmPath, `file too small: ${size} bytes`);
  }
  const footer = Buffer.alloc(FOOTER);
  await fh.read(footer, 0, FOOTER, size - FOOTER);
  if (footer.readUInt32BE(0) !== tokCrc) {
    await fh.close();
    throw bad(fsmPath, `footer CRC ${footer.readUInt32BE(0).toString(16).padStart(8, '0')} differs from the token's ${tokCrc.toString(16).padStart(8, '0')}`);
  }
  const payloadBytes = size - FOOTER;
  return {
    index: snap.index,
    term: snap.term,
    confState: snap.confState,
    payloadBytes,
    crc32c: tokCrc,
    async *payload() {
      let crc = 0;
      let pos = 0;
      try {
        while (pos < payloadBytes) {
          const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, payloadBytes - pos));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) throw bad(fsmPath, `payload ends after ${pos} of ${payloadBytes} bytes`);
          const chunk = buf.subarray(0, bytesRead);
          crc = crc32c(chunk, crc);
          pos += bytesRead;
          yield chunk;
        }
      } finally {
        await fh.close();
      }
      if (crc !== tokCrc) throw bad(fsmPath, `payload CRC ${crc.toString(16).padStart(8, '0')} differs from the token's ${tokCrc.toString(16).padStart(8, '0')}`);
    },
  };
}
