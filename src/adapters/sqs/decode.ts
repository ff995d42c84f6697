// Decoding SQS rows into `sqs/<queue>/` (elastickv: internal/backup/sqs.go, SQSEncoder).
//
// Per queue with a config row: `_queue.json`, and `messages.jsonl` with the messages of the live generation
// in send order (send timestamp, then sequence number, then message id; ties keep snapshot order). Messages
// arrive before their queue's config and generation rows (`msg` sorts before `queue`), so every message
// goes through an external sorter keyed by queue and send order, and is filtered when the queue is known.
// With --include-sqs-side-records, the derived rows are written to `_internals/side_records.jsonl` in
// snapshot order (`<b64 queue>.orphan/` when the queue has no config). Queues without a config row are
// reported and their messages dropped, as in the reference. With `expired: 'skip'`, messages past their queue's
// retention period at the snapshot's time are left out and counted.

import { DataError } from '../../errors.ts';
import { goEncodeLine } from '../../json/go-json.ts';
import type { ExternalSorter } from '../../sort/external-sort.ts';
import { decodeBase64UrlRaw, encodeSegment } from '../../tree/segment.ts';
import type { FileSink } from '../../tree/writer.ts';
import type { AdapterDecoder, DecodeContext } from '../adapter.ts';
import { QUEUE_GEN_PREFIX, QUEUE_META_PREFIX, parseMsgDataKey, parseSideKey, type ParsedQueueRef } from './keys.ts';
import { LiveMessage, messageRecord as scannedRecord } from './live-message.ts';
import { delayedUntil, parseLiveMessage, parseLiveQueueMeta, renderDumpLine, renderQueueJson, type Message, type QueueConfig } from './records.ts';
import { partitionProblem, queueConfigProblem } from './encode.ts';
import { SIDE_PREFIX_OF_KIND, SQS_KIND, type SqsKind } from './routes.ts';
import { sortableI64be, u32be, u64be } from '../../bytes/big-endian.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

interface QueueState {
  readonly encoded: string;
  /** Raw queue name from the config row's key. */
  rawName: Buffer | undefined;
  config: QueueConfig | undefined;
  /** 0 until a generation row is seen (then no generation filter applies). */
  activeGen: bigint;
  messages: number;
  sideRecords: number;
  /**
   * The error its config or generation row was refused with (only while salvaging: without --salvage that row ends
   * the decode); the queue's other rows are then set apart with it as one unit instead of dropped as orphans or
   * written with every generation's messages.
   */
  refused?: DataError;
}

const SEP = Buffer.from([0x00]);

/** Bytes of messages.jsonl gathered before they go to the sink: one write (and digest update) per block. */
const LINE_BLOCK = 64 * 1024;

/** A messages.jsonl being written: lines are gathered into blocks of LINE_BLOCK bytes. */
class LineBlocks {
  readonly #sink: FileSink;
  #block = Buffer.allocUnsafe(LINE_BLOCK);
  #used = 0;

  constructor(sink: FileSink) {
    this.#sink = sink;
  }

  add(line: Buffer): void {
    if (this.#used + line.length > LINE_BLOCK) {
      this.#flush();
      if (line.length > LINE_BLOCK) {
        this.#sink.writeNow(line);
        return;
      }
    }
    this.#used += line.copy(this.#block, this.#used);
  }

  /** Hands the gathered lines over (the sink may keep the block: a new one is taken). */
  #flush(): void {
    if (this.#used === 0) return;
    this.#sink.writeNow(this.#block.subarray(0, this.#used));
    this.#block = Buffer.allocUnsafe(LINE_BLOCK);
    this.#used = 0;
  }

  async close(): Promise<void> {
    this.#flush();
    await this.#sink.close();
  }
}

/** True when `b` begins with the bytes of `prefix`. */
function startsWith(b: Buffer, prefix: Buffer): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/** The queue segment at the head of a sorter key (up to the 0x00 separator). */
const queueOfSortKey = (key: Uint8Array): string => {
  const k = asBuffer(key);
  return k.subarray(0, k.indexOf(0x00)).toString('latin1');
};

