// SQS values and dump files (elastickv: internal/backup/sqs.go, encode_sqs.go, encode_sqs_side.go).
//
// Live values are a 4-byte magic then Go json.Marshal output: the queue config (00 'S' 'Q' 01) with
// `is_fifo`/`content_based_dedup` names and a `generation`, and the message (00 'S' 'M' 01) whose `body` and
// `current_receipt_token` are []byte (standard base64 with padding). The dump files:
// - `_queue.json`: json.MarshalIndent of the public config (HTML escaping on, no trailing newline);
// - `messages.jsonl`: one json.Encoder line per message (HTML escaping off), `body` a JSON string when it is
//   valid UTF-8 (marshalled on its own, so `<>&` are escaped even here) and `{"base64":"<base64url>"}`
//   otherwise; `message_attributes` are json.RawMessage values, kept as written and compacted.

import { DataError } from '../../errors.ts';
import { GoMap, GoRaw, goMarshal, isValidUtf8, quoteString, type GoJson } from '../../json/go-json.ts';
import {
  JsonNumber,
  JsonObject,
  JsonTypeError,
  parseJsonBytes,
  readBool,
  readInt,
  readObject,
  readString,
  readUint,
  type JsonValue,
} from '../../json/go-json-read.ts';
import { decodeStdBase64 } from '../../bytes/base64-std.ts';
import { decodeBase64UrlRaw } from '../../tree/segment.ts';
import { META_MAGIC, MSG_MAGIC } from './keys.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

const QUEUE_FORMAT_VERSION = 1n;
export const FIFO_THROUGHPUT_PER_QUEUE = 'perQueue';
export const FIFO_THROUGHPUT_PER_GROUP = 'perMessageGroupId';
export const DEDUP_SCOPE_GROUP = 'messageGroup';
export const DEDUP_SCOPE_QUEUE = 'queue';
export const MAX_PARTITIONS = 32;

/** A queue's configuration as the dump carries it (sqsQueueMetaPublic). */
export interface QueueConfig {
  readonly formatVersion: bigint;
  readonly name: string;
  /**
   * The generation of the queue's messages: > 1 once the queue has been purged (PurgeQueue bumps it). 0 when
   * `_queue.json` does not say (a tree from the reference decoder, or a queue never purged).
   */
  readonly generation: bigint;
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
  readonly visibilityTimeoutSeconds: bigint;
  readonly messageRetentionSeconds: bigint;
  readonly delaySeconds: bigint;
  readonly receiveMessageWaitSeconds: bigint;
  readonly maximumMessageSize: bigint;
  readonly redrivePolicy: string;
  readonly redriveAllowPolicy: string;
  readonly partitionCount: number;
  readonly fifoThroughputLimit: string;
  readonly deduplicationScope: string;
}

/** One message (sqsMessageRecord). */
export interface Message {
  readonly messageId: string;
  readonly body: Buffer;
  readonly md5OfBody: string;
  readonly md5OfMessageAttributes: string;
  /** Go map[string]json.RawMessage: undefined for a nil map; values are JSON source text. */
  readonly messageAttributes: ReadonlyMap<string, string> | undefined;
  readonly senderId: string;
  readonly sendTimestampMillis: bigint;
  readonly availableAtMillis: bigint;
  readonly visibleAtMillis: bigint;
  readonly receiveCount: bigint;
  readonly firstReceiveMillis: bigint;
  readonly currentReceiptToken: Buffer | undefined;
  readonly queueGeneration: bigint;
  readonly messageGroupId: string;
  readonly messageDedupId: string;
  readonly sequenceNumber: bigint;
  readonly deadLetterSourceArn: string;
  readonly partition: number | undefined;
}

/** Go's []byte JSON decoding: standard base64 with padding; null is nil. */
function readStdBase64(v: JsonValue | undefined, field: string): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new JsonTypeError(`${field}: cannot unmarshal ${v instanceof JsonNumber ? 'number' : 'value'} into []byte`);
  const out = decodeStdBase64(v);
  if (out === undefined) throw new JsonTypeError(`${field}: illegal base64 data`);
  return out;
}

