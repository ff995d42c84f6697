// Workload generator for bench/run.ts: writes `.fsm` snapshots of a given size made of the record kinds this
// version decodes, in the exact form the encoder writes (so the encode step reproduces them).
//
//   npm run build && node --import tsx bench/generate.ts --workload NAME --size 1G --output X.fsm
//
// Workloads: small-strings, large-strings, hll-ttl, redis-hashes, redis-zsets, redis-sets, redis-lists (rows written
// directly: keys are fixed-width and generated in ascending order, so they stream straight into the writer).
// Written as a dump tree and encoded by the compiled CLI (so the snapshot holds exactly the rows the encoder
// derives: GSI rows, SQS indexes, S3 chunks, stream metas): mixed (DynamoDB table with a GSI, S3 objects from
// 0 bytes up to 1 GiB, a FIFO queue), s3-2g (one 2 GiB object), redis-streams (streams of 2,000 entries),
// dynamodb (two tables: one with a sort key and a GSI, one with a hash key only and nested map/list items),
// s3-small (objects of 1-16 KiB under nested prefixes), sqs (a standard queue and a FIFO queue), and node-mix:
// the shape of a real node's snapshot (../shared/conformance-live/: every Redis type, small collections, TTLs on
// some keys, next to DynamoDB items, small S3 objects and SQS messages), by bytes 40% Redis, 25% DynamoDB, 20% S3,
// 15% SQS. A tree holds one version per key, so these snapshots carry no tombstones or superseded versions.
//
// The settings (sizes, counts, proportions) are the constants below; a workload is deterministic for a --size.

import { execFileSync } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderItemJson, renderSchemaJson } from '../src/adapters/dynamodb/json.ts';
import type { AttributeValue } from '../src/adapters/dynamodb/proto.ts';
import { renderBucketJson, renderObjectSidecar } from '../src/adapters/s3/records.ts';
import { renderDumpLine, renderQueueJson, type Message } from '../src/adapters/sqs/records.ts';
import { once } from 'node:events';
import { encodeInlineValue, encodeTtlValue, HLL_VERSION, STRING_VERSION } from '../src/adapters/redis/inline-value.ts';
import { encodeMvccKey, encodeMvccValue } from '../src/snapshot/mvcc.ts';
import { SnapshotWriter } from '../src/snapshot/writer.ts';
import { sortableI64be } from '../src/bytes/big-endian.ts';

interface Workload {
  /** Rows for item i, in encoded-key order. */
  rows(i: number): Array<[Buffer, Buffer]>;
}

const T = 115720113487052800n;
const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/elastickv-snapshot.js');
const pad = (i: number): string => String(i).padStart(12, '0');

function body(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    b.writeUInt32LE(x, i); // sizes are multiples of 4
  }
  return b;
}

const WORKLOADS: Readonly<Record<string, Workload>> = {
  // Many small Redis strings, one in eight with a TTL.
  'small-strings': {
    rows: (i) => [[Buffer.from(`!redis|str|user:${pad(i)}`), encodeInlineValue(STRING_VERSION, body(64, i), i % 8 === 0 ? 1798761600000n + BigInt(i) : 0n)]],
  },
  // Large values: 256 KiB strings.
  'large-strings': {
    rows: (i) => [[Buffer.from(`!redis|str|blob:${pad(i)}`), encodeInlineValue(STRING_VERSION, body(256 * 1024, i), 0n)]],
  },
  // HyperLogLogs, each with an inline TTL.
  'hll-ttl': {
    rows: (i) => [[Buffer.from(`!redis|hll|hll:${pad(i)}`), encodeInlineValue(HLL_VERSION, body(1024, i), 1798761600000n)]],
  },
};

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const be64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const lp = (prefix: string, k: string): Buffer => Buffer.concat([Buffer.from(prefix), be32(k.length), Buffer.from(k)]);

/** Rows written straight into a snapshot, in key order. */
type RowSink = (key: Buffer, value: Buffer) => Promise<void>;
interface DirectWorkload {
  /** Writes rows until `done()` says the target size is reached. */
  generate(emit: RowSink, done: () => boolean): Promise<number>;
}

const FIELDS_PER_COLLECTION = 20_000;

