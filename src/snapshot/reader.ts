// Streaming reader of `.fsm` snapshots (spec core.md §1.1-1.7; elastickv: internal/backup/snapshot_reader.go).
//
// Accepts the native payload the encoder and `pebbleSnapshot.WriteTo` produce, and what a node keeps in
// `fsm-snap/<index>.fsm`: an `EKVTHLC1`/`EKVTHLC2` header before the payload and a BE32 CRC-32C footer after it
// (verified; a mismatch is a data error). A headerless payload followed by a valid CRC-32C footer (older
// runtime writers) is accepted too. Raw operational rows of a live Pebble database (`_meta_*`, encryption
// writer registry) are reported as such instead of failing the read as the reference does.
//
// Field checks follow the reference's precedence exactly (caps before allocation, contents after the whole
// entry has been read); every error is a DataError carrying the entry's byte offset.

import { ByteQueue } from '../bytes/byte-queue.ts';
import type { DataErrorCode } from '../error-codes.ts';
import { DataError } from '../errors.ts';
import {
  FLAG_ENC_MASK,
  FLAG_ENC_SHIFT,
  FLAG_RESERVED_MASK,
  FLAG_TOMBSTONE,
  MAGIC,
  MAX_ENCODED_KEY,
  MAX_ENCODED_VALUE,
  OPERATIONAL_META_KEYS,
  RUNTIME_FOOTER,
  RUNTIME_MAGIC_PREFIX,
  RUNTIME_MAGIC_V1,
  RUNTIME_MAGIC_V2,
  RUNTIME_V1_HEADER,
  RUNTIME_V2_MAX_LEN,
  RUNTIME_V2_MIN_LEN,
  TS_SUFFIX_SIZE,
  U64_MAX,
  VALUE_HEADER_SIZE,
  WRITER_REGISTRY_KEY_SIZE,
  WRITER_REGISTRY_PREFIX,
  WRITER_REGISTRY_VALUE_SIZE,
} from './format.ts';
import { goQuote } from '../bytes/go-quote.ts';
import { InputRange } from './input-range.ts';
import type { SkippableFile } from './input.ts';
import { mismatch } from '../bytes/compare.ts';

const BATCH = 512;
/** A batch is also cut once its rows hold this many bytes, so large values (S3 chunks) are not piled up. */
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * The container around the payload: bare native, runtime header v1/v2 (`EKVTHLC1`/`EKVTHLC2`) or native with a CRC-32C
 * footer.
 */
export type ContainerKind = 'native' | 'runtime-v1' | 'runtime-v2' | 'native-with-footer';

/** The runtime (`EKVTHLC*`) header a live node puts before the native payload. */
export interface RuntimeHeader {
  readonly version: 1 | 2;
  readonly ceilingMs: bigint;
  /** EKVTHLC2 only. */
  readonly cutoverIndex?: bigint;
  /** Bytes of the runtime header before the payload. */
  readonly size: number;
}

/** The payload header: the snapshot's last commit timestamp, and the runtime header when there is one. */
export interface SnapshotHeader {
  readonly lastCommitTs: bigint;
  readonly runtime?: RuntimeHeader;
}

/** One MVCC row of the payload. */
export interface SnapshotEntry {
  readonly type: 'entry';
  /** Absolute offset of the entry's keyLen field in the file. */
  readonly offset: number;
  readonly userKey: Buffer;
  readonly commitTs: bigint;
  readonly tombstone: boolean;
  readonly expireAt: bigint;
  /**
   * The user value (body after the 9-byte value header); only its first bytes when the value was left in the file
   * (`deferred`).
   */
  readonly value: Buffer;
  /**
   * Set only under SnapshotReaderOptions.deferValues: the whole user value as a range of the input file, which the
   * reader skipped; `value` then holds just the first bytes asked for.
   */
  readonly deferred?: InputRange | undefined;
  /** Bytes the entry occupies in the file. */
  readonly size: number;
}

/** The value of every row read in place whose body is empty (sets, score indexes): one buffer, no view per row. */
const NO_BODY = Buffer.alloc(0);

/**
 * A row as the reader hands it out: the commit timestamp (right after the user key) and the expiry (in the
 * value header, right before the body) are read from the row's bytes only when asked for, since decode never
 * needs them per row.
 */
class Entry implements SnapshotEntry {
  readonly type = 'entry';
  readonly offset: number;
  readonly userKey: Buffer;
  readonly tombstone: boolean;
  readonly value: Buffer;
  readonly deferred: InputRange | undefined;
  readonly size: number;

