// export dynamodb --to against a real DynamoDB-compatible server (dynalite, started by .ci/run): a missing table
// exits 1 without --create-tables; with it every table is created with its key schema and GSIs, every item of the
// tree reads back equal, and a re-run converges; --dry-run writes nothing; an item the server refuses (the sample's
// item with a duplicated number set member, which elastickv keeps and DynamoDB refuses) exits 2 naming its file;
// an unreachable endpoint exits 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ScanCommand, waitUntilTableNotExists, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { readDynamoTables } from '../../src/adapters/dynamodb/records.ts';
import { toSdkValue } from '../../src/export/dynamodb/live.ts';
import { TreeReader } from '../../src/tree/reader.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { dynamoServer, TEST_SECRET, type AwsServer } from '../helpers/aws-servers.ts';

const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot.js');
const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;

async function decoded(): Promise<string> {
  const dir = join(await tempDir('ekv-export-ddb-'), 'tree');
  const d = spawnSync(process.execPath, [BIN, 'decode', '--input', sample, '--output', dir, '--adapter', 'dynamodb', '--quiet'], { encoding: 'utf8' });
  assert.equal(d.status, 0, d.stderr);
  return dir;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(s: AwsServer, args: string[], endpoint = s.endpoint): Run {
  return spawnSync(process.execPath, [BIN, 'export', 'dynamodb', '--to', endpoint, '--quiet', ...args], { env: s.env(), encoding: 'utf8' });
}

/**
 * Items as comparable text: attribute names sorted at every level, binary as base64, numbers in one form and sets
 * sorted (DynamoDB answers numbers normalized, `1e2` as `100`, and sets in its own order).
 */
function canon(item: Record<string, AttributeValue>): string {
  const norm = (v: unknown, type?: string): unknown => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (type === 'N') return String(Number(v));
    if (Array.isArray(v)) {
      const out = v.map((x) => norm(x, type === 'NS' ? 'N' : undefined));
      return type === 'NS' || type === 'SS' || type === 'BS' ? out.sort() : out;
    }
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, norm(x, k)]));
    return v;
  };
  return JSON.stringify(norm(item));
}

/** The sample's item that DynamoDB refuses (a number set with duplicates, an empty string set, NULL false). */
const REFUSED = 'dynamodb/sessions/items/a%3Cb%3E%3Ac.json';
const EXCLUDE_REFUSED = ['--exclude', 'dynamodb:table=sessions,key=a*'];

async function treeItems(dir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const t of readDynamoTables(new TreeReader(dir), { layout: 'per-item' })) {
    const items: string[] = [];
    for await (const it of t.items()) {
      if (it.path === REFUSED) continue;
      items.push(canon(Object.fromEntries([...it.item].map(([k, v]) => [k, toSdkValue(v) ?? { NULL: true }]))));
    }
    out.set(t.schema.tableName, items.sort());
  }
  return out;
}

test('export dynamodb --to: tables created with key schema and GSIs, every item reads back equal, a re-run converges', async (t) => {
  const s = dynamoServer(t);
  if (s === undefined) return;
  const dir = await decoded();
  const want = await treeItems(dir);
  const total = [...want.values()].reduce((n, l) => n + l.length, 0);
  assert.ok(want.size >= 3 && total >= 5);
  const client = new DynamoDBClient(s.config());
  // A server used before (a local re-run) may hold the tables: start from none.
  for (const table of want.keys()) {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    await waitUntilTableNotExists({ client, maxWaitTime: 30 }, { TableName: table });
  }
  const present = async (): Promise<string[]> =>
    ((await client.send(new ListTablesCommand({}))).TableNames ?? []).filter((n) => want.has(n));
  assert.deepEqual(await present(), []);

  const missing = run(s, ['--input', dir, ...EXCLUDE_REFUSED]);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /EXPORT_TARGET_MISSING.*--create-tables/);
  const dry = run(s, ['--input', dir, ...EXCLUDE_REFUSED, '--create-tables', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stderr, new RegExp(`dry run: would export to dynamodb ${s.endpoint}: records=${total} `));
  assert.deepEqual(await present(), []);

  for (const round of [1, 2]) {
    const r = run(s, ['--input', dir, ...EXCLUDE_REFUSED, '--create-tables', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { records: number; failures: number; filtered: number };
    assert.equal(report.records, total, `round ${round}`);
    assert.equal(report.failures, 0);
    assert.equal(report.filtered, 1);
  }
  for (const [table, items] of want) {
    const got: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const it of page.Items ?? []) got.push(canon(it));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    assert.deepEqual(got.sort(), items, `items of ${table}`);
  }
  const events = await client.send(new DescribeTableCommand({ TableName: 'events' }));
  assert.deepEqual(events.Table?.KeySchema, [{ AttributeName: 'dev', KeyType: 'HASH' }, { AttributeName: 'ts', KeyType: 'RANGE' }]);
  const gsis = events.Table.GlobalSecondaryIndexes?.map((g) => [
    g.IndexName,
    g.KeySchema?.map((k) => k.AttributeName),
    g.Projection?.ProjectionType,
    g.Projection?.NonKeyAttributes,
  ]);
  assert.ok(gsis !== undefined);
  assert.deepEqual(gsis.sort(), [
    ['by-kind', ['kind', 'at'], 'INCLUDE', ['v', 'dev']],
    ['by-kind-all', ['kind'], 'KEYS_ONLY', undefined],
  ]);
});

test('export dynamodb --to: an item the server refuses exits 2 naming its file; an unreachable endpoint exits 1', async (t) => {
  const s = dynamoServer(t);
  if (s === undefined) return;
  const dir = await decoded();
  const r = run(s, ['--input', dir, '--include', 'dynamodb:table=sessions', '--create-tables']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /EXPORT_TARGET_REFUSED.*refused item dynamodb\/sessions\/items\/a%3Cb%3E%3Ac\.json of table "sessions": ValidationException/);
  assert.match(r.stderr, /failures=1/);
  const down = run(s, ['--input', dir, '--create-tables'], 'http://127.0.0.1:9');
  assert.equal(down.status, 1, down.stderr);
  assert.match(down.stderr, /EXPORT_TARGET_UNREACHABLE/);
  assert.doesNotMatch(down.stderr + r.stderr, new RegExp(TEST_SECRET));
});