const DIRECT: Readonly<Record<string, DirectWorkload>> = {
  // Large hashes: 20,000 fields of 200 bytes each, then the meta rows (`!hs|fld|` < `!hs|meta|`).
  'redis-hashes': {
    async generate(emit, done) {
      const counts: number[] = [];
      for (let h = 0; !done(); h++) {
        let f = 0;
        for (; f < FIELDS_PER_COLLECTION && !done(); f++) await emit(Buffer.concat([lp('!hs|fld|', `hash:${pad(h)}`), Buffer.from(`field:${pad(f)}`)]), body(200, h * FIELDS_PER_COLLECTION + f));
        counts.push(f);
      }
      for (const [h, n] of counts.entries()) await emit(lp('!hs|meta|', `hash:${pad(h)}`), Buffer.concat([be64(BigInt(n)), be64(0n)]));
      return counts.length;
    },
  },
  // Large sorted sets: members with increasing scores, then meta rows and the score index.
  'redis-zsets': {
    async generate(emit, done) {
      const counts: number[] = [];
      const score = (i: number): Buffer => {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(i * 0.5);
        return b;
      };
      const sortable = (i: number): Buffer => {
        const b = score(i);
        b[0] = (b[0] as number) ^ 0x80;
        return b;
      };
      for (let z = 0; !done(); z++) {
        let m = 0;
        for (; m < FIELDS_PER_COLLECTION && !done(); m++) await emit(Buffer.concat([lp('!zs|mem|', `zset:${pad(z)}`), Buffer.from(`member:${pad(m)}`)]), score(m));
        counts.push(m);
      }
      for (const [z, n] of counts.entries()) await emit(lp('!zs|meta|', `zset:${pad(z)}`), be64(BigInt(n)));
      for (const [z, n] of counts.entries()) {
        for (let m = 0; m < n; m++) await emit(Buffer.concat([lp('!zs|scr|', `zset:${pad(z)}`), sortable(m), Buffer.from(`member:${pad(m)}`)]), Buffer.alloc(0));
      }
      return counts.length;
    },
  },
  // Large sets: 20,000 members of 19 bytes each (empty values: the most rows per byte), then the meta rows.
  'redis-sets': {
    async generate(emit, done) {
      const counts: number[] = [];
      for (let t = 0; !done(); t++) {
        let m = 0;
        for (; m < FIELDS_PER_COLLECTION && !done(); m++) await emit(Buffer.concat([lp('!st|mem|', `set:${pad(t)}`), Buffer.from(`member:${pad(m)}`)]), Buffer.alloc(0));
        counts.push(m);
      }
      for (const [t, n] of counts.entries()) await emit(lp('!st|meta|', `set:${pad(t)}`), be64(BigInt(n)));
      return counts.length;
    },
  },
  // Long lists: 20,000 items of 200 bytes each (keys end in the sortable sequence), then the meta rows
  // (head 0, tail n, length n, as the encoder writes them).
  'redis-lists': {
    async generate(emit, done) {
      const counts: number[] = [];
      for (let l = 0; !done(); l++) {
        let i = 0;
        for (; i < FIELDS_PER_COLLECTION && !done(); i++) await emit(Buffer.concat([Buffer.from(`!lst|itm|list:${pad(l)}`), sortableI64be(BigInt(i))]), body(200, l * FIELDS_PER_COLLECTION + i));
        counts.push(i);
      }
      for (const [l, n] of counts.entries()) await emit(Buffer.from(`!lst|meta|list:${pad(l)}`), Buffer.concat([be64(0n), be64(BigInt(n)), be64(BigInt(n))]));
      return counts.length;
    },
  },
};

const QUEUE_DEFAULTS = { formatVersion: 1n, generation: 0n, contentBasedDeduplication: false, visibilityTimeoutSeconds: 30n, messageRetentionSeconds: 345600n, delaySeconds: 0n, receiveMessageWaitSeconds: 0n, maximumMessageSize: 262144n, redrivePolicy: '', redriveAllowPolicy: '', partitionCount: 0, fifoThroughputLimit: '', deduplicationScope: '' };