  constructor(offset: number, userKey: Buffer, tombstone: boolean, value: Buffer, size: number, deferred?: InputRange) {
    this.offset = offset;
    this.userKey = userKey;
    this.tombstone = tombstone;
    this.value = value;
    this.deferred = deferred;
    this.size = size;
  }

  get commitTs(): bigint {
    const k = this.userKey;
    return U64_MAX - Buffer.from(k.buffer, k.byteOffset + k.length, TS_SUFFIX_SIZE).readBigUInt64BE(0);
  }

  get expireAt(): bigint {
    const v = this.value;
    if (v !== NO_BODY) return Buffer.from(v.buffer, v.byteOffset - VALUE_HEADER_SIZE + 1, 8).readBigUInt64LE(0);
    // A row read in place with an empty body: its value header follows the key's timestamp and the value length.
    const k = this.userKey;
    return Buffer.from(k.buffer, k.byteOffset + k.length + TS_SUFFIX_SIZE + 8 + 1, 8).readBigUInt64LE(0);
  }
}

/** A raw operational row (`_meta_*` LE64 counters, encryption writer registry) of a live node's database. */
export interface OperationalRow {
  readonly type: 'operational';
  readonly offset: number;
  /** `last_commit_ts`, `min_retained_ts`, `pending_min_retained_ts`, `applied_index`, or `writer_registry`. */
  readonly name: string;
  readonly rawKey: Buffer;
  readonly rawValue: Buffer;
  /** LE64 value of the `_meta_*` rows. */
  readonly uint?: bigint;
  readonly size: number;
}

/** One row of the payload, in file order. */
export type SnapshotRecord = SnapshotEntry | OperationalRow;

/** What the reader learnt about the container once it has been read to the end. */
export interface ContainerInfo {
  readonly kind: ContainerKind;
  /** The verified CRC-32C footer, when the container has one. */
  readonly crc32c?: number;
  readonly totalBytes: number;
}

const ERR = {
  badMagic: 'snapshot magic header does not match "EKVPBBL1"',
  truncated: 'snapshot truncated mid-entry',
  encReserved: 'value header carries reserved encryption_state; decoder cannot interpret this entry',
  encrypted: 'snapshot contains encrypted entries — Phase 0a does not link the decryption keyring',
  shortKey: 'encoded key shorter than timestamp suffix',
  keyTooLarge: 'snapshot key length exceeds limit',
  valueTooLarge: 'snapshot value length exceeds limit',
  shortValue: 'encoded value shorter than value-header',
} as const;

/** Signatures of what people mistake for a snapshot, to say what the file is instead. */
const KNOWN_FORMATS: ReadonlyArray<readonly [Buffer, string]> = [
  [Buffer.from([0x1f, 0x8b]), 'gzip-compressed data (decode and inspect read it directly; elsewhere gunzip it first)'],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd-compressed data (decode and inspect read it directly; elsewhere unzstd it first)'],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz-compressed data: decompress it first (xz -d)'],
  [Buffer.from('BZh'), 'bzip2-compressed data: decompress it first (bunzip2)'],
  [Buffer.from([0x04, 0x22, 0x4d, 0x18]), 'lz4-compressed data: decompress it first (lz4 -d)'],
  [Buffer.from([0x50, 0x4b, 0x03, 0x04]), 'a zip archive: extract the .fsm from it first'],
  [Buffer.from('{'), 'JSON text, not a snapshot (a dump tree\'s MANIFEST.json? encode turns a tree back into a .fsm)'],
];

function formatHint(magic: Buffer): string {
  const known = KNOWN_FORMATS.find(([sig]) => magic.subarray(0, sig.length).equals(sig));
  return known === undefined ? '' : `; this is ${known[1]}`;
}

/** Options of `SnapshotReader`. */
export interface SnapshotReaderOptions {
  /** Name used in error messages. */
  readonly path?: string;
  /** Called with the number of bytes consumed so far, at most once per entry. */
  readonly onBytes?: (consumed: number) => void;
  /**
   * The CRC-32C of the input's first `bytes` bytes, read again (a regular file can be). When given, a snapshot
   * without a runtime header is not checksummed as it streams by: only a headerless payload followed by four more
   * bytes (an older runtime writer's footer) needs the CRC, and this computes it then. Without it every byte is
   * checksummed on the way, in case.
   */
  readonly rereadCrc32c?: ((bytes: number) => Promise<number>) | undefined;
  /**
   * Large values left in the file instead of read (needs `rereadCrc32c`, and applies only to a payload without a
   * runtime header, whose bytes need no CRC-32C as they stream by).
   */
  readonly deferValues?: DeferValues | undefined;
}

