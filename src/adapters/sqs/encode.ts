// Encoding `sqs/<queue>/` back into rows (elastickv: internal/backup/encode_sqs.go, encode_sqs_side.go).
//
// Per queue directory: `_queue.json` gives the config row (generation 1) and the generation row; each
// message of `messages.jsonl` gives its data row (visibility state reset, generation 1) and the derived
// visibility and by-age index rows; FIFO queues also get one dedup row per dedup id (the latest send wins)
// and the sequence counter (the largest sequence number). Partitioned FIFO queues use the `p|` keyspace.
// Group-lock rows are never written: a restored queue holds no locks. Memory stays bounded: messages are
// streamed, and the dedup winners and duplicate-id check go through external sorters.

import { createHash } from 'node:crypto';
import { DataError } from '../../errors.ts';
import { JsonTypeError, parseJsonBytes, type JsonValue } from '../../json/go-json-read.ts';
import { LiveMessage } from './live-message.ts';
import { jsonValues } from '../../tree/json-stream.ts';
import type { TreeReader } from '../../tree/reader.ts';
import type { EncodeContext } from '../adapter.ts';
import {
  msgByAgeKey,
  msgDataKey,
  msgDedupKey,
  msgVisKey,
  partitionForGroup,
  queueGenKey,
  queueMetaKey,
  queueSeqKey,
  type Lane,
} from './keys.ts';
import {
  DEDUP_SCOPE_GROUP,
  DEDUP_SCOPE_QUEUE,
  FIFO_THROUGHPUT_PER_GROUP,
  FIFO_THROUGHPUT_PER_QUEUE,
  MAX_PARTITIONS,
  parseDumpMessage,
  parseDumpMessageIdentity,
  parseQueueJson,
  renderDedupRecord,
  renderStoredMessage,
  renderStoredQueueMeta,
  type Message,
  type MessageIdentity,
  type QueueConfig,
} from './records.ts';
import { u32be } from '../../bytes/big-endian.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

/** The generation every restored queue gets (sqsRestoreGeneration). */
const RESTORE_GENERATION = 1n;
/** FIFO dedup window: 5 minutes. */
const DEDUP_WINDOW_MS = 5n * 60n * 1000n;

const invalidQueue = (path: string, why: string): DataError => new DataError('SQS_INVALID_QUEUE', `sqs encode invalid _queue.json: ${why}`, { path });
const INVALID_MESSAGES = 'sqs encode invalid messages.jsonl';
const invalidMessage = (path: string, line: number | undefined, why: string): DataError =>
  new DataError('SQS_INVALID_MESSAGE', `${INVALID_MESSAGES}: ${why}`, line === undefined ? { path } : { path, line });

/** The queue directories of a tree's `sqs/` (`sqs/<name>`); loose files are ignored, as the reference does. */
export async function queueDirs(tree: TreeReader): Promise<string[]> {
  const kind = await tree.kind('sqs');
  if (kind === undefined) return [];
  if (kind !== 'dir') throw new DataError('SQS_NOT_DIR', 'sqs dump path is not a directory', { path: 'sqs' });
  return (await tree.list('sqs')).filter((e) => e.kind === 'dir').map((e) => `sqs/${e.name}`);
}

export async function encodeSqs(ctx: EncodeContext): Promise<void> {
  for (const dir of await queueDirs(ctx.tree)) await encodeQueue(ctx, dir);
}

/** Why the encoder refuses a queue's configuration, or undefined when it accepts it (decode checks it too). */
export function queueConfigProblem(c: QueueConfig): string | undefined {
  if (c.formatVersion !== 1n) return `unsupported format_version ${c.formatVersion}`;
  if (![``, FIFO_THROUGHPUT_PER_GROUP, FIFO_THROUGHPUT_PER_QUEUE].includes(c.fifoThroughputLimit)) return `unsupported fifo_throughput_limit ${JSON.stringify(c.fifoThroughputLimit)}`;
  if (!['', DEDUP_SCOPE_GROUP, DEDUP_SCOPE_QUEUE].includes(c.deduplicationScope)) return `unsupported deduplication_scope ${JSON.stringify(c.deduplicationScope)}`;
  const n = c.partitionCount;
  if (n !== 0 && (n & (n - 1)) !== 0) return `partition_count ${n} must be a power of two`;
  if (n > MAX_PARTITIONS) return `partition_count ${n} exceeds max ${MAX_PARTITIONS}`;
  if (!c.fifo) {
    if (n > 1) return `partition_count ${n} is only valid on FIFO queues`;
    if (c.fifoThroughputLimit !== '') return `fifo_throughput_limit=${JSON.stringify(c.fifoThroughputLimit)} is only valid on FIFO queues`;
    if (c.deduplicationScope !== '') return `deduplication_scope=${JSON.stringify(c.deduplicationScope)} is only valid on FIFO queues`;
    return undefined;
  }
  if (n > 1 && c.deduplicationScope === DEDUP_SCOPE_QUEUE) return `deduplication_scope="queue" is incompatible with partition_count ${n}`;
  if (c.fifoThroughputLimit === FIFO_THROUGHPUT_PER_GROUP && n <= 1) return `fifo_throughput_limit="perMessageGroupId" requires partition_count > 1`;
  if (c.name === '') return 'empty queue name';
  return undefined;
}