/** An SQS queue of `count` messages with ~`bodyBytes` bodies (FIFO when the name ends in .fifo). */
function sqsQueue(root: string, name: string, count: number, bodyBytes: number): void {
  const fifo = name.endsWith('.fifo');
  const qdir = join(root, 'sqs', name);
  mkdirSync(qdir, { recursive: true });
  writeFileSync(join(qdir, '_queue.json'), renderQueueJson({ ...QUEUE_DEFAULTS, name, fifo }));
  const fd = openSync(join(qdir, 'messages.jsonl'), 'w');
  const raw = Math.max(3, Math.floor((bodyBytes * 3) / 4 / 4) * 4);
  for (let i = 0; i < count; i++) {
    const m: Message = { messageId: `m-${pad(i)}`, body: Buffer.from(body(raw, i).toString('base64')), md5OfBody: 'x', md5OfMessageAttributes: '', messageAttributes: undefined, senderId: '', sendTimestampMillis: BigInt(1_700_000_000_000 + i), availableAtMillis: BigInt(1_700_000_000_000 + i), visibleAtMillis: 0n, receiveCount: 0n, firstReceiveMillis: 0n, currentReceiptToken: undefined, queueGeneration: 1n, messageGroupId: fifo ? `g${i % 16}` : '', messageDedupId: fifo ? `d-${i}` : '', sequenceNumber: fifo ? BigInt(i + 1) : 0n, deadLetterSourceArn: '', partition: undefined };
    writeSync(fd, renderDumpLine(m));
  }
  closeSync(fd);
}