/** The message id at the tail of a message's sorter key (after the send time and sequence number). */
const messageIdOfSortKey = (key: Uint8Array): string => {
  const k = asBuffer(key);
  return k.subarray(k.indexOf(0x00) + 17).toString('utf8');
};

/**
 * The dump line of a sorted message once the checks that need its queue's meta pass: the encoder refuses a FIFO
 * queue's message without a group (the node requires one) and a partition its queue's partitioning rules out, so
 * a decode that wrote either would publish a tree that does not come back.
 */
function checkedDumpLine(config: QueueConfig, sortKey: Uint8Array, value: Buffer): Buffer {
  const partitionPlusOne = value.readUInt32BE(8);
  const groupLength = value.readUInt32BE(12);
  const groupEnd = 16 + groupLength;
  // The common case needs no strings: a group where FIFO needs one, and on a queue that is not partitioned no
  // partition or partition 0 (the only case partitionProblem has nothing against there).
  const grouped = groupLength > 0 || !config.fifo;
  if (grouped && config.partitionCount <= 1 && partitionPlusOne <= 1) return value.subarray(groupEnd);
  const messageGroupId = value.subarray(16, groupEnd).toString('utf8');
  const messageId = messageIdOfSortKey(sortKey);
  if (config.fifo && messageGroupId === '') {
    throw new DataError('SQS_FIFO_MISSING_GROUP', `SQS FIFO queue ${JSON.stringify(config.name)}: message ${JSON.stringify(messageId)} has no message_group_id`);
  }
  const partition = partitionPlusOne === 0 ? undefined : partitionPlusOne - 1;
  const problem = partitionProblem(config, { messageId, messageGroupId, partition });
  if (problem !== undefined) throw new DataError(problem.code, problem.reason);
  return value.subarray(groupEnd);
}

/**
 * A live message as its dump line gives it: the visibility state reset unless it is preserved (a delay kept, see
 * delayedUntil), and the partition its key names.
 */
export function dumpedMessage(msg: Message, preserveVisibility: boolean, partition: number | undefined): Message {
  let out = msg;
  if (!preserveVisibility) {
    const visibleAtMillis = delayedUntil(out);
    out = { ...out, visibleAtMillis, currentReceiptToken: undefined, receiveCount: 0n, firstReceiveMillis: 0n };
  }
  return partition === undefined ? out : { ...out, partition };
}

/**
 * A message's sorter record. Key: the queue segment, 0x00, the send time (sortable), the sequence number, the
 * message id. Value: the generation, what the queue-level checks need (the queue's meta, which says whether it is
 * FIFO and how it is partitioned, comes after its messages in key order: partition + 1 or 0, the group's length
 * and the group), and the dump line. live-message.ts messageRecord writes the same bytes from a scanned value.
 */
export function messageRecord(encQueue: string, msg: Message): { readonly key: Buffer; readonly value: Buffer } {
  const key = Buffer.concat([Buffer.from(encQueue, 'latin1'), SEP, sortableI64be(msg.sendTimestampMillis), u64be(msg.sequenceNumber), Buffer.from(msg.messageId, 'utf8')]);
  const group = Buffer.from(msg.messageGroupId, 'utf8');
  const value = Buffer.concat([
    u64be(msg.queueGeneration),
    u32be(msg.partition === undefined ? 0 : msg.partition + 1),
    u32be(group.length),
    group,
    Buffer.from(renderDumpLine(msg), 'utf8'),
  ]);
  return { key, value };
}