function validateConfig(c: QueueConfig, rel: string): void {
  const why = queueConfigProblem(c);
  if (why !== undefined) throw invalidQueue(rel, why);
}

/** A queue directory's `_queue.json`, parsed and checked. */
export async function readQueueConfig(tree: TreeReader, dir: string): Promise<QueueConfig> {
  const rel = `${dir}/_queue.json`;
  if ((await tree.kind(rel)) === undefined) throw invalidQueue(rel, 'missing (every queue directory needs its _queue.json)');
  let config: QueueConfig;
  try {
    config = parseQueueJson(parseJsonBytes(await tree.readFile(rel)));
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw invalidQueue(rel, (err as Error).message);
  }
  validateConfig(config, rel);
  if (config.name === '') throw invalidQueue(rel, 'empty queue name');
  return config;
}

/** Why a message's partition breaks one of the reference's partitioning gates: the error code and the reason. */
export interface PartitionProblem {
  readonly code: 'SQS_INVALID_MESSAGE' | 'SQS_MISSING_PARTITION' | 'SQS_PARTITION_OUT_OF_RANGE' | 'SQS_PARTITION_ROUTING_MISMATCH' | 'SQS_PARTITION_HASH_MISMATCH';
  readonly reason: string;
}

/**
 * The partitioning gates of the reference for one message of a queue (`undefined` when it passes): the encoder
 * applies them to every message before anything is emitted, and the decoder to every message it would write, so
 * that a decoded tree always comes back.
 */
export function partitionProblem(c: QueueConfig, m: Pick<Message, 'messageId' | 'messageGroupId' | 'partition'>): PartitionProblem | undefined {
  // The reasons are built only for a message that fails (this runs for every message).
  const where = (): string => `queue ${JSON.stringify(c.name)} (partition_count=${c.partitionCount})`;
  const id = (): string => JSON.stringify(m.messageId);
  if (c.partitionCount <= 1) {
    if (m.partition !== undefined && m.partition !== 0) return { code: 'SQS_INVALID_MESSAGE', reason: `${where()}: classic queue message ${id()} has partition=${m.partition}` };
    return undefined;
  }
  if (m.partition === undefined) return { code: 'SQS_MISSING_PARTITION', reason: `sqs partitioned queue message missing partition field: ${where()}: message ${id()}` };
  if (m.partition >= c.partitionCount) return { code: 'SQS_PARTITION_OUT_OF_RANGE', reason: `sqs message partition out of range: ${where()}: message ${id()} partition=${m.partition}` };
  if (c.fifoThroughputLimit === FIFO_THROUGHPUT_PER_QUEUE) {
    if (m.partition !== 0) return { code: 'SQS_PARTITION_ROUTING_MISMATCH', reason: `sqs perQueue HT-FIFO queue must keep all messages on partition 0: ${where()}: message ${id()} partition=${m.partition}` };
    return undefined;
  }
  const want = partitionForGroup(c.partitionCount, false, m.messageGroupId);
  if (m.partition !== want) {
    return { code: 'SQS_PARTITION_HASH_MISMATCH', reason: `sqs message partition disagrees with partitionFor(message_group_id): ${where()}, group ${JSON.stringify(m.messageGroupId)}: message ${id()} partition=${m.partition}, want ${want}` };
  }
  return undefined;
}

function checkPartitioning(c: QueueConfig, m: MessageIdentity, rel: string, line: number): void {
  const problem = partitionProblem(c, m);
  if (problem === undefined) return;
  if (problem.code === 'SQS_INVALID_MESSAGE') throw invalidMessage(rel, line, problem.reason);
  throw new DataError(problem.code, problem.reason, { path: rel, line });
}