function readRawMap(obj: JsonObject, field: string): Map<string, string> | undefined {
  const v = obj.field(field);
  const o = readObject(v, field);
  if (o === undefined) return undefined;
  const out = new Map<string, string>();
  o.entries.forEach(([k], i) => out.set(k, o.raw(i)));
  return out;
}

function readPartition(v: JsonValue | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  return Number(readUint(v, 'partition', 32));
}

/** The dump's body: a JSON string (UTF-8 text) or exactly `{"base64": "<base64url>"}`. */
function readDumpBody(v: JsonValue | undefined): Buffer {
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (!(v instanceof JsonObject)) throw new JsonTypeError('body: must be a string or {"base64": …}');
  for (const k of v.keys()) if (k.toLowerCase() !== 'base64') throw new JsonTypeError(`body: unknown field "${k}" in the base64 envelope`);
  const b = v.field('base64');
  if (b === undefined || b === null) throw new JsonTypeError('body: sqs message body object missing base64 field');
  const raw = decodeBase64UrlRaw(readString(b, 'body.base64'));
  if (raw === undefined) throw new JsonTypeError('body: base64 is not base64url without padding');
  return Buffer.from(raw);
}

function messageFrom(o: JsonObject, dump: boolean): Message {
  return {
    messageId: readString(o.field('message_id'), 'message_id'),
    body: dump ? readDumpBody(o.field('body')) : (readStdBase64(o.field('body'), 'body') ?? Buffer.alloc(0)),
    md5OfBody: readString(o.field('md5_of_body'), 'md5_of_body'),
    md5OfMessageAttributes: readString(o.field('md5_of_message_attributes'), 'md5_of_message_attributes'),
    messageAttributes: readRawMap(o, 'message_attributes'),
    senderId: readString(o.field('sender_id'), 'sender_id'),
    sendTimestampMillis: readInt(o.field('send_timestamp_millis'), 'send_timestamp_millis'),
    availableAtMillis: readInt(o.field('available_at_millis'), 'available_at_millis'),
    visibleAtMillis: readInt(o.field('visible_at_millis'), 'visible_at_millis'),
    receiveCount: readInt(o.field('receive_count'), 'receive_count'),
    firstReceiveMillis: readInt(o.field('first_receive_millis'), 'first_receive_millis'),
    currentReceiptToken: readStdBase64(o.field('current_receipt_token'), 'current_receipt_token'),
    queueGeneration: readUint(o.field('queue_generation'), 'queue_generation'),
    messageGroupId: readString(o.field('message_group_id'), 'message_group_id'),
    messageDedupId: readString(o.field('message_deduplication_id'), 'message_deduplication_id'),
    sequenceNumber: readUint(o.field('sequence_number'), 'sequence_number'),
    deadLetterSourceArn: readString(o.field('dead_letter_source_arn'), 'dead_letter_source_arn'),
    partition: dump ? readPartition(o.field('partition')) : undefined,
  };
}

/** A `!sqs|msg|data|` value. */
export function parseLiveMessage(value: Uint8Array, key: Uint8Array): Message {
  const bad = (why: string): DataError => new DataError('SQS_INVALID_MESSAGE', `invalid !sqs|msg|data value: ${why}`, { key });
  const v = asBuffer(value);
  if (!v.subarray(0, MSG_MAGIC.length).equals(MSG_MAGIC)) throw bad('missing magic prefix');
  let o: JsonValue;
  try {
    o = parseJsonBytes(v.subarray(MSG_MAGIC.length));
    if (!(o instanceof JsonObject)) throw new JsonTypeError('not a JSON object');
    return messageFrom(o, false);
  } catch (err) {
    throw bad((err as Error).message);
  }
}

/** One decoded messages.jsonl value; throws JsonTypeError / JsonSyntaxError for the caller to place. */
export function parseDumpMessage(v: JsonValue): Message {
  if (!(v instanceof JsonObject)) throw new JsonTypeError('a message must be a JSON object');
  return messageFrom(v, true);
}