/** The most leading bytes of a deferred value the reader hands out in SnapshotEntry.value. */
const DEFER_HEAD_MAX = 64;

/**
 * Which values the reader leaves in the file: an MVCC row whose user value has at least `minBytes` bytes, lying
 * whole in the file, for whose user key `headBytes` answers n > 0 (at most DEFER_HEAD_MAX) is handed out with
 * SnapshotEntry.deferred, and only the value's first n bytes are read.
 */
export interface DeferValues {
  readonly input: SkippableFile;
  readonly minBytes: number;
  headBytes(userKey: Buffer): number;
}

/**
 * Reads a snapshot from a stream of chunks. Call `header()` first, then iterate `records()`; `container` is
 * known once iteration has finished.
 */
export class SnapshotReader {
  readonly #q: ByteQueue;
  readonly #path: string | undefined;
  readonly #onBytes: ((n: number) => void) | undefined;
  readonly #rereadCrc32c: ((bytes: number) => Promise<number>) | undefined;
  readonly #deferValues: DeferValues | undefined;
  #header: SnapshotHeader | undefined;
  #runtime: RuntimeHeader | undefined;
  #container: ContainerInfo | undefined;

  constructor(source: AsyncIterable<Uint8Array>, opts: SnapshotReaderOptions = {}) {
    this.#q = new ByteQueue(source, { crc32c: true });
    this.#path = opts.path;
    this.#onBytes = opts.onBytes;
    this.#rereadCrc32c = opts.rereadCrc32c;
    this.#deferValues = opts.deferValues;
  }

  get container(): ContainerInfo | undefined {
    return this.#container;
  }

  #err(code: DataErrorCode, reason: string, offset: number, key?: Uint8Array): DataError {
    const ctx: { path?: string; offset: number; key?: Uint8Array } = { offset };
    if (this.#path !== undefined) ctx.path = this.#path;
    if (key !== undefined) ctx.key = key;
    return new DataError(code, reason, ctx);
  }