/**
 * The values of a `messages.jsonl`, in file order, each given with its line number: a line in the decoder's own
 * shape is read by `scanned` from its scan (live-message.ts), any other by `read` from its parsed JSON, gathered by
 * jsonValues as every JSON-lines file is (a value may span lines, several may share one; the same errors).
 */
async function* readMessages<T>(
  tree: TreeReader,
  rel: string,
  read: (value: JsonValue) => T,
  scanned: (scan: LiveMessage) => T,
): AsyncGenerator<{ readonly msg: T; readonly line: number }> {
  const scan = new LiveMessage();
  // A line the scan takes holds exactly one object, which the generic reader would parse alone.
  const scanLine = (line: Buffer): T | undefined => (scan.scanDumpLine(line) ? scanned(scan) : undefined);
  for await (const v of jsonValues(tree, rel, 'SQS_INVALID_MESSAGE', INVALID_MESSAGES, scanLine)) {
    if (v.value === undefined) {
      yield { msg: v.scanned, line: v.line };
      continue;
    }
    let msg: T;
    try {
      msg = read(v.value);
    } catch (err) {
      if (err instanceof JsonTypeError) throw invalidMessage(rel, v.line, err.message);
      throw err;
    }
    yield { msg, line: v.line };
  }
}

/** The messages of a `messages.jsonl`, in file order (send order), each with its line number. */
export function queueMessages(
  tree: TreeReader,
  rel: string,
): AsyncGenerator<{ readonly msg: Message; readonly line: number }> {
  return readMessages(tree, rel, parseDumpMessage, (scan) => scan.message());
}

/** Descending int64 order as ascending unsigned 64-bit values. */
const descendingInt64 = (n: bigint): bigint => BigInt.asUintN(64, ~(n + (1n << 63n)));

function resolveDedupId(c: QueueConfig, m: Message): string {
  if (m.messageDedupId !== '') return m.messageDedupId;
  if (c.contentBasedDeduplication) return createHash('sha256').update(m.body).digest('hex');
  return '';
}

/**
 * The generation a queue is rebuilt at: `_queue.json`'s `generation` (written by our decoder for purged
 * queues), else the one generation every message carries (a reference tree of a purged queue), else 1.
 */
function restoreGeneration(config: QueueConfig, messageGenerations: ReadonlySet<bigint>): bigint {
  if (config.generation > 0n) return config.generation;
  const [only] = messageGenerations;
  return messageGenerations.size === 1 && only !== undefined && only > 0n ? only : RESTORE_GENERATION;
}