/** The fields of a messages.jsonl message the encoder checks before it emits any row (ids, partition, generation). */
export type MessageIdentity = Pick<Message, 'messageId' | 'messageGroupId' | 'partition' | 'queueGeneration'>;

/**
 * Only the identity fields of one decoded messages.jsonl value: no body, attributes or timestamps are decoded.
 * A type error in one of them is reported as parseDumpMessage reports the message (its first error in field
 * order), so that a line is refused with the same reason by either reader.
 */
export function parseDumpMessageIdentity(v: JsonValue): MessageIdentity {
  if (!(v instanceof JsonObject)) throw new JsonTypeError('a message must be a JSON object');
  try {
    return {
      messageId: readString(v.field('message_id'), 'message_id'),
      queueGeneration: readUint(v.field('queue_generation'), 'queue_generation'),
      messageGroupId: readString(v.field('message_group_id'), 'message_group_id'),
      partition: readPartition(v.field('partition')),
    };
  } catch (err) {
    if (err instanceof JsonTypeError) messageFrom(v, true);
    throw err;
  }
}

/** A `!sqs|queue|meta|` value, projected to the dump's config. */
export function parseLiveQueueMeta(value: Uint8Array, key: Uint8Array): QueueConfig {
  const bad = (why: string): DataError => new DataError('SQS_INVALID_QUEUE_META', `invalid !sqs|queue|meta value: ${why}`, { key });
  const v = asBuffer(value);
  if (!v.subarray(0, META_MAGIC.length).equals(META_MAGIC)) throw bad('missing magic prefix');
  try {
    const o = parseJsonBytes(v.subarray(META_MAGIC.length));
    if (!(o instanceof JsonObject)) throw new JsonTypeError('not a JSON object');
    return {
      formatVersion: QUEUE_FORMAT_VERSION,
      name: readString(o.field('name'), 'name'),
      generation: readUint(o.field('generation'), 'generation'),
      fifo: readBool(o.field('is_fifo'), 'is_fifo'),
      contentBasedDeduplication: readBool(o.field('content_based_dedup'), 'content_based_dedup'),
      ...commonConfig(o),
    };
  } catch (err) {
    throw bad((err as Error).message);
  }
}

function commonConfig(o: JsonObject) {
  return {
    visibilityTimeoutSeconds: readInt(o.field('visibility_timeout_seconds'), 'visibility_timeout_seconds'),
    messageRetentionSeconds: readInt(o.field('message_retention_seconds'), 'message_retention_seconds'),
    delaySeconds: readInt(o.field('delay_seconds'), 'delay_seconds'),
    receiveMessageWaitSeconds: readInt(o.field('receive_message_wait_seconds'), 'receive_message_wait_seconds'),
    maximumMessageSize: readInt(o.field('maximum_message_size'), 'maximum_message_size'),
    redrivePolicy: readString(o.field('redrive_policy'), 'redrive_policy'),
    redriveAllowPolicy: readString(o.field('redrive_allow_policy'), 'redrive_allow_policy'),
    partitionCount: Number(readUint(o.field('partition_count'), 'partition_count', 32)),
    fifoThroughputLimit: readString(o.field('fifo_throughput_limit'), 'fifo_throughput_limit'),
    deduplicationScope: readString(o.field('deduplication_scope'), 'deduplication_scope'),
  };
}

/** `_queue.json` as read by the encoder (unknown fields ignored, Go field matching). */
export function parseQueueJson(o: JsonValue): QueueConfig {
  if (!(o instanceof JsonObject)) throw new JsonTypeError('_queue.json must hold a JSON object');
  return {
    formatVersion: readUint(o.field('format_version'), 'format_version', 32),
    name: readString(o.field('name'), 'name'),
    generation: readUint(o.field('generation'), 'generation'),
    fifo: readBool(o.field('fifo'), 'fifo'),
    contentBasedDeduplication: readBool(o.field('content_based_deduplication'), 'content_based_deduplication'),
    ...commonConfig(o),
  };
}

