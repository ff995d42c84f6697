// SQS key layouts (elastickv: adapter/sqs_keys.go, adapter/sqs_messages.go; internal/backup/sqs.go for the
// decoder's parsing, encode_sqs.go and encode_sqs_side.go for the encoder's builders).
//
// Names and ids are base64url without padding (`b64(x)`), which never contains `|` or bytes below 0x2D, so a
// raw big-endian integer after them starts with a byte outside the alphabet:
//   !sqs|queue|meta|<b64 queue>            value 00 'S' 'Q' 01 + JSON           (queue config)
//   !sqs|queue|gen|<b64 queue>             value decimal generation
//   !sqs|queue|seq|<b64 queue>             value decimal last FIFO sequence number
//   !sqs|queue|tombstone|<b64 queue><gen>  (deleted queue)
//   !sqs|msg|data|<b64 queue><gen u64><b64 message id>           value 00 'S' 'M' 01 + JSON
//   !sqs|msg|vis|<b64 queue><gen u64><visible_at u64><b64 id>    value message id
//   !sqs|msg|byage|<b64 queue><gen u64><send_ts u64><b64 id>     value message id
//   !sqs|msg|dedup|<b64 queue><gen u64><b64 dedup id>            value JSON dedup record
//   !sqs|msg|group|…                                             (a held FIFO group lock)
// Partitioned (HT-FIFO) queues put `p|` after the family and `|<partition u32>` after the queue:
//   !sqs|msg|data|p|<b64 queue>|<partition u32><gen u64><b64 id>, likewise vis and byage;
//   !sqs|msg|dedup|p|<b64 queue>|<partition u32><gen u64><b64 group>|<b64 dedup id>.

import { DataError } from '../../errors.ts';
import { decodeBase64UrlRaw } from '../../tree/segment.ts';
import { u32be } from '../../bytes/big-endian.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

export const QUEUE_META_PREFIX = '!sqs|queue|meta|';
export const QUEUE_GEN_PREFIX = '!sqs|queue|gen|';
export const QUEUE_SEQ_PREFIX = '!sqs|queue|seq|';
export const QUEUE_TOMBSTONE_PREFIX = '!sqs|queue|tombstone|';
export const MSG_DATA_PREFIX = '!sqs|msg|data|';
export const MSG_VIS_PREFIX = '!sqs|msg|vis|';
export const MSG_BYAGE_PREFIX = '!sqs|msg|byage|';
export const MSG_DEDUP_PREFIX = '!sqs|msg|dedup|';
export const MSG_GROUP_PREFIX = '!sqs|msg|group|';

const PARTITIONED = 'p|';
const PARTITION_BYTES = 4;
const GEN_BYTES = 8;

export const META_MAGIC = Buffer.from([0x00, 0x53, 0x51, 0x01]);
export const MSG_MAGIC = Buffer.from([0x00, 0x53, 0x4d, 0x01]);

/** base64url without padding, as the live adapter encodes every name segment. */
function b64(s: string | Uint8Array): string {
  return (typeof s === 'string' ? Buffer.from(s, 'utf8') : asBuffer(s)).toString('base64url');
}

/** Negative times clamp to zero in index keys (sqsClampNonNegativeMillis). */
const clampMillis = (ms: bigint): bigint => (ms < 0n ? 0n : ms);

export const queueMetaKey = (queue: string): Buffer => Buffer.from(QUEUE_META_PREFIX + b64(queue));
export const queueGenKey = (queue: string): Buffer => Buffer.from(QUEUE_GEN_PREFIX + b64(queue));
export const queueSeqKey = (queue: string): Buffer => Buffer.from(QUEUE_SEQ_PREFIX + b64(queue));

/** Where a message lives: the classic keyspace, or a partition of a partitioned queue. */
export type Lane = { readonly partitioned: false } | { readonly partitioned: true; readonly partition: number };

/**
 * The encoder builds every key of one message, and every message of one queue, in a row: the last queue's
 * classic family heads and the last message id's segment are kept (callers copy them into new keys).
 */