/** A bucket holding `count` objects of 1-16 KiB, 100 to a prefix, two prefix levels. */
function s3SmallObjects(root: string, name: string, count: number): void {
  const bucket = join(root, 's3', name);
  mkdirSync(bucket, { recursive: true });
  writeFileSync(join(bucket, '_bucket.json'), renderBucketJson(Buffer.from(name), { generation: 1n, owner: '', region: '', acl: '' }));
  for (let i = 0; i < count; i++) {
    const dir = join(bucket, `p${String(Math.floor(i / 10_000)).padStart(3, '0')}`, `q${String(Math.floor(i / 100) % 100).padStart(2, '0')}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    const size = 1024 * (1 + (i % 16));
    const file = join(dir, `obj-${pad(i)}.dat`);
    writeFileSync(file, body(size, i));
    writeFileSync(`${file}.elastickv-meta.json`, renderObjectSidecar({ etag: '', sizeBytes: BigInt(size), lastModified: '', contentType: 'application/octet-stream', contentEncoding: '', cacheControl: '', contentDisposition: '', userMetadata: undefined }));
  }
}

/** A table with a hash and sort key and a GSI, `count` items of ~400 bytes, 100 to a partition. */
function ddbOrders(root: string, table: string, count: number): void {
  const tdir = join(root, 'dynamodb', table);
  mkdirSync(join(tdir, 'items'), { recursive: true });
  writeFileSync(join(tdir, '_schema.json'), renderSchemaJson({ tableName: table, attributeDefinitions: new Map([['pk', 'S'], ['sk', 'N'], ['g', 'S']]), primaryKey: { hashKey: 'pk', rangeKey: 'sk' }, globalSecondaryIndexes: new Map([['by-g', { keySchema: { hashKey: 'g', rangeKey: '' }, projection: { projectionType: 'ALL', nonKeyAttributes: [] } }]]), keyEncodingVersion: 2n, migratingFromGeneration: 0n, generation: 1n }));
  for (let i = 0; i < count; i++) {
    const pk = `user-${pad(Math.floor(i / 100))}`;
    if (i % 100 === 0) mkdirSync(join(tdir, 'items', pk), { recursive: true });
    writeFileSync(join(tdir, 'items', pk, `${i % 100}.json`), renderItemJson(new Map<string, AttributeValue>([['pk', { kind: 'S', value: pk }], ['sk', { kind: 'N', value: String(i % 100) }], ['g', { kind: 'S', value: `g${i % 7}` }], ['payload', { kind: 'S', value: body(300, i).toString('base64') }]])));
  }
}

/** A table with a hash key only, `count` items of ~600 bytes with nested maps, lists, numbers and binary. */
function ddbProfiles(root: string, table: string, count: number): void {
  const tdir = join(root, 'dynamodb', table);
  mkdirSync(join(tdir, 'items'), { recursive: true });
  writeFileSync(join(tdir, '_schema.json'), renderSchemaJson({ tableName: table, attributeDefinitions: new Map([['id', 'S']]), primaryKey: { hashKey: 'id', rangeKey: '' }, globalSecondaryIndexes: new Map(), keyEncodingVersion: 2n, migratingFromGeneration: 0n, generation: 1n }));
  for (let i = 0; i < count; i++) {
    const id = `profile-${pad(i)}`;
    const address = new Map<string, AttributeValue>([['street', { kind: 'S', value: `${i} Main Street` }], ['city', { kind: 'S', value: `city-${i % 500}` }], ['zip', { kind: 'N', value: String(10000 + (i % 90000)) }]]);
    const tags: AttributeValue[] = [0, 1, 2, 3].map((t) => ({ kind: 'S', value: `tag-${(i + t) % 97}` }));
    writeFileSync(join(tdir, 'items', `${id}.json`), renderItemJson(new Map<string, AttributeValue>([['id', { kind: 'S', value: id }], ['name', { kind: 'S', value: `name ${i}` }], ['score', { kind: 'N', value: `${i % 1000}.${i % 7}` }], ['active', { kind: 'BOOL', value: i % 3 !== 0 }], ['address', { kind: 'M', value: address }], ['tags', { kind: 'L', value: tags }], ['avatar', { kind: 'B', value: body(240, i) }], ['bio', { kind: 'S', value: body(120, i + 1).toString('base64') }]])));
  }
}

/** Redis streams of 2,000 entries (3 fields each) until `bytes` of entries are written; returns the streams. */
function redisStreams(db: string, bytes: number, tag: string): number {
  const dir = join(db, 'streams');
  mkdirSync(dir, { recursive: true });
  let written = 0;
  let n = 0;
  for (; written < bytes; n++) {
    const lines: string[] = [];
    const entries = 2000;
    for (let e = 0; e < entries; e++) {
      const ms = 1_700_000_000_000 + n * 10_000 + e;
      lines.push(JSON.stringify({ id: `${ms}-0`, fields: [{ name: 'event', value: `type-${e % 13}` }, { name: 'user', value: `user-${pad(e * 7 + n)}` }, { name: 'data', value: body(48, e + n).toString('base64') }] }));
    }
    const lastMs = 1_700_000_000_000 + n * 10_000 + entries - 1;
    lines.push(JSON.stringify({ _meta: true, length: entries, last_ms: lastMs, last_seq: 0, expire_at_ms: null }));
    const text = lines.join('\n') + '\n';
    writeFileSync(join(dir, `${tag}-${pad(n)}.jsonl`), text);
    written += text.length;
  }
  return n;
}

/**
 * Many small keys of every Redis type, as a node serving an application holds them: strings (one in four with a
 * TTL), hashes of 10 fields, lists of 20 items, sets of 15 members, sorted sets of 15 members, HLLs, and a stream
 * of 2,000 entries per 4 MiB.
 */
function redisSmallKeys(db: string, bytes: number): void {
  for (const d of ['strings', 'hashes', 'lists', 'sets', 'zsets', 'hll']) mkdirSync(join(db, d), { recursive: true });
  const ttls: string[] = [];
  let written = 0;
  const expire = 1_798_761_600_000;
  const file = (rel: string, data: string | Buffer): void => {
    writeFileSync(join(db, rel), data);
    written += data.length;
  };
  for (let i = 0; written < bytes * 0.9; i++) {
    const k = pad(i);
    file(`strings/s-${k}.bin`, body(96, i));
    if (i % 4 === 0) ttls.push(JSON.stringify({ key: `s-${k}`, expire_at_ms: expire + i }));
    if (i % 3 === 0) file(`hashes/h-${k}.json`, JSON.stringify({ format_version: 1, fields: Array.from({ length: 10 }, (_, f) => ({ name: `field-${f}`, value: body(24, i + f).toString('base64') })), expire_at_ms: i % 6 === 0 ? expire : null }));
    if (i % 5 === 0) file(`lists/l-${k}.json`, JSON.stringify({ format_version: 1, items: Array.from({ length: 20 }, (_, x) => `item-${x}-${body(12, i + x).toString('base64')}`), expire_at_ms: null }));
    if (i % 6 === 0) file(`sets/t-${k}.json`, JSON.stringify({ format_version: 1, members: Array.from({ length: 15 }, (_, x) => `member-${String(x).padStart(3, '0')}`), expire_at_ms: null }));
    if (i % 7 === 0) file(`zsets/z-${k}.json`, JSON.stringify({ format_version: 1, members: Array.from({ length: 15 }, (_, x) => ({ member: `player-${String(x).padStart(3, '0')}`, score: x * 10 + (i % 10) })), expire_at_ms: null }));
    if (i % 50 === 0) file(`hll/y-${k}.bin`, body(1024, i));
  }
  writeFileSync(join(db, 'strings_ttl.jsonl'), ttls.map((l) => `${l}\n`).join(''));
  redisStreams(db, bytes * 0.1, 'events');
}

/**
 * Tree workloads: a dump tree is written, then encoded by the compiled CLI (so the snapshot holds exactly the
 * rows the encoder derives: GSI rows, SQS indexes, S3 chunks).
 */
const TREE: Readonly<Record<string, (root: string, target: number) => Promise<void>>> = {
  // DynamoDB with a GSI, S3 objects from 0 bytes to 1 GiB, a FIFO queue.
  async mixed(root, target) {
    ddbOrders(root, 'orders', Math.max(1, Math.floor((target * 0.15) / 400)));
    const bucket = join(root, 's3', 'media');
    mkdirSync(bucket, { recursive: true });
    writeFileSync(join(bucket, '_bucket.json'), renderBucketJson(Buffer.from('media'), { generation: 1n, owner: '', region: '', acl: '' }));
    let s3Bytes = Math.floor(target * 0.7);
    const sizes = [0, 1024, 1 << 20];
    for (let size = 64 << 20; s3Bytes - size > 0 && size <= 1 << 30; size *= 4) sizes.push(size);
    for (const [i, size] of sizes.entries()) {
      const rel = `objects/${String(i).padStart(3, '0')}.bin`;
      mkdirSync(join(bucket, 'objects'), { recursive: true });
      const chunk = body(1 << 20, i);
      const fd = openSync(join(bucket, rel), 'w');
      for (let off = 0; off < size; off += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, size - off));
      closeSync(fd);
      writeFileSync(join(bucket, `${rel}.elastickv-meta.json`), renderObjectSidecar({ etag: '', sizeBytes: BigInt(size), lastModified: '', contentType: 'application/octet-stream', contentEncoding: '', cacheControl: '', contentDisposition: '', userMetadata: undefined }));
      s3Bytes -= size;
    }
    sqsQueue(root, 'jobs.fifo', Math.max(1, Math.floor((target * 0.15) / 300)), 213);
  },
  // Streams of 2,000 entries of three fields.
  async 'redis-streams'(root, target) {
    redisStreams(join(root, 'redis', 'db_0'), target * 0.88, 'stream');
  },
  // DynamoDB only: a table with a sort key and a GSI, and a hash-key table with nested items.
  async dynamodb(root, target) {
    ddbOrders(root, 'orders', Math.max(1, Math.floor((target * 0.5) / 700)));
    ddbProfiles(root, 'profiles', Math.max(1, Math.floor((target * 0.5) / 900)));
  },
  // S3 only: many small objects.
  async 's3-small'(root, target) {
    s3SmallObjects(root, 'assets', Math.max(1, Math.floor(target / (8.5 * 1024 + 250))));
  },
  // SQS only: a standard queue and a FIFO queue.
  async sqs(root, target) {
    sqsQueue(root, 'events', Math.max(1, Math.floor((target * 0.5) / 1060)), 256);
    sqsQueue(root, 'orders.fifo', Math.max(1, Math.floor((target * 0.5) / 1060)), 256);
  },
  // A real node's shape: every Redis type in small keys, DynamoDB, small S3 objects, SQS.
  async 'node-mix'(root, target) {
    redisSmallKeys(join(root, 'redis', 'db_0'), target * 0.4 * 0.65);
    ddbOrders(root, 'orders', Math.max(1, Math.floor((target * 0.125) / 700)));
    ddbProfiles(root, 'profiles', Math.max(1, Math.floor((target * 0.125) / 900)));
    s3SmallObjects(root, 'assets', Math.max(1, Math.floor((target * 0.2) / (8.5 * 1024 + 250))));
    sqsQueue(root, 'events', Math.max(1, Math.floor((target * 0.1) / 1060)), 256);
    sqsQueue(root, 'orders.fifo', Math.max(1, Math.floor((target * 0.05) / 1060)), 256);
  },
  // One 2 GiB S3 object (issue 5: bounded memory for large objects).
  async 's3-2g'(root) {
    const bucket = join(root, 's3', 'big');
    mkdirSync(bucket, { recursive: true });
    writeFileSync(join(bucket, '_bucket.json'), renderBucketJson(Buffer.from('big'), { generation: 1n, owner: '', region: '', acl: '' }));
    const size = 2 * 1024 ** 3;
    const chunk = body(1 << 20, 1);
    const fd = openSync(join(bucket, 'blob.bin'), 'w');
    for (let off = 0; off < size; off += chunk.length) writeSync(fd, chunk);
    closeSync(fd);
    writeFileSync(join(bucket, 'blob.bin.elastickv-meta.json'), renderObjectSidecar({ etag: '', sizeBytes: BigInt(size), lastModified: '', contentType: '', contentEncoding: '', cacheControl: '', contentDisposition: '', userMetadata: undefined }));
  },
};

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (m === null) throw new Error(`bad size ${s}`);
  const unit = (m[2] ?? '').toUpperCase();
  const scale = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1;
  return Number(m[1]) * scale;
}

async function writeSnapshot(
  output: string,
  fill: (emit: RowSink, done: () => boolean) => Promise<number>,
  target: number,
  name: string,
): Promise<void> {
  const out = createWriteStream(output);
  const writer = new SnapshotWriter({
    write: async (chunk) => {
      if (!out.write(chunk)) await once(out, 'drain');
    },
  });
  await writer.writeHeader(T);
  const items = await fill(
    async (k, v) => writer.writeEntry(encodeMvccKey(k, T), encodeMvccValue(v)),
    () => writer.bytesWritten >= target,
  );
  await writer.flush();
  out.end();
  await once(out, 'finish');
  console.error(`${name}: ${items} items, ${writer.entries} entries, ${writer.bytesWritten} bytes`);
}

async function main(): Promise<void> {
  const names = [...Object.keys(WORKLOADS), ...Object.keys(DIRECT), ...Object.keys(TREE)];
  const { values } = parseArgs({
    options: { workload: { type: 'string' }, size: { type: 'string' }, output: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true || values.workload === undefined || values.output === undefined) {
    const usage = `usage: node --import tsx bench/generate.ts --workload NAME --output X.fsm [--size 64M]\nworkloads: ${names.join(', ')}\n`;
    process.stderr.write(usage);
    process.exitCode = values.help === true ? 0 : 1;
    return;
  }
  const name = values.workload;
  const target = parseSize(values.size ?? '64M');
  const output = values.output;
  const simple = WORKLOADS[name];
  if (simple !== undefined) {
    const ttlRows: Array<[Buffer, Buffer]> = [];
    await writeSnapshot(output, async (emit, done) => {
      let i = 0;
      for (; !done(); i++) {
        for (const [k, v] of simple.rows(i)) {
          await emit(k, v);
          if (name === 'hll-ttl') ttlRows.push([Buffer.from(`!redis|ttl|${k.subarray('!redis|hll|'.length).toString()}`), encodeTtlValue(1798761600000n)]);
        }
      }
      // `!redis|ttl|` sorts after `!redis|hll|`: the scan-index rows come last, in the same key order.
      for (const [k, v] of ttlRows) await emit(k, v);
      return i;
    }, target, name);
    return;
  }
  const direct = DIRECT[name];
  if (direct !== undefined) {
    await writeSnapshot(output, (emit, done) => direct.generate(emit, done), target, name);
    return;
  }
  const tree = TREE[name];
  if (tree === undefined) throw new Error(`unknown workload ${name}; one of ${names.join(', ')}`);
  const scratch = mkdtempSync(join(dirname(output), '.bench-tree-'));
  try {
    const root = join(scratch, 'tree');
    // An empty snapshot decodes to the MANIFEST.json every tree needs.
    await writeSnapshot(join(scratch, 'empty.fsm'), async () => 0, 0, 'empty');
    execFileSync(process.execPath, [CLI, 'decode', '--quiet', '--input', join(scratch, 'empty.fsm'), '--output', root]);
    await tree(root, target);
    execFileSync(process.execPath, [CLI, 'encode', '--quiet', '--input', root, '--output', output], { stdio: 'inherit' });
    rmSync(`${output}.encode_info.json`, { force: true });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.error(`${name}: written through the encoder to ${output}`);
}

await main();