  /** Reads the (optional runtime header and) payload header. */
  async header(): Promise<SnapshotHeader> {
    if (this.#header !== undefined) return this.#header;
    const q = this.#q;
    if (!(await q.need(8))) {
      const n = q.available;
      throw this.#err(n === 0 ? 'SNAPSHOT_EMPTY' : 'SNAPSHOT_TRUNCATED', n === 0 ? 'snapshot file is empty (0 bytes)' : `snapshot header truncated (${n} of 16 bytes)`, 0);
    }
    const lead = q.peek(8);
    if (lead.subarray(0, 7).equals(RUNTIME_MAGIC_PREFIX)) this.#runtime = await this.#readRuntimeHeader(lead);
    const start = q.offset;
    if (!(await q.need(8))) throw this.#err('SNAPSHOT_TRUNCATED', `snapshot header truncated (${q.available} of 16 bytes)`, start);
    const magic = q.take(8);
    if (!magic.equals(MAGIC)) throw this.#err('SNAPSHOT_BAD_MAGIC', `${ERR.badMagic}: got ${goQuote(magic)}${formatHint(magic)}`, start);
    if (!(await q.need(8))) throw this.#err('SNAPSHOT_TRUNCATED', `snapshot header truncated (${8 + q.available} of 16 bytes)`, start);
    const lastCommitTs = q.take(8).readBigUInt64LE(0);
    if (this.#runtime === undefined && this.#rereadCrc32c !== undefined) q.stopCrc32c();
    this.#header = this.#runtime === undefined ? { lastCommitTs } : { lastCommitTs, runtime: this.#runtime };
    return this.#header;
  }

  async #readRuntimeHeader(lead: Buffer): Promise<RuntimeHeader> {
    const q = this.#q;
    if (lead.equals(RUNTIME_MAGIC_V1)) {
      if (!(await q.need(RUNTIME_V1_HEADER))) throw this.#err('SNAPSHOT_TRUNCATED', 'EKVTHLC1 header truncated', 0);
      const h = q.take(RUNTIME_V1_HEADER);
      return { version: 1, ceilingMs: h.readBigUInt64BE(8), size: RUNTIME_V1_HEADER };
    }
    if (lead.equals(RUNTIME_MAGIC_V2)) {
      if (!(await q.need(10))) throw this.#err('SNAPSHOT_TRUNCATED', 'EKVTHLC2 header truncated', 0);
      const len = q.peek(10).readUInt16BE(8);
      if (len < RUNTIME_V2_MIN_LEN || len > RUNTIME_V2_MAX_LEN) {
        throw this.#err('SNAPSHOT_RUNTIME_HEADER_INVALID', `EKVTHLC2 header length ${len} outside ${RUNTIME_V2_MIN_LEN}..${RUNTIME_V2_MAX_LEN}`, 8);
      }
      if (!(await q.need(10 + len))) throw this.#err('SNAPSHOT_TRUNCATED', 'EKVTHLC2 header truncated', 0);
      const h = q.take(10 + len);
      return { version: 2, ceilingMs: h.readBigUInt64BE(10), cutoverIndex: h.readBigUInt64BE(18), size: 10 + len };
    }
    throw this.#err('SNAPSHOT_RUNTIME_HEADER_UNKNOWN', `unknown runtime snapshot header magic ${goQuote(lead)}`, 0);
  }

  /** Yields every row in file order. */
  async *records(): AsyncGenerator<SnapshotRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /**
   * Yields the rows in file order, in arrays of up to BATCH rows or BATCH_BYTES bytes: one generator round trip
   * per batch instead of per row, which matters for snapshots of many small rows.
   */
  async *batches(): AsyncGenerator<SnapshotRecord[]> {
    await this.header();
    const q = this.#q;
    // Values are left in the file only where no CRC-32C is taken as the bytes stream by.
    const defer = this.#runtime === undefined && this.#rereadCrc32c !== undefined ? this.#deferValues : undefined;
    let batch: SnapshotRecord[] = [];
    let batchBytes = 0;
    /** The previous MVCC row's encoded key (a copy in a reused buffer), for the order check; none before the first. */
    let prevKey = Buffer.allocUnsafe(256);
    let prevLen = -1;
    /** Bytes the row's key shares with the previous one (set by the order check of the in-place path). */
    let same: number;
    // `q.available >= n || await q.need(n)` keeps the common case (the entry is already buffered) free of
    // promise round trips; lengths are read as two uint32 halves since every valid one fits in 32 bits.
    for (;;) {
      const offset = q.offset;
      if (batch.length >= BATCH || batchBytes >= BATCH_BYTES) {
        yield batch;
        batch = [];
        batchBytes = 0;
      }
      // After a skipped value nothing is buffered: read on, so the next row can be parsed in place too.
      if (defer !== undefined && q.available === 0) await q.need(1);
      // Fast path: a well-formed MVCC row lying whole in the head chunk is parsed in place (two views, no
      // copies); anything else (a row across chunks, an operational row, any error) takes the checked path below.
      const c = q.headChunk;
      if (c !== undefined) {
        const h = q.headPos;
        const avail = c.length - h;
        const kl = avail >= 16 ? c.readUInt32LE(h) : -1;
        if (
          kl >= TS_SUFFIX_SIZE &&
          kl <= MAX_ENCODED_KEY &&
          kl !== WRITER_REGISTRY_KEY_SIZE &&
          avail >= 16 + kl &&
          c.readUInt32LE(h + 4) === 0
        ) {
          const vl = c.readUInt32LE(h + 8 + kl);
          const flags = c[h + 16 + kl] as number;
          // A large value the caller takes from the file itself (deferValues): only its first `head` bytes are read.
          const head = defer === undefined ? 0 : deferredHead(defer, c, h, kl, vl, offset, avail);
          if (
            vl >= VALUE_HEADER_SIZE &&
            vl <= MAX_ENCODED_VALUE &&
            (head > 0 || avail >= 16 + kl + vl) &&
            c.readUInt32LE(h + 12 + kl) === 0 &&
            (flags & (FLAG_RESERVED_MASK | FLAG_ENC_MASK)) === 0 &&
            (same = prevLen < 0 ? 0 : sharedIfAfter(c, h + 8, kl, prevKey, prevLen)) >= 0
          ) {
            const size = 16 + kl + vl;
            if (prevKey.length < kl) {
              prevKey = Buffer.allocUnsafe(2 * kl);
              same = 0;
            }
            // Only what follows the common prefix changes; a loop for the usual few bytes (Buffer#copy's argument
            // checks cost more than the copy).
            if (kl - same <= 64) for (let i = same; i < kl; i++) prevKey[i] = c[h + 8 + i] as number;
            else c.copy(prevKey, same, h + 8 + same, h + 8 + kl);
            prevLen = kl;
            const userKey = c.subarray(h + 8, h + kl);
            const tombstone = (flags & FLAG_TOMBSTONE) !== 0;
            const valueAt = 16 + kl + VALUE_HEADER_SIZE;
            if (defer !== undefined && head > 0) {
              const rest = new InputRange(defer.input.file, offset + valueAt, vl - VALUE_HEADER_SIZE);
              const first = c.subarray(h + valueAt, h + valueAt + head);
              batch.push(new Entry(offset, userKey, tombstone, first, size, rest));
              batchBytes += valueAt + head;
              q.skip(size, defer.input.skip);
            } else {
              const value = vl === VALUE_HEADER_SIZE ? NO_BODY : c.subarray(h + valueAt, h + size);
              batch.push(new Entry(offset, userKey, tombstone, value, size));
              batchBytes += size;
              q.skipInHead(size);
            }
            this.#onBytes?.(q.offset);
            continue;
          }
        }
      }
      if (!(q.available >= 8 || (await q.need(8)))) {
        await this.#finish(offset);
        if (batch.length > 0) yield batch;
        return;
      }
      const kh = q.take(8);
      const kl = kh.readUInt32LE(0);
      if (kh.readUInt32LE(4) !== 0 || kl > MAX_ENCODED_KEY) {
        throw this.#err('SNAPSHOT_KEY_TOO_LARGE', `${ERR.keyTooLarge}: length ${kh.readBigUInt64LE(0)} > ${MAX_ENCODED_KEY}`, offset);
      }
      if (!(q.available >= kl || (await q.need(kl)))) throw this.#err('SNAPSHOT_TRUNCATED', ERR.truncated, offset);
      const key = q.take(kl);
      if (!(q.available >= 8 || (await q.need(8)))) throw this.#err('SNAPSHOT_TRUNCATED', ERR.truncated, offset, key);
      const vh = q.take(8);
      const vl = vh.readUInt32LE(0);
      if (vh.readUInt32LE(4) !== 0 || vl > MAX_ENCODED_VALUE) {
        throw this.#err('SNAPSHOT_VALUE_TOO_LARGE', `${ERR.valueTooLarge}: length ${vh.readBigUInt64LE(0)} > ${MAX_ENCODED_VALUE}`, offset, key);
      }
      if (!(q.available >= vl || (await q.need(vl)))) throw this.#err('SNAPSHOT_TRUNCATED', ERR.truncated, offset, key);
      const value = q.take(vl);
      const size = 16 + kl + vl;
      batchBytes += size;
      this.#onBytes?.(q.offset);

      const op = operationalRow(key, value, offset, size);
      if (op !== undefined) {
        batch.push(op);
        continue;
      }
      // MVCC rows are sorted by encoded key (Pebble's order), each key once: a row out of order or repeated is damage
      // the encoder would refuse, so it is refused here, where its offset is known. (Raw operational rows are
      // reported whatever their position.)
      if (prevLen >= 0) {
        const order = prevKey.compare(key, 0, kl, 0, prevLen);
        if (order === 0) throw this.#err('SNAPSHOT_DUPLICATE_KEY', 'row repeats the previous row\'s key (same user key and commit timestamp)', offset, key);
        if (order > 0) throw this.#err('SNAPSHOT_KEY_ORDER', 'row is out of key order (its key sorts before the previous row\'s)', offset, key);
      }
      if (prevKey.length < kl) prevKey = Buffer.allocUnsafe(2 * kl);
      key.copy(prevKey, 0, 0, kl);
      prevLen = kl;
      if (kl < TS_SUFFIX_SIZE) throw this.#err('SNAPSHOT_SHORT_KEY', `${ERR.shortKey}: encoded key length ${kl} < 8`, offset, key);
      if (vl < VALUE_HEADER_SIZE) throw this.#err('SNAPSHOT_SHORT_VALUE', `${ERR.shortValue}: encoded value length ${vl} < 9`, offset, key);
      const flags = value[0] as number;
      if ((flags & FLAG_RESERVED_MASK) !== 0) {
        throw this.#err('SNAPSHOT_ENCRYPTED_RESERVED', `${ERR.encReserved}: value header byte 0b${flags.toString(2).padStart(8, '0')}`, offset, key);
      }
      const encState = (flags & FLAG_ENC_MASK) >> FLAG_ENC_SHIFT;
      if (encState === 1) throw this.#err('SNAPSHOT_ENCRYPTED_ENTRY', ERR.encrypted, offset, key);
      if (encState > 1) throw this.#err('SNAPSHOT_ENCRYPTED_RESERVED', `${ERR.encReserved}: encryption_state=0x${encState} is reserved`, offset, key);
      const userKey = key.subarray(0, kl - TS_SUFFIX_SIZE);
      batch.push(new Entry(offset, userKey, (flags & FLAG_TOMBSTONE) !== 0, value.subarray(VALUE_HEADER_SIZE), size));
    }
  }

  /**
   * End of stream at an entry boundary. With a runtime header exactly 4 bytes must remain: the CRC-32C of
   * everything before them. Without one, 0 bytes is a clean end; 4 bytes are accepted only when they are a
   * valid CRC-32C footer (older headerless runtime files); anything else is a truncated entry.
   */
  async #finish(offset: number): Promise<void> {
    const q = this.#q;
    const rest = q.available;
    const total = offset + rest;
    if (this.#runtime === undefined && rest === 0) {
      this.#container = { kind: 'native', totalBytes: total };
      return;
    }
    if (rest !== RUNTIME_FOOTER) {
      const why = this.#runtime !== undefined ? `runtime snapshot must end with a 4-byte CRC-32C footer; ${rest} bytes remain after the last entry` : ERR.truncated;
      throw this.#err('SNAPSHOT_TRUNCATED', why, offset);
    }
    const reread = this.#runtime === undefined ? this.#rereadCrc32c : undefined;
    const crc = (reread === undefined ? q.consumedCrc32c() : await reread(offset)) >>> 0;
    const footer = q.takeRest().readUInt32BE(0);
    if (footer !== crc) {
      if (this.#runtime === undefined) throw this.#err('SNAPSHOT_TRUNCATED', ERR.truncated, offset);
      throw this.#err('SNAPSHOT_CRC_MISMATCH', `CRC-32C footer mismatch: file says ${hex8(footer)}, content has ${hex8(crc)}`, offset);
    }
    const kind: ContainerKind = this.#runtime === undefined ? 'native-with-footer' : this.#runtime.version === 1 ? 'runtime-v1' : 'runtime-v2';
    this.#container = { kind, crc32c: footer, totalBytes: total };
  }
}

/**
 * How many of a row's first value bytes the reader hands out when it leaves the value in the file, 0 when it reads
 * the row whole: the value is large enough, the row lies whole in the file, enough of it is buffered, and the
 * caller wants it left there. (The row's other checks are the fast path's.)
 */
function deferredHead(
  defer: DeferValues,
  c: Buffer,
  h: number,
  kl: number,
  vl: number,
  offset: number,
  avail: number,
): number {
  if (vl - VALUE_HEADER_SIZE < defer.minBytes) return 0;
  if (avail < 16 + kl + VALUE_HEADER_SIZE + DEFER_HEAD_MAX || offset + 16 + kl + vl > defer.input.size) return 0;
  return Math.min(defer.headBytes(c.subarray(h + 8, h + kl)), DEFER_HEAD_MAX);
}

/** The length of the prefix `c[start, start + kl)` shares with `prev[0, prevLen)` when it sorts after it, else -1. */
function sharedIfAfter(c: Buffer, start: number, kl: number, prev: Buffer, prevLen: number): number {
  const n = Math.min(kl, prevLen);
  const i = mismatch(c, start, prev, 0, n);
  if (i < n) return (c[start + i] as number) > (prev[i] as number) ? i : -1;
  return kl > prevLen ? n : -1;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function operationalRow(key: Buffer, value: Buffer, offset: number, size: number): OperationalRow | undefined {
  if (value.length === 8 && key.length < 40 && key[0] === 0x5f) {
    const name = OPERATIONAL_META_KEYS.get(key.toString('latin1'));
    if (name !== undefined) return { type: 'operational', offset, name, rawKey: key, rawValue: value, uint: value.readBigUInt64LE(0), size };
  }
  if (
    key.length === WRITER_REGISTRY_KEY_SIZE &&
    value.length === WRITER_REGISTRY_VALUE_SIZE &&
    key[24] === 0x7c &&
    key.subarray(0, WRITER_REGISTRY_PREFIX.length).equals(WRITER_REGISTRY_PREFIX)
  ) {
    return { type: 'operational', offset, name: 'writer_registry', rawKey: key, rawValue: value, size };
  }
  return undefined;
}
