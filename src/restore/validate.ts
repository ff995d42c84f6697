// Everything prepare-restore checks before it writes anything (cmd/elastickv-snapshot-prepare-restore/main.go
// readEncodeInfo, validatePayload, validateEncodeInfo, validateClusterID), in the reference's order and with its
// exit classes: the sidecar (regular file, at most 1 MiB, a readable ENCODE_INFO), the payload (a native
// EKVPBBL1 snapshot read end to end, hashed, no entry's commit_ts above the header's last_commit_ts), then the
// sidecar against the payload (SHA-256, key format, self-test, cluster id).

import { createHash } from 'node:crypto';
import { DataError, UserError, isEkvError } from '../errors.ts';
import { MAGIC, TS_SUFFIX_SIZE, U64_MAX, VALUE_HEADER_SIZE, FLAG_ENC_MASK, FLAG_ENC_SHIFT, FLAG_RESERVED_MASK } from '../snapshot/format.ts';
import { SnapshotReader, type OperationalRow } from '../snapshot/reader.ts';
import { parseEncodeInfo, type EncodeInfo } from '../tree/encode-info.ts';
import { fsError, openRegularInput, readChunks } from './input-file.ts';
import { goTrimSpace } from './peers.ts';
import { goQuote } from '../bytes/go-quote.ts';

/** The reference's cap on the ENCODE_INFO sidecar. */
const MAX_ENCODE_INFO_BYTES = 1 << 20;
/** The only encoder key format a restore accepts (backup.CurrentFormatVersion). */
const CURRENT_KEY_FORMAT_VERSION = 1;

/** Reads and parses the ENCODE_INFO sidecar. */
export async function readRestoreEncodeInfo(path: string): Promise<EncodeInfo> {
  const fh = await openRegularInput(path, 'encode-info');
  let body: Buffer;
  try {
    const buf = Buffer.alloc(MAX_ENCODE_INFO_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    body = buf.subarray(0, n);
  } catch (err) {
    throw fsError(err, path, 'read encode-info');
  } finally {
    await fh.close();
  }
  if (body.length > MAX_ENCODE_INFO_BYTES) {
    throw new DataError('RESTORE_ENCODE_INFO_TOO_LARGE', `snapshot restore: ENCODE_INFO sidecar too large: exceeds ${MAX_ENCODE_INFO_BYTES} bytes`, { path });
  }
  return parseEncodeInfo(body, path);
}

export interface PayloadFacts {
  readonly lastCommitTs: bigint;
  /** Lower-case hex SHA-256 of every byte of the file. */
  readonly sha256: string;
  readonly bytes: number;
  readonly entries: number;
}

/**
 * A row our reader recognises as a live database's operational row is an ordinary MVCC entry to the
 * reference's reader: `_meta_*` rows have 8-byte values (shorter than a value header), writer-registry rows
 * pass or fail the flag checks like any entry. Returns the commit timestamp the reference sees.
 */
function operationalRowAsEntry(row: OperationalRow, path: string): bigint {
  const ctx = { path, offset: row.offset, key: row.rawKey };
  if (row.rawKey.length < TS_SUFFIX_SIZE) throw new DataError('SNAPSHOT_SHORT_KEY', `encoded key shorter than timestamp suffix: encoded key length ${row.rawKey.length} < 8`, ctx);
  if (row.rawValue.length < VALUE_HEADER_SIZE) {
    throw new DataError('SNAPSHOT_SHORT_VALUE', `encoded value shorter than value-header: encoded value length ${row.rawValue.length} < 9`, ctx);
  }
  const flags = row.rawValue[0] as number;
  const enc = (flags & FLAG_ENC_MASK) >> FLAG_ENC_SHIFT;
  if ((flags & FLAG_RESERVED_MASK) !== 0 || enc > 1) {
    throw new DataError('SNAPSHOT_ENCRYPTED_RESERVED', 'value header carries reserved encryption_state; decoder cannot interpret this entry', ctx);
  }
  if (enc === 1) throw new DataError('SNAPSHOT_ENCRYPTED_ENTRY', 'snapshot contains encrypted entries — Phase 0a does not link the decryption keyring', ctx);
  return U64_MAX - row.rawKey.readBigUInt64BE(row.rawKey.length - TS_SUFFIX_SIZE);
}

/**
 * Reads the payload end to end as the reference's ReadSnapshotWithHeader does: only the native container
 * (an `EKVTHLC` runtime file is a bad magic, trailing bytes a truncation), hashing every byte and tracking
 * the largest entry commit timestamp, which must not exceed the header's last_commit_ts.
 */
export async function validatePayload(path: string): Promise<PayloadFacts> {
  const fh = await openRegularInput(path, 'payload');
  const sha = createHash('sha256');
  let bytes = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of readChunks(fh)) {
      sha.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  }
  let maxTs = 0n;
  let entries = 0;
  let lastCommitTs: bigint;
  try {
    const reader = new SnapshotReader(hashed(), { path });
    let header;
    try {
      header = await reader.header();
    } catch (err) {
      if (isEkvError(err) && (err.code === 'SNAPSHOT_RUNTIME_HEADER_UNKNOWN' || err.code === 'SNAPSHOT_RUNTIME_HEADER_INVALID')) throw badMagic(path);
      if (isEkvError(err) && err.code === 'SNAPSHOT_EMPTY') throw new DataError('SNAPSHOT_TRUNCATED', 'snapshot truncated mid-entry: unexpected EOF (empty file)', { path, offset: 0 });
      throw err;
    }
    if (header.runtime !== undefined) {
      throw new DataError('SNAPSHOT_BAD_MAGIC', `snapshot magic header does not match ${goQuote(MAGIC)}: got "EKVTHLC${header.runtime.version}" (a node's fsm-snap file, not an encoded payload)`, { path, offset: 0 });
    }
    lastCommitTs = header.lastCommitTs;
    for await (const batch of reader.batches()) {
      for (const r of batch) {
        const ts = r.type === 'entry' ? r.commitTs : operationalRowAsEntry(r, path);
        if (ts > maxTs) maxTs = ts;
        entries++;
      }
    }
    if (reader.container?.kind !== 'native') {
      throw new DataError('SNAPSHOT_TRUNCATED', 'snapshot truncated mid-entry: 4 bytes follow the last entry (a CRC footer belongs to fsm-snap files, not encoded payloads)', { path });
    }
  } catch (err) {
    if (isEkvError(err)) throw err;
    throw fsError(err, path, 'read payload');
  } finally {
    await fh.close();
  }
  if (maxTs > lastCommitTs) {
    throw new DataError('RESTORE_COMMIT_TS_ABOVE_HEADER', `snapshot restore: entry commit_ts exceeds snapshot header last_commit_ts: max entry commit_ts ${maxTs} > header last_commit_ts ${lastCommitTs}`, { path });
  }
  return { lastCommitTs, sha256: sha.digest('hex'), bytes, entries };
}