const omitZero = (n: bigint): bigint | undefined => (n === 0n ? undefined : n);
const omitEmpty = (s: string): string | undefined => (s === '' ? undefined : s);

/**
 * `_queue.json` bytes: MarshalIndent, HTML escaping on, no trailing newline. `generation` is our extension,
 * written only for a purged queue (generation > 1), so every other queue's file is the reference's bytes.
 */
export function renderQueueJson(c: QueueConfig): string {
  return goMarshal(
    {
      format_version: c.formatVersion,
      name: c.name,
      generation: c.generation > 1n ? c.generation : undefined,
      fifo: c.fifo ? true : undefined,
      content_based_deduplication: c.contentBasedDeduplication ? true : undefined,
      visibility_timeout_seconds: c.visibilityTimeoutSeconds,
      message_retention_seconds: c.messageRetentionSeconds,
      delay_seconds: c.delaySeconds,
      receive_message_wait_seconds: omitZero(c.receiveMessageWaitSeconds),
      maximum_message_size: omitZero(c.maximumMessageSize),
      redrive_policy: omitEmpty(c.redrivePolicy),
      redrive_allow_policy: omitEmpty(c.redriveAllowPolicy),
      partition_count: c.partitionCount === 0 ? undefined : BigInt(c.partitionCount),
      fifo_throughput_limit: omitEmpty(c.fifoThroughputLimit),
      deduplication_scope: omitEmpty(c.deduplicationScope),
    },
    { escapeHTML: true, indent: true },
  );
}

/** The stored queue config the encoder writes (sqsStoredQueueMeta) with its magic. */
export function renderStoredQueueMeta(c: QueueConfig, generation: bigint): Buffer {
  const json = goMarshal(
    {
      name: c.name,
      generation,
      is_fifo: c.fifo ? true : undefined,
      content_based_dedup: c.contentBasedDeduplication ? true : undefined,
      visibility_timeout_seconds: c.visibilityTimeoutSeconds,
      message_retention_seconds: c.messageRetentionSeconds,
      delay_seconds: c.delaySeconds,
      receive_message_wait_seconds: c.receiveMessageWaitSeconds,
      maximum_message_size: c.maximumMessageSize,
      redrive_policy: omitEmpty(c.redrivePolicy),
      redrive_allow_policy: omitEmpty(c.redriveAllowPolicy),
      partition_count: c.partitionCount === 0 ? undefined : BigInt(c.partitionCount),
      fifo_throughput_limit: omitEmpty(c.fifoThroughputLimit),
      deduplication_scope: omitEmpty(c.deduplicationScope),
    },
    { escapeHTML: true, indent: false },
  );
  return Buffer.concat([META_MAGIC, Buffer.from(json, 'utf8')]);
}

function attributesMap(m: Message): GoMap | undefined {
  if (m.messageAttributes === undefined || m.messageAttributes.size === 0) return undefined;
  return new GoMap([...m.messageAttributes].map(([k, raw]) => [k, new GoRaw(raw)] as const));
}

/** The body field of a dump line: a string marshalled on its own (HTML-escaped), or the base64 envelope. */
function dumpBody(body: Buffer): GoRaw {
  if (isValidUtf8(body)) return new GoRaw(quoteString(body.toString('utf8'), true));
  return new GoRaw(`{"base64":"${body.toString('base64url')}"}`);
}

/** One messages.jsonl line (with its newline). */
export function renderDumpLine(m: Message): string {
  const value: GoJson = {
    message_id: m.messageId,
    body: dumpBody(m.body),
    md5_of_body: omitEmpty(m.md5OfBody),
    md5_of_message_attributes: omitEmpty(m.md5OfMessageAttributes),
    message_attributes: attributesMap(m),
    sender_id: omitEmpty(m.senderId),
    send_timestamp_millis: m.sendTimestampMillis,
    available_at_millis: m.availableAtMillis,
    visible_at_millis: m.visibleAtMillis,
    receive_count: m.receiveCount,
    first_receive_millis: omitZero(m.firstReceiveMillis),
    current_receipt_token: m.currentReceiptToken === undefined || m.currentReceiptToken.length === 0 ? undefined : m.currentReceiptToken.toString('base64'),
    queue_generation: m.queueGeneration,
    message_group_id: omitEmpty(m.messageGroupId),
    message_deduplication_id: omitEmpty(m.messageDedupId),
    sequence_number: omitZero(m.sequenceNumber),
    dead_letter_source_arn: omitEmpty(m.deadLetterSourceArn),
    partition: m.partition === undefined ? undefined : BigInt(m.partition),
  };
  return goMarshal(value, { escapeHTML: false, indent: false }) + '\n';
}

