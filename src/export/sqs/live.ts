// Export of a tree's SQS messages into a live SQS endpoint through the AWS SDK v3: per queue, every message of
// `messages.jsonl` (the live generation, in send order) with its body and message attributes, in batches of ten
// sent one after another so the order holds; FIFO queues with each message's group id and deduplication id (the
// message id when it had none and the queue has no content-based deduplication), so a re-run within the target's
// five-minute deduplication window sends nothing twice. Standard queues have no such window: a re-run sends
// the messages again. With `createQueues`, missing queues are created with the attributes of `_queue.json`.
//
// Not carried over: receive counts, visibility and receipt state, send timestamps and message ids (the target
// assigns its own). Bodies that are not valid UTF-8 cannot be sent (SQS bodies are
// text) and are counted as unrepresentable.

import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type QueueAttributeName,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { queueDirs, queueMessages, readQueueConfig } from '../../adapters/sqs/encode.ts';
import type { Message, QueueConfig } from '../../adapters/sqs/records.ts';
import { DataError, UserError } from '../../errors.ts';
import type { RecordFilter } from '../../filter/record-filter.ts';
import { isValidUtf8 } from '../../json/go-json.ts';
import type { TreeReader } from '../../tree/reader.ts';
import { exportFailure } from '../aws.ts';
import type { ExportReport } from '../report.ts';

const BATCH = 10;
/** SQS's limit on one batch's payload. */
const BATCH_BYTES = 256 * 1024;

export interface SqsLiveOptions {
  readonly tree: TreeReader;
  /** Undefined for a dry run. */
  readonly client: SQSClient | undefined;
  /** The endpoint as shown in messages (no credentials). */
  readonly where: string;
  readonly createQueues: boolean;
  readonly report: ExportReport;
  readonly filter?: RecordFilter;
  readonly onProgress?: (report: ExportReport) => void;
}

/**
 * CreateQueue's attributes for a queue's configuration. A partitioned FIFO queue also gets elastickv's
 * `PartitionCount` (elastickv requires it with FifoThroughputLimit=perMessageGroupId; AWS SQS does not know it
 * and refuses it: create such a queue by hand there and export without --create-queues).
 */
function queueAttributes(c: QueueConfig): Partial<Record<QueueAttributeName | 'PartitionCount', string>> {
  const a: Partial<Record<QueueAttributeName | 'PartitionCount', string>> = {
    VisibilityTimeout: String(c.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(c.messageRetentionSeconds),
    DelaySeconds: String(c.delaySeconds),
    ReceiveMessageWaitTimeSeconds: String(c.receiveMessageWaitSeconds),
    MaximumMessageSize: String(c.maximumMessageSize),
  };
  if (c.redrivePolicy !== '') a.RedrivePolicy = c.redrivePolicy;
  if (c.redriveAllowPolicy !== '') a.RedriveAllowPolicy = c.redriveAllowPolicy;
  if (c.fifo) {
    a.FifoQueue = 'true';
    if (c.contentBasedDeduplication) a.ContentBasedDeduplication = 'true';
    if (c.deduplicationScope !== '') a.DeduplicationScope = c.deduplicationScope;
    if (c.fifoThroughputLimit !== '') a.FifoThroughputLimit = c.fifoThroughputLimit;
    if (c.partitionCount > 1) a.PartitionCount = String(c.partitionCount);
  }
  return a;
}

/** A message attribute as stored (`{"DataType":…,"StringValue":…}` or `"BinaryValue"` in base64). */
function attribute(raw: string): MessageAttributeValue {
  const v = JSON.parse(raw) as { DataType?: unknown; StringValue?: unknown; BinaryValue?: unknown };
  const out: MessageAttributeValue = { DataType: typeof v.DataType === 'string' ? v.DataType : 'String' };
  if (typeof v.StringValue === 'string') out.StringValue = v.StringValue;
  if (typeof v.BinaryValue === 'string') out.BinaryValue = Buffer.from(v.BinaryValue, 'base64');
  return out;
}

interface Pending {
  readonly msg: Message;
  readonly line: number;
  readonly entry: SendMessageBatchRequestEntry;
  readonly bytes: number;
}

async function queueUrl(client: SQSClient, o: SqsLiveOptions, c: QueueConfig, dir: string): Promise<string> {
  const what = `queue ${JSON.stringify(c.name)}`;
  try {
    const got = await client.send(new GetQueueUrlCommand({ QueueName: c.name }));
    if (got.QueueUrl !== undefined) return got.QueueUrl;
  } catch (err) {
    const e = exportFailure(err, what, o.where);
    if (!(e instanceof UserError && e.code === 'EXPORT_TARGET_MISSING') && !/NonExistentQueue|QueueDoesNotExist/.test((err as { name?: string }).name ?? '')) throw e;
  }
  if (!o.createQueues) throw new UserError('EXPORT_TARGET_MISSING', `${o.where}: ${what} does not exist (create it, or pass --create-queues)`);
  try {
    const made = await client.send(new CreateQueueCommand({ QueueName: c.name, Attributes: queueAttributes(c) }));
    if (made.QueueUrl === undefined) throw new DataError('EXPORT_TARGET_REFUSED', `${o.where} created ${what} but returned no URL`, { path: `${dir}/_queue.json` });
    return made.QueueUrl;
  } catch (err) {
    throw exportFailure(err, `the creation of ${what}`, o.where, `${dir}/_queue.json`);
  }
}

async function sendBatch(
  client: SQSClient,
  o: SqsLiveOptions,
  url: string,
  c: QueueConfig,
  rel: string,
  batch: readonly Pending[],
): Promise<void> {
  const name = (p: Pending): string => `message ${JSON.stringify(p.msg.messageId)} (line ${p.line}) of queue ${JSON.stringify(c.name)}`;
  let out;
  try {
    out = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: batch.map((p) => p.entry) }));
  } catch (err) {
    throw exportFailure(err, `a batch of ${batch.length} messages from line ${batch[0]?.line ?? 0} of queue ${JSON.stringify(c.name)}`, o.where, rel);
  }
  const failed = out.Failed ?? [];
  if (failed.length > 0) {
    const f = failed[0];
    const p = batch.find((b) => b.entry.Id === f?.Id) ?? batch[0];
    o.report.failures += failed.length;
    throw new DataError('EXPORT_TARGET_REFUSED', `${o.where} refused ${p === undefined ? 'a message' : name(p)}: ${f?.Code ?? ''}${f?.Message !== undefined ? `: ${f.Message}` : ''}`, p === undefined ? { path: rel } : { path: rel, line: p.line });
  }
}