function badMagic(path: string): DataError {
  return new DataError('SNAPSHOT_BAD_MAGIC', `snapshot magic header does not match ${goQuote(MAGIC)}`, { path, offset: 0 });
}

/**
 * The cluster-id and self-test rules of a restore (the reference's --target-cluster-id, --fresh-cluster, --allow-*
 * flags).
 */
export interface ClusterChecks {
  readonly targetClusterId: string;
  readonly freshCluster: boolean;
  readonly allowMissingClusterId: boolean;
  readonly allowUnverifiedSelfTest: boolean;
}

/** validateEncodeInfo + validateClusterID, in the reference's order. */
export function checkEncodeInfo(
  info: EncodeInfo,
  payloadSha256: string,
  inputPath: string,
  checks: ClusterChecks,
): void {
  if (info.outputFsmSha256 === '')
    throw new DataError(
      'RESTORE_SHA256_MISSING',
      'snapshot restore: encoded FSM SHA-256 missing: ENCODE_INFO output_fsm_sha256 is empty',
    );
  if (info.outputFsmSha256.toLowerCase() !== payloadSha256.toLowerCase()) {
    throw new DataError(
      'RESTORE_SHA256_MISMATCH',
      `snapshot restore: encoded FSM SHA-256 mismatch: input has ${payloadSha256}, sidecar records ${info.outputFsmSha256}`,
      { path: inputPath },
    );
  }
  if (info.encoderKeyFormatVersion !== CURRENT_KEY_FORMAT_VERSION) {
    throw new DataError(
      'RESTORE_KEY_FORMAT_MISMATCH',
      `snapshot restore: encoder key-format version mismatch: got ${info.encoderKeyFormatVersion}, current ${CURRENT_KEY_FORMAT_VERSION}`,
    );
  }
  if (!checks.allowUnverifiedSelfTest && !(info.selfTest.ran && info.selfTest.matched)) {
    throw new DataError(
      'RESTORE_SELF_TEST_MISSING',
      'snapshot restore: encoder self-test did not pass: rerun the encode with --self-test or pass --allow-unverified-self-test',
    );
  }
  checkClusterId(info.manifestClusterId, checks);
}

/**
 * validateClusterID: the snapshot's cluster id against --target-cluster-id / --fresh-cluster /
 * --allow-missing-cluster-id.
 */
export function checkClusterId(source: string, checks: Omit<ClusterChecks, 'allowUnverifiedSelfTest'>): void {
  if (source === '') {
    if (checks.allowMissingClusterId) return;
    throw new DataError('RESTORE_CLUSTER_ID_MISSING', 'snapshot restore: cluster_id missing: ENCODE_INFO manifest_cluster_id is empty (pass --allow-missing-cluster-id)');
  }
  if (checks.freshCluster) return;
  if (checks.targetClusterId === '') throw new DataError('RESTORE_CLUSTER_ID_MISSING', 'snapshot restore: cluster_id missing: pass --target-cluster-id or --fresh-cluster');
  if (source !== checks.targetClusterId) {
    throw new DataError('RESTORE_CLUSTER_ID_MISMATCH', `snapshot restore: cluster_id mismatch: source ${JSON.stringify(source)} target ${JSON.stringify(checks.targetClusterId)}`);
  }
}

/** Flag rules checked before anything is opened (parseFlags). */
export function checkRestoreFlags(o: {
  index: bigint;
  term: bigint;
  peers: string;
  freshCluster: boolean;
  targetClusterId: string;
}): void {
  if (o.index === 0n) throw new UserError('FLAG_INVALID', '--index must be > 0');
  if (o.term === 0n) throw new UserError('FLAG_INVALID', '--term must be > 0');
  if (goTrimSpace(o.peers) === '') throw new UserError('FLAG_INVALID', '--peers is required');
  if (o.freshCluster && o.targetClusterId !== '')
    throw new UserError('FLAG_INVALID', '--fresh-cluster and --target-cluster-id are mutually exclusive');
}