const lastQueue = { name: undefined as string | undefined, heads: new Map<string, Buffer>() };
const lastId = { id: undefined as string | undefined, segment: Buffer.alloc(0) };

function idSegment(messageId: string): Buffer {
  if (lastId.id !== messageId) {
    lastId.segment = Buffer.from(b64(messageId), 'latin1');
    lastId.id = messageId;
  }
  return lastId.segment;
}

function familyHead(prefix: string, queue: string, lane: Lane): Buffer {
  if (lane.partitioned) return Buffer.concat([Buffer.from(`${prefix}${PARTITIONED}${b64(queue)}|`), u32be(lane.partition)]);
  if (lastQueue.name !== queue) {
    lastQueue.heads.clear();
    lastQueue.name = queue;
  }
  let head = lastQueue.heads.get(prefix);
  if (head === undefined) {
    head = Buffer.from(prefix + b64(queue));
    lastQueue.heads.set(prefix, head);
  }
  return head;
}

/** head ‖ 8-byte big-endian `a` [‖ 8-byte `b`] ‖ tail in one allocation (a RangeError outside uint64, as u64be). */
function keyWith(head: Buffer, a: bigint, b: bigint | undefined, tail: Buffer): Buffer {
  const out = Buffer.allocUnsafe(head.length + (b === undefined ? GEN_BYTES : 2 * GEN_BYTES) + tail.length);
  let o = head.copy(out, 0);
  o = out.writeBigUInt64BE(a, o);
  if (b !== undefined) o = out.writeBigUInt64BE(b, o);
  tail.copy(out, o);
  return out;
}

export function msgDataKey(queue: string, lane: Lane, gen: bigint, messageId: string): Buffer {
  return keyWith(familyHead(MSG_DATA_PREFIX, queue, lane), gen, undefined, idSegment(messageId));
}

export function msgVisKey(queue: string, lane: Lane, gen: bigint, visibleAtMs: bigint, messageId: string): Buffer {
  return keyWith(familyHead(MSG_VIS_PREFIX, queue, lane), gen, clampMillis(visibleAtMs), idSegment(messageId));
}

export function msgByAgeKey(queue: string, lane: Lane, gen: bigint, sendTsMs: bigint, messageId: string): Buffer {
  return keyWith(familyHead(MSG_BYAGE_PREFIX, queue, lane), gen, clampMillis(sendTsMs), idSegment(messageId));
}

export function msgDedupKey(queue: string, lane: Lane, gen: bigint, groupId: string, dedupId: string): Buffer {
  const tail = lane.partitioned ? `${b64(groupId)}|${b64(dedupId)}` : b64(dedupId);
  return keyWith(familyHead(MSG_DEDUP_PREFIX, queue, lane), gen, undefined, Buffer.from(tail, 'latin1'));
}

// ---- parsing (decode side) ------------------------------------------------------------------------------

const isB64UrlByte = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;

function b64Boundary(rest: Buffer): number {
  let i = 0;
  while (i < rest.length && isB64UrlByte(rest[i] as number)) i++;
  return i;
}

function malformed(key: Uint8Array, why: string): DataError {
  return new DataError('SQS_MALFORMED_KEY', `malformed SQS key: ${why}`, { key });
}

function checkB64(key: Uint8Array, seg: Buffer, what: string): void {
  if (decodeBase64UrlRaw(seg.toString('latin1')) === undefined) throw malformed(key, `${what} is not base64url`);
}

/** The last queue segment found valid, and its text: a queue's rows come in a row. */
let validQueue = { bytes: Buffer.alloc(0), text: '' };

/** A key's queue segment as text, once checked to be base64url. */
function queueSegment(key: Uint8Array, enc: Buffer): string {
  if (enc.equals(validQueue.bytes)) return validQueue.text;
  checkB64(key, enc, 'queue segment');
  validQueue = { bytes: Buffer.from(enc), text: enc.toString('latin1') };
  return validQueue.text;
}