async function encodeQueue(ctx: EncodeContext, dir: string): Promise<void> {
  const config = await readQueueConfig(ctx.tree, dir);
  const rel = `${dir}/messages.jsonl`;
  const hasMessages = (await ctx.tree.kind(rel)) !== undefined;
  const partitioned = config.partitionCount > 1;

  // Pass 1: every line's JSON syntax and every message's ids and partition are checked (and ids collected)
  // before any row is emitted, as in the reference. Only those fields are decoded here: a type error in another
  // field (body, attributes, timestamps) is refused by pass 2, with the same code, file, line and reason.
  const ids = ctx.newSorter();
  const messageGenerations = new Set<bigint>();
  const identity = (scan: LiveMessage): MessageIdentity => scan.identity();
  const identities = hasMessages ? readMessages(ctx.tree, rel, parseDumpMessageIdentity, identity) : [];
  for await (const { msg, line } of identities) {
    if (messageGenerations.size < 2) messageGenerations.add(msg.queueGeneration);
    if (msg.messageId === '') throw invalidMessage(rel, line, 'message missing message_id');
    if (config.fifo && msg.messageGroupId === '') {
      throw new DataError('SQS_FIFO_MISSING_GROUP', `sqs FIFO queue ${JSON.stringify(config.name)}: message ${JSON.stringify(msg.messageId)} has no message_group_id`, { path: rel, line });
    }
    checkPartitioning(config, msg, rel, line);
    const pending = ids.add(Buffer.from(msg.messageId, 'utf8'), u32be(line));
    if (pending !== undefined) await pending;
  }
  // Sorted records stay valid after their batch, so they are compared in place (views, no copies).
  let prevId: Buffer | undefined;
  let prevLine = 0;
  for await (const batch of ids.sortedBatches()) {
    for (const { key, value } of batch) {
      const id = asBuffer(key);
      const line = asBuffer(value).readUInt32BE(0);
      if (prevId !== undefined && prevId.equals(id)) {
        throw new DataError('SQS_DUPLICATE_MESSAGE_ID', `sqs queue ${JSON.stringify(config.name)}: message id ${JSON.stringify(id.toString('utf8'))} appears on lines ${prevLine} and ${line}`, { path: rel, line });
      }
      prevId = id;
      prevLine = line;
    }
  }
  const generation = restoreGeneration(config, messageGenerations);
  await ctx.emit(queueMetaKey(config.name), renderStoredQueueMeta(config, generation));
  await ctx.emit(queueGenKey(config.name), Buffer.from(String(generation)));
  if (!hasMessages) return;

  // Pass 2: rows.
  const dedup = config.fifo ? ctx.newSorter() : undefined;
  let maxSeq = 0n;
  for await (const { msg } of queueMessages(ctx.tree, rel)) {
    const lane: Lane = partitioned ? { partitioned: true, partition: msg.partition ?? 0 } : { partitioned: false };
    const id = Buffer.from(msg.messageId, 'utf8');
    // emit returns a promise only when the row sorter has to wait (spill); awaiting undefined would cost a turn.
    const data = renderStoredMessage(msg, generation);
    let pending = ctx.emit(msgDataKey(config.name, lane, generation, msg.messageId), data);
    if (pending !== undefined) await pending;
    pending = ctx.emit(msgVisKey(config.name, lane, generation, msg.availableAtMillis, msg.messageId), id);
    if (pending !== undefined) await pending;
    pending = ctx.emit(msgByAgeKey(config.name, lane, generation, msg.sendTimestampMillis, msg.messageId), id);
    if (pending !== undefined) await pending;
    if (msg.sequenceNumber > maxSeq) maxSeq = msg.sequenceNumber;
    if (dedup === undefined) continue;
    const dedupId = resolveDedupId(config, msg);
    if (dedupId === '') continue;
    // Winner per dedup key: the latest send; among equal send times the first in the reference's
    // iteration order (file order for classic queues; partition, send time, sequence, id for partitioned).
    // Sort key: tuple (partition, length-prefixed group, for partitioned queues; length-prefixed dedup id), then
    // the order (descending send time; sequence and id for partitioned queues). Value: the tuple's length, the
    // row key's length, the row key, the row value.
    const dedupBytes = Buffer.from(dedupId, 'utf8');
    const group = partitioned ? Buffer.from(msg.messageGroupId, 'utf8') : undefined;
    const tupleLength = (group === undefined ? 0 : 8 + group.length) + 4 + dedupBytes.length;
    const key = Buffer.allocUnsafe(tupleLength + (group === undefined ? 8 : 16 + id.length));
    let o = 0;
    if (group !== undefined) {
      o = key.writeUInt32BE(lane.partitioned ? lane.partition : 0, o);
      o = key.writeUInt32BE(group.length, o);
      o += group.copy(key, o);
    }
    o = key.writeUInt32BE(dedupBytes.length, o);
    o += dedupBytes.copy(key, o);
    o = key.writeBigUInt64BE(descendingInt64(msg.sendTimestampMillis), o);
    if (group !== undefined) {
      o = key.writeBigUInt64BE(BigInt.asUintN(64, msg.sequenceNumber), o);
      id.copy(key, o);
    }
    const rowKey = msgDedupKey(config.name, lane, generation, msg.messageGroupId, dedupId);
    const rowValue = renderDedupRecord(
      msg.messageId,
      msg.sendTimestampMillis,
      msg.sendTimestampMillis + DEDUP_WINDOW_MS,
      msg.sequenceNumber,
    );
    const value = Buffer.allocUnsafe(8 + rowKey.length + rowValue.length);
    value.writeUInt32BE(tupleLength, 0);
    value.writeUInt32BE(rowKey.length, 4);
    rowKey.copy(value, 8);
    rowValue.copy(value, 8 + rowKey.length);
    pending = dedup.add(key, value);
    if (pending !== undefined) await pending;
  }
  if (dedup !== undefined) {
    let lastTuple: Buffer | undefined;
    for await (const batch of dedup.sortedBatches()) {
      for (const { key, value } of batch) {
        const v = asBuffer(value);
        const tuple = asBuffer(key).subarray(0, v.readUInt32BE(0));
        if (lastTuple !== undefined && lastTuple.equals(tuple)) continue;
        lastTuple = tuple;
        const keyLen = v.readUInt32BE(4);
        const pending = ctx.emit(v.subarray(8, 8 + keyLen), v.subarray(8 + keyLen));
        if (pending !== undefined) await pending;
      }
    }
  }
  if (config.fifo && maxSeq > 0n) await ctx.emit(queueSeqKey(config.name), Buffer.from(maxSeq.toString()));
}
