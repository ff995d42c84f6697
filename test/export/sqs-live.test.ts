// export sqs --to against a real SQS-compatible server (moto's server mode, started by .ci/run): a missing queue
// exits 1 without --create-queues; a queue attribute the target refuses exits 2 naming the queue; with
// --create-queues the queues are created with their attributes, and every message of the tree reads back with its
// body, attributes, group and deduplication ids (FIFO: in order per group, later duplicates of a deduplication id
// dropped by the target as SQS does); a body that is not UTF-8 is counted as unrepresentable; a re-run sends no FIFO
// message twice; --dry-run sends nothing; an unreachable endpoint exits 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeleteMessageCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, ReceiveMessageCommand, SQSClient, type Message as SqsMessage } from '@aws-sdk/client-sqs';
import { queueDirs, queueMessages, readQueueConfig } from '../../src/adapters/sqs/encode.ts';
import type { Message, QueueConfig } from '../../src/adapters/sqs/records.ts';
import { isValidUtf8 } from '../../src/json/go-json.ts';
import { TreeReader } from '../../src/tree/reader.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { sqsServer, TEST_SECRET, type AwsServer } from '../helpers/aws-servers.ts';

const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot.js');
const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(s: AwsServer, args: string[], endpoint = s.endpoint): Run {
  return spawnSync(process.execPath, [BIN, 'export', 'sqs', '--to', endpoint, '--quiet', ...args], { env: s.env(), encoding: 'utf8' });
}

interface Queue {
  readonly config: QueueConfig;
  readonly messages: Message[];
}

async function treeQueues(dir: string): Promise<Queue[]> {
  const tree = new TreeReader(dir);
  const out: Queue[] = [];
  for (const q of await queueDirs(tree)) {
    const messages: Message[] = [];
    for await (const { msg } of queueMessages(tree, `${q}/messages.jsonl`)) messages.push(msg);
    out.push({ config: await readQueueConfig(tree, q), messages });
  }
  return out;
}

/**
 * What the target keeps of a queue's messages: text bodies, and for FIFO the first of each deduplication id.
 * moto 5.2.5 deduplicates queue-wide even when the queue's DeduplicationScope is messageGroup (SQS then
 * deduplicates per group), so the key here is the id alone.
 */