export interface ParsedQueueRef {
  /** The queue's base64url segment as it appears in keys. */
  readonly encQueue: string;
  /** Partition number for partitioned keys. */
  readonly partition: number | undefined;
  /** A message data key's message-id segment (base64url of the id), as a view of the key. */
  readonly idSegment?: Buffer;
}

/** `p|<queue>|<partition><gen>[<b64 id>]`: the partitioned suffix after a family prefix. */
function parsePartitioned(key: Uint8Array, rest: Buffer, hasMsgId: boolean, checkId = true): ParsedQueueRef {
  const body = rest.subarray(PARTITIONED.length);
  const bar = body.indexOf(0x7c);
  if (bar <= 0) throw malformed(key, 'partitioned key missing queue terminator');
  const encQueue = queueSegment(key, body.subarray(0, bar));
  const trailer = body.subarray(bar + 1);
  const fixed = PARTITION_BYTES + GEN_BYTES;
  if (hasMsgId) {
    if (trailer.length <= fixed) throw malformed(key, 'partitioned msg-data key missing message-id');
    if (checkId) checkB64(key, trailer.subarray(fixed), 'message-id segment');
    return { encQueue, partition: trailer.readUInt32BE(0), idSegment: trailer.subarray(fixed) };
  }
  if (trailer.length < fixed) throw malformed(key, 'partitioned side-record key trailer truncated');
  return { encQueue, partition: trailer.readUInt32BE(0) };
}

const isPartitionedRest = (rest: Buffer): boolean => rest.length >= 2 && rest[0] === 0x70 && rest[1] === 0x7c;

/**
 * `!sqs|msg|data|` keys: the queue segment, the message-id segment and, for partitioned keys, the partition. With
 * `checkId` false the id segment is not checked to be base64url (for a caller that compares it with the encoding
 * of an id, and parses the key again when they differ); errors are then those of the full check, or none.
 */
export function parseMsgDataKey(key: Uint8Array, checkId = true): ParsedQueueRef {
  const rest = asBuffer(key).subarray(MSG_DATA_PREFIX.length);
  if (isPartitionedRest(rest)) return parsePartitioned(key, rest, true, checkId);
  const idx = b64Boundary(rest);
  if (idx === 0 || idx + GEN_BYTES >= rest.length) throw malformed(key, 'queue segment or message-id segment not found');
  const encQueue = queueSegment(key, rest.subarray(0, idx));
  const idSegment = rest.subarray(idx + GEN_BYTES);
  if (checkId) checkB64(key, idSegment, 'message-id segment');
  return { encQueue, partition: undefined, idSegment };
}

/**
 * Side-record keys (vis, byage, dedup, group, tombstone, seq): only the queue segment matters. The queue
 * counter `!sqs|queue|seq|<queue>` has no trailer; the reference's parser requires one and fails on it
 * (see the README), this one accepts it.
 */
export function parseSideKey(key: Uint8Array, prefix: string): ParsedQueueRef {
  const rest = asBuffer(key).subarray(prefix.length);
  if (isPartitionedRest(rest)) return parsePartitioned(key, rest, false);
  const idx = b64Boundary(rest);
  if (idx === 0 || (idx === rest.length && prefix !== QUEUE_SEQ_PREFIX)) throw malformed(key, `queue segment not found after prefix "${prefix}"`);
  return { encQueue: rest.subarray(0, idx).toString('latin1'), partition: undefined };
}

/** FNV-1a 32 of the group id masked by partition count - 1 (adapter/sqs_partitioning.go partitionFor). */
export function partitionForGroup(partitionCount: number, perQueue: boolean, groupId: string): number {
  if (partitionCount <= 1 || perQueue || groupId === '') return 0;
  let h = 2166136261;
  for (const c of Buffer.from(groupId, 'utf8')) {
    h ^= c;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return (h & (partitionCount - 1)) >>> 0;
}