export async function exportSqsLive(o: SqsLiveOptions): Promise<void> {
  const { report, filter, client } = o;
  try {
    for (const dir of await queueDirs(o.tree)) {
      const c = await readQueueConfig(o.tree, dir);
      if (filter !== undefined && !filter.accepts('sqs', { scope: Buffer.from(c.name, 'utf8') })) continue;
      const url = client === undefined ? '' : await queueUrl(client, o, c, dir);
      const rel = `${dir}/messages.jsonl`;
      if ((await o.tree.kind(rel)) === undefined) continue;
      let batch: Pending[] = [];
      let batchBytes = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        if (client !== undefined) await sendBatch(client, o, url, c, rel, batch);
        report.records += batch.length;
        report.bytes += batchBytes;
        o.onProgress?.(report);
        batch = [];
        batchBytes = 0;
      };
      for await (const { msg, line } of queueMessages(o.tree, rel)) {
        // A tree of the reference decoder may still hold messages of a purged generation.
        if (c.generation > 0n && msg.queueGeneration !== 0n && msg.queueGeneration !== c.generation) {
          report.filtered++;
          continue;
        }
        if (!isValidUtf8(msg.body)) {
          report.unrepresentable++;
          continue;
        }
        const entry: SendMessageBatchRequestEntry = { Id: String(batch.length), MessageBody: msg.body.toString('utf8') };
        let bytes = msg.body.length;
        if (msg.messageAttributes !== undefined && msg.messageAttributes.size > 0) {
          const attrs: Record<string, MessageAttributeValue> = {};
          for (const [k, raw] of msg.messageAttributes) {
            let a: MessageAttributeValue;
            try {
              a = attribute(raw);
            } catch (err) {
              throw new DataError('SQS_INVALID_MESSAGE', `message ${JSON.stringify(msg.messageId)}: attribute ${JSON.stringify(k)} is not a message attribute value: ${(err as Error).message}`, { path: rel, line });
            }
            Object.defineProperty(attrs, k, { value: a, enumerable: true, writable: true, configurable: true });
            bytes += Buffer.byteLength(k) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? '') + (a.BinaryValue?.length ?? 0);
          }
          entry.MessageAttributes = attrs;
        }
        if (c.fifo) {
          entry.MessageGroupId = msg.messageGroupId;
          if (msg.messageDedupId !== '') entry.MessageDeduplicationId = msg.messageDedupId;
          else if (!c.contentBasedDeduplication) entry.MessageDeduplicationId = msg.messageId;
        }
        if (batch.length === BATCH || (batch.length > 0 && batchBytes + bytes > BATCH_BYTES)) await flush();
        entry.Id = String(batch.length);
        batch.push({ msg, line, entry, bytes });
        batchBytes += bytes;
      }
      await flush();
    }
  } catch (err) {
    if (err instanceof DataError && err.code === 'EXPORT_TARGET_REFUSED' && report.failures === 0) report.failures++;
    throw err;
  }
}