export class SqsDecoder implements AdapterDecoder<SqsKind> {
  readonly #ctx: DecodeContext;
  readonly #queues = new Map<string, QueueState>();
  /** Queues found damaged while their messages were written (set apart by --salvage). */
  readonly #damaged = new Set<QueueState>();
  #messages: ExternalSorter | undefined;
  #side: ExternalSorter | undefined;
  #sideSeq = 0n;
  /** The fast path's scan of the current message, and the buffer its sorter record is written in. */
  readonly #scan = new LiveMessage();
  readonly #scratch = { buffer: Buffer.alloc(0) };

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
  }

  #queue(encoded: string): QueueState {
    let st = this.#queues.get(encoded);
    if (st === undefined) {
      st = { encoded, rawName: undefined, config: undefined, activeGen: 0n, messages: 0, sideRecords: 0 };
      this.#queues.set(encoded, st);
    }
    return st;
  }

  handle(kind: SqsKind, key: Uint8Array, value: Uint8Array): Promise<void> | undefined {
    switch (kind) {
      case SQS_KIND.queueMeta:
        this.#queueMeta(key, value);
        return undefined;
      case SQS_KIND.queueGen:
        this.#queueGen(key, value);
        return undefined;
      case SQS_KIND.msgData:
        return this.#message(key, value);
      default:
        // Every other kind is a side record's.
        if (!this.#ctx.switches.includeSqsSideRecords) return undefined;
        return this.#sideRecord(SIDE_PREFIX_OF_KIND[kind], key, value);
    }
  }

  #queueMeta(key: Uint8Array, value: Uint8Array): void {
    const encoded = Buffer.from(key).subarray(QUEUE_META_PREFIX.length).toString('latin1');
    const raw = decodeBase64UrlRaw(encoded);
    if (raw === undefined) throw new DataError('SQS_MALFORMED_KEY', 'malformed SQS key: queue segment is not base64url', { key });
    try {
      this.#queueConfig(encoded, raw, key, value);
    } catch (err) {
      if (err instanceof DataError) this.#queue(encoded).refused ??= err;
      throw err;
    }
  }

  #queueConfig(encoded: string, raw: Uint8Array, key: Uint8Array, value: Uint8Array): void {
    const config = parseLiveQueueMeta(value, key);
    // The tree names the queue's directory from the key and the encoder derives every key from the meta's name:
    // a meta naming another queue (damage) would decode into a tree that does not come back.
    if (config.name !== '' && !Buffer.from(config.name, 'utf8').equals(raw)) {
      throw new DataError('SQS_INVALID_QUEUE_META', `SQS queue meta names queue ${JSON.stringify(config.name)}, not its key's`, { key });
    }
    const named = config.name === '' ? { ...config, name: Buffer.from(raw).toString('utf8') } : config;
    // A configuration the encoder refuses (damage: a live node validates it on create) could not come back.
    const why = queueConfigProblem(named);
    if (why !== undefined) throw new DataError('SQS_INVALID_QUEUE_META', `SQS queue meta of ${JSON.stringify(named.name)}: ${why}`, { key });
    const st = this.#queue(encoded);
    st.rawName = Buffer.from(raw);
    st.config = named;
  }

  #queueGen(key: Uint8Array, value: Uint8Array): void {
    const encoded = Buffer.from(key).subarray(QUEUE_GEN_PREFIX.length).toString('latin1');
    const text = Buffer.from(value).toString('latin1').trim();
    if (!/^[0-9]+$/.test(text) || BigInt(text) > 0xffff_ffff_ffff_ffffn) {
      // Without its generation row the queue's live messages are not known (a purged queue's older ones would
      // come back): with --salvage the queue follows the row into the quarantine (see finalize).
      const err = new DataError('SQS_MALFORMED_KEY', `malformed SQS key: generation ${JSON.stringify(text)} is not an unsigned decimal`, { key });
      if (decodeBase64UrlRaw(encoded) !== undefined) this.#queue(encoded).refused ??= err;
      throw err;
    }
    this.#queue(encoded).activeGen = BigInt(text);
  }

  #message(key: Uint8Array, value: Uint8Array): Promise<void> | undefined {
    // The key's id segment is checked by comparison: an id segment equal to an id's base64url is base64url.
    const ref = parseMsgDataKey(key, false);
    const v = asBuffer(value);
    const m = this.#scan;
    // A value the fast path cannot take, or whose id is not its key's, goes the generic way (which reports it).
    if (m.scan(v) && ref.idSegment !== undefined && m.idMatches(ref.idSegment)) {
      this.#queue(ref.encQueue).messages++;
      this.#messages ??= this.#ctx.newSorter();
      const preserve = this.#ctx.switches.preserveSqsVisibility;
      const record = scannedRecord(m, ref.encQueue, ref.partition, preserve, this.#scratch);
      return this.#messages.add(record.key, record.value);
    }
    return this.#parsedMessage(parseMsgDataKey(key), key, value);
  }

  async #parsedMessage(ref: ParsedQueueRef, key: Uint8Array, value: Uint8Array): Promise<void> {
    const msg = parseLiveMessage(value, key);
    // The encoder keys every message by its id: a message without one (damage) could not come back.
    if (msg.messageId === '') throw new DataError('SQS_INVALID_MESSAGE', 'SQS message row has no message_id', { key });
    // The encoder keys a message by the id in its value: a value whose id is not its key's (damage: the node writes
    // both from one id) would collide with the message that id belongs to, or stand where no message was.
    const keyId = ref.idSegment?.toString('latin1') ?? '';
    if (keyId !== Buffer.from(msg.messageId, 'utf8').toString('base64url')) {
      const named = Buffer.from(decodeBase64UrlRaw(keyId) ?? []).toString('utf8');
      throw new DataError('SQS_INVALID_MESSAGE', `SQS message row: message_id ${JSON.stringify(msg.messageId)} in its value is not the id its key names (${JSON.stringify(named)})`, { key });
    }
    this.#queue(ref.encQueue).messages++;
    this.#messages ??= this.#ctx.newSorter();
    const dumped = dumpedMessage(msg, this.#ctx.switches.preserveSqsVisibility, ref.partition);
    const record = messageRecord(ref.encQueue, dumped);
    await this.#messages.add(record.key, record.value);
  }

  async #sideRecord(prefix: string, key: Uint8Array, value: Uint8Array): Promise<void> {
    const ref = parseSideKey(key, prefix);
    this.#queue(ref.encQueue).sideRecords++;
    this.#side ??= this.#ctx.newSorter();
    const line = goEncodeLine(
      {
        prefix,
        key_hex: Buffer.from(key).toString('hex'),
        value_b64: Buffer.from(value).toString('base64url'),
      },
      { escapeHTML: false, indent: false },
    );
    await this.#side.add(Buffer.concat([Buffer.from(ref.encQueue, 'latin1'), SEP, u64be(this.#sideSeq++)]), Buffer.from(line, 'utf8'));
  }

  #queueDir(st: QueueState): string {
    return `sqs/${encodeSegment(st.rawName as Buffer)}`;
  }

  async finalize(): Promise<void> {
    for (const st of this.#queues.values()) {
      if (st.refused !== undefined) {
        // Its config or generation row was set apart by --salvage: its messages, other queue rows and side records
        // are kept with it in the quarantine rather than dropped as a queue without a config or written without
        // knowing which generation is live.
        this.#damaged.add(st);
        const scope = decodeBase64UrlRaw(st.encoded) as Uint8Array;
        await this.#ctx.damaged({ error: st.refused, rows: { scope }, written: [] });
        continue;
      }
      if (st.config === undefined) {
        this.#ctx.warn('sqs_orphan_messages', {
          encoded_queue: st.encoded,
          buffered_messages: st.messages,
          buffered_side_records: st.sideRecords,
          hint: 'no !sqs|queue|meta record matched this encoded prefix; messages dropped from the dump',
        });
        continue;
      }
      await this.#ctx.tree.mkdir(this.#queueDir(st));
      // The live generation (the counter row, else the config's own) goes into _queue.json so that a purged
      // queue is rebuilt at the generation its messages carry.
      const generation = st.activeGen !== 0n ? st.activeGen : st.config.generation;
      await this.#ctx.tree.writeFile(`${this.#queueDir(st)}/_queue.json`, renderQueueJson({ ...st.config, generation }));
    }
    await this.#writeMessages();
    await this.#writeSideRecords();
  }

  /** Streams the sorted messages into each configured queue's messages.jsonl. */
  async #writeMessages(): Promise<void> {
    if (this.#messages === undefined) return;
    let current: QueueState | undefined;
    /** The current queue's sort key head (its segment and the 0x00 after it), and its live generation's bytes. */
    let head = Buffer.alloc(0);
    let liveGen: Buffer | undefined;
    let lines: LineBlocks | undefined;
    let dropped = 0;
    const closeQueue = async (): Promise<void> => {
      if (lines !== undefined) await lines.close();
      lines = undefined;
      if (current !== undefined && dropped > 0) {
        this.#ctx.warn('sqs_stale_generation_messages_dropped', {
          queue: current.config?.name,
          active_gen: current.activeGen,
          dropped,
          hint: 'messages with mismatched queue_generation suppressed; reaper had not finished cleanup at snapshot time',
        });
      }
      dropped = 0;
    };
    try {
      for await (const batch of this.#messages.sortedBatches()) {
        for (const record of batch) {
          const key = asBuffer(record.key);
          const value = asBuffer(record.value);
          if (current === undefined || !startsWith(key, head)) {
            await closeQueue();
            const encoded = queueOfSortKey(key);
            current = this.#queues.get(encoded);
            head = Buffer.concat([Buffer.from(encoded, 'latin1'), SEP]);
            liveGen = current === undefined || current.activeGen === 0n ? undefined : u64be(current.activeGen);
          }
          if (current?.config === undefined || this.#damaged.has(current)) continue;
          if (liveGen !== undefined && !startsWith(value, liveGen)) {
            dropped++;
            continue;
          }
          if (this.#pastRetention(current.config, key)) {
            this.#ctx.expiredSkipped();
            continue;
          }
          let line: Buffer;
          try {
            line = checkedDumpLine(current.config, key, value);
          } catch (err) {
            if (!(err instanceof DataError)) throw err;
            // A message its queue's meta rules out (no group on a FIFO queue, a partition the queue does not have)
            // is known only once the meta is: the queue is reported whole (its directory holds _queue.json and the
            // messages so far), and with --salvage its other messages and side records are left out too.
            if (lines !== undefined) await lines.close();
            lines = undefined;
            this.#damaged.add(current);
            const written = [this.#queueDir(current)];
            await this.#ctx.damaged({ error: err, rows: { scope: current.rawName as Buffer }, written });
            continue;
          }
          lines ??= new LineBlocks(await this.#ctx.tree.create(`${this.#queueDir(current)}/messages.jsonl`));
          lines.add(line);
        }
      }
      await closeQueue();
    } finally {
      if (lines !== undefined) await lines.close();
    }
  }

  /**
   * With `expired: 'skip'`: the message was sent longer ago than its queue's retention period at the snapshot's
   * time, so the node would not deliver it (adapter/sqs_messages.go handleRetentionExpiry: now - sent > retention).
   */
  #pastRetention(config: QueueConfig, sortKey: Uint8Array): boolean {
    if (this.#ctx.switches.expired !== 'skip' || config.messageRetentionSeconds <= 0n) return false;
    const k = asBuffer(sortKey);
    const at = k.indexOf(0x00) + 1;
    const sent = BigInt.asIntN(64, k.readBigUInt64BE(at) - (1n << 63n));
    return this.#ctx.snapshotTimeMs - sent > config.messageRetentionSeconds * 1000n;
  }

  async #writeSideRecords(): Promise<void> {
    if (this.#side === undefined) return;
    let currentEnc: string | undefined;
    let sink: FileSink | undefined;
    try {
      for await (const { key, value } of this.#side.sorted()) {
        const encoded = queueOfSortKey(key);
        if (encoded !== currentEnc) {
          if (sink !== undefined) await sink.close();
          sink = undefined;
          currentEnc = encoded;
          const st = this.#queues.get(encoded) as QueueState;
          if (this.#damaged.has(st)) continue;
          const dir = st.config !== undefined ? this.#queueDir(st) : `sqs/${encoded}.orphan`;
          sink = await this.#ctx.tree.create(`${dir}/_internals/side_records.jsonl`);
        }
        // A queue set apart by --salvage has no sink: its side records are left out with it.
        await sink?.write(value);
      }
    } finally {
      if (sink !== undefined) await sink.close();
    }
  }
}