/**
 * The visibility a restored message starts with: 0 (visible), except for a message still in its delay period
 * as the node wrote it at send time (never received, visible_at = available_at = send time + delay), which
 * keeps visible_at so that a restored node counts it as delayed, like the live one (the reference zeroes it).
 * Decode applies it to live messages; encode to dump lines, where it is the identity on what decode wrote.
 */
export function delayedUntil(m: Message): bigint {
  const delayed =
    m.receiveCount === 0n && m.visibleAtMillis === m.availableAtMillis && m.availableAtMillis > m.sendTimestampMillis;
  return delayed ? m.availableAtMillis : 0n;
}

/**
 * The stored message the encoder writes (sqsStoredMessage): visibility state reset (delays kept), generation stamped.
 */
export function renderStoredMessage(m: Message, generation: bigint): Buffer {
  // Written out field by field (the struct's order and omitempty rules, as goMarshal would write them): the
  // generic writer's per-field dispatch and escape scan of the base64 body were a tenth of an SQS encode.
  // Standard base64 needs no escaping; the keys are plain ASCII.
  let json = `{"message_id":${quoteString(m.messageId, true)},"body":"${m.body.toString('base64')}","md5_of_body":${quoteString(m.md5OfBody, true)}`;
  if (m.md5OfMessageAttributes !== '') json += `,"md5_of_message_attributes":${quoteString(m.md5OfMessageAttributes, true)}`;
  const attributes = attributesMap(m);
  if (attributes !== undefined) json += `,"message_attributes":${goMarshal(attributes, { escapeHTML: true, indent: false })}`;
  if (m.senderId !== '') json += `,"sender_id":${quoteString(m.senderId, true)}`;
  json += `,"send_timestamp_millis":${m.sendTimestampMillis},"available_at_millis":${m.availableAtMillis},"visible_at_millis":${delayedUntil(m)},"receive_count":0,"current_receipt_token":null,"queue_generation":${generation}`;
  if (m.messageGroupId !== '') json += `,"message_group_id":${quoteString(m.messageGroupId, true)}`;
  if (m.messageDedupId !== '') json += `,"message_deduplication_id":${quoteString(m.messageDedupId, true)}`;
  if (m.sequenceNumber !== 0n) json += `,"sequence_number":${m.sequenceNumber}`;
  if (m.deadLetterSourceArn !== '') json += `,"dead_letter_source_arn":${quoteString(m.deadLetterSourceArn, true)}`;
  json += '}';
  const out = Buffer.allocUnsafe(MSG_MAGIC.length + Buffer.byteLength(json, 'utf8'));
  MSG_MAGIC.copy(out, 0);
  out.write(json, MSG_MAGIC.length, 'utf8');
  return out;
}

/** The FIFO dedup row's value (sqsFifoDedupRecord), json.Marshal. */
export function renderDedupRecord(
  messageId: string,
  sendTs: bigint,
  expiresAt: bigint,
  originalSequence: bigint,
): Buffer {
  // The struct's fields in order (original_sequence omitempty), as goMarshal would write them; keys are plain ASCII.
  const sequence = originalSequence === 0n ? '' : `,"original_sequence":${originalSequence}`;
  return Buffer.from(`{"message_id":${quoteString(messageId, true)},"send_timestamp_ms":${sendTs},"expires_at_millis":${expiresAt}${sequence}}`, 'utf8');
}