function expected(q: Queue): Message[] {
  const seen = new Set<string>();
  return q.messages.filter((m) => {
    if (!isValidUtf8(m.body)) return false;
    if (!q.config.fifo) return true;
    const id = m.messageDedupId !== '' ? m.messageDedupId : q.config.contentBasedDeduplication ? createHash('sha256').update(m.body).digest('hex') : m.messageId;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

async function receiveAll(client: SQSClient, url: string, want: number): Promise<SqsMessage[]> {
  const got: SqsMessage[] = [];
  const deadline = Date.now() + 20_000;
  while (got.length < want && Date.now() < deadline) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
    for (const m of r.Messages ?? []) {
      got.push(m);
      await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

test('export sqs --to: queues created with their attributes, every message read back with body, attributes, group and dedup ids', async (t) => {
  const s = sqsServer(t);
  if (s === undefined) return;
  const dir = join(await tempDir('ekv-export-sqs-'), 'tree');
  const d = spawnSync(process.execPath, [BIN, 'decode', '--input', sample, '--output', dir, '--adapter', 'sqs', '--quiet'], { encoding: 'utf8' });
  assert.equal(d.status, 0, d.stderr);
  const queues = await treeQueues(dir);
  const client = new SQSClient(s.config());
  // A server used before (a local re-run) may hold the queues: start from none.
  for (const q of queues) {
    const url = await client
      .send(new GetQueueUrlCommand({ QueueName: q.config.name }))
      .then((r) => r.QueueUrl, () => undefined);
    if (url !== undefined) await client.send(new DeleteQueueCommand({ QueueUrl: url }));
  }
  const present = async (): Promise<string[]> => ((await client.send(new ListQueuesCommand({}))).QueueUrls ?? []).filter((u) => queues.some((q) => u.endsWith(`/${q.config.name}`)));
  assert.deepEqual(await present(), []);
  const sendable = queues.reduce((n, q) => n + q.messages.filter((m) => isValidUtf8(m.body)).length, 0);
  const binary = queues.reduce((n, q) => n + q.messages.filter((m) => !isValidUtf8(m.body)).length, 0);
  assert.ok(sendable >= 5 && binary >= 1);

  const missing = run(s, ['--input', dir]);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /EXPORT_TARGET_MISSING.*--create-queues/);
  const dry = run(s, ['--input', dir, '--create-queues', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stderr, new RegExp(`dry run: would export to sqs ${s.endpoint}: records=${sendable} .*unrepresentable=${binary}`));
  assert.deepEqual(await present(), []);

  // The sample's `orders` has a redrive policy without a dead-letter target: elastickv keeps it, SQS refuses it.
  const refused = run(s, ['--input', dir, '--create-queues']);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /EXPORT_TARGET_REFUSED\]: sqs\/orders\/_queue\.json: .* refused the creation of queue "orders": InvalidParameterValue/);
  assert.match(refused.stderr, /failures=1/);
  const queueJson = join(dir, 'sqs/orders/_queue.json');
  await fsp.writeFile(queueJson, (await fsp.readFile(queueJson, 'utf8')).replace(/,\s*"redrive_policy": "[^\n]*"/, ''));
  // The queues the refused run filled get every FIFO message again: the target's deduplication keeps one copy.
  const r = run(s, ['--input', dir, '--create-queues', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { records: number; failures: number; unrepresentable: number };
  assert.equal(report.records, sendable);
  assert.equal(report.unrepresentable, binary);
  assert.equal(report.failures, 0);

  for (const q of queues) {
    const url = (await client.send(new GetQueueUrlCommand({ QueueName: q.config.name }))).QueueUrl ?? '';
    const attrs = (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    assert.equal(attrs['VisibilityTimeout'], String(q.config.visibilityTimeoutSeconds), q.config.name);
    assert.equal(attrs['MessageRetentionPeriod'], String(q.config.messageRetentionSeconds), q.config.name);
    assert.equal(attrs['MaximumMessageSize'], String(q.config.maximumMessageSize), q.config.name);
    assert.equal(attrs['FifoQueue'] ?? 'false', String(q.config.fifo), q.config.name);
    const want = expected(q);
    const got = await receiveAll(client, url, want.length);
    assert.equal(got.length, want.length, `messages of ${q.config.name}`);
    const key = (body: string, group: string): string => `${group}\u0000${body}`;
    assert.deepEqual(got.map((m) => key(m.Body ?? '', m.Attributes?.MessageGroupId ?? '')).sort(), want.map((m) => key(m.body.toString('utf8'), m.messageGroupId)).sort(), q.config.name);
    for (const m of want) {
      const g = got.find((x) => x.Body === m.body.toString('utf8'));
      assert.ok(g !== undefined);
      if (q.config.fifo && m.messageDedupId !== '') assert.equal(g.Attributes?.MessageDeduplicationId, m.messageDedupId);
      const stored = [...(m.messageAttributes ?? new Map<string, string>())];
      const attrsWant = Object.fromEntries(stored.map(([k, v]) => [k, JSON.parse(v) as unknown]));
      const received = Object.entries(g.MessageAttributes ?? {});
      const attrsGot = Object.fromEntries(
        received.map(([k, v]) => [k, { DataType: v.DataType, StringValue: v.StringValue }]),
      );
      assert.deepEqual(attrsGot, attrsWant, `attributes of ${m.messageId}`);
    }
    if (q.config.fifo) {
      // Per group, the order of the tree.
      for (const group of new Set(want.map((m) => m.messageGroupId))) {
        assert.deepEqual(
          got.filter((m) => m.Attributes?.MessageGroupId === group).map((m) => m.Body),
          want.filter((m) => m.messageGroupId === group).map((m) => m.body.toString('utf8')),
          `order of group ${group} of ${q.config.name}`,
        );
      }
    }
  }

  const down = run(s, ['--input', dir], 'http://127.0.0.1:9');
  assert.equal(down.status, 1, down.stderr);
  assert.match(down.stderr, /EXPORT_TARGET_UNREACHABLE/);
  assert.doesNotMatch(down.stderr + r.stderr + missing.stderr, new RegExp(TEST_SECRET));
});
