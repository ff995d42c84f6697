// export redis against a real redis-server: after the export, every key of the tree reads back with the same
// type, value and TTL; a re-run converges (DEL first); the RESP stream through redis-cli --pipe gives the same
// database; a refused command exits 2 naming the record; --dry-run writes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { StreamLine } from '../../src/adapters/redis/collections-encode.ts';
import { readRedisRecords, type RedisRecord } from '../../src/adapters/redis/records.ts';
import { ExternalSorter } from '../../src/sort/external-sort.ts';
import { TreeReader } from '../../src/tree/reader.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { HAVE_REDIS_SERVER, startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;
const skip = !HAVE_REDIS_SERVER && process.env['CI'] === undefined ? 'redis-server is not installed (.ci/run installs it)' : false;

let server: RedisServer | undefined;
let tree = '';

before(async () => {
  if (skip !== false) return;
  server = await startRedisServer();
  // The sample's TTLs lie in the past; move them a century ahead so the keys outlive the test.
  const dir = await tempDir('ekv-export-redis-');
  tree = join(dir, 'tree');
  const d = await runCli('elastickv-snapshot', ['decode', '--input', sample, '--output', tree, '--adapter', 'redis', '--quiet']);
  assert.equal(d.code, 0, d.stderr);
  const db = join(tree, 'redis/db_0');
  for (const sub of ['hashes', 'lists', 'sets', 'zsets', 'streams', '.']) {
    for (const name of await fsp.readdir(join(db, sub))) {
      const p = join(db, sub, name);
      if (!(await fsp.stat(p)).isFile() || !/\.jsonl?$/.test(name)) continue;
      const text = await fsp.readFile(p, 'utf8');
      await fsp.writeFile(p, text.replace(/("expire_at_ms": ?)(\d+)/g, (_, f: string, n: string) => f + (BigInt(n) > 0n && BigInt(n) < 4_000_000_000_000n ? BigInt(n) + 4_000_000_000_000n : BigInt(n)).toString()));
    }
  }
});

after(async () => {
  await server?.stop();
});

async function records(): Promise<RedisRecord[]> {
  const scratch = await tempDir('ekv-export-sort-');
  let n = 0;
  const out: RedisRecord[] = [];
  for await (const r of readRedisRecords({
    tree: new TreeReader(tree),
    newSorter: () => new ExternalSorter({ scratchDir: join(scratch, String(n++)), memoryBudget: 1 << 20 }),
  })) {
    if (r.type !== 'stream') {
      out.push(r);
      continue;
    }
    const lines: StreamLine[] = [];
    for await (const l of r.lines()) lines.push(l);
    out.push({
      ...r,
      lines: async function* () {
        yield* lines;
      },
    });
  }
  return out;
}

const hex = (b: Buffer): string => b.toString('hex');
const bufs = (v: unknown): Buffer[] => v as Buffer[];

/** Asserts that database `db` of the server holds exactly the tree's keys. */
async function assertMatchesTree(db: number): Promise<void> {
  const c = new Redis(`${server!.url}/${db}`, { stringNumbers: true });
  try {
    const recs = await records();
    const present = recs.filter((r) => !(('fields' in r && r.fields.length === 0) || ('members' in r && r.members.length === 0) || ('items' in r && r.items.length === 0)));
    // stringNumbers: ioredis answers integer replies as strings too, whatever its types say.
    assert.equal(String(await c.dbsize()), String(present.length));
    assert.ok(present.length > 10);
    for (const r of recs) {
      const k = r.key;
      const type = await c.type(k);
      if (!present.includes(r)) {
        assert.equal(type, 'none', `empty ${r.type} ${r.path} must not exist`);
        continue;
      }
      const what = `${r.type} ${r.path}`;
      let ttl: bigint;
      switch (r.type) {
        case 'string':
        case 'hll':
          assert.equal(type, 'string', what);
          assert.deepEqual(await c.getBuffer(k), r.value, what);
          ttl = r.expireAtMs;
          break;
        case 'hash': {
          assert.equal(type, 'hash', what);
          const flat = bufs(await c.callBuffer('HGETALL', k));
          const got = new Map<string, string>();
          for (let i = 0; i < flat.length; i += 2) got.set(hex(flat[i]!), hex(flat[i + 1]!));
          assert.deepEqual(got, new Map(r.fields.map(([f, v]) => [hex(f), hex(v)])), what);
          ttl = r.expireAtMs;
          break;
        }
        case 'list':
          assert.equal(type, 'list', what);
          assert.deepEqual(bufs(await c.callBuffer('LRANGE', k, '0', '-1')), [...r.items], what);
          ttl = r.expireAtMs;
          break;
        case 'set':
          assert.equal(type, 'set', what);
          assert.deepEqual(bufs(await c.callBuffer('SMEMBERS', k)).map(hex).sort(), r.members.map(hex).sort(), what);
          ttl = r.expireAtMs;
          break;
        case 'zset': {
          assert.equal(type, 'zset', what);
          const flat = bufs(await c.callBuffer('ZRANGE', k, '0', '-1', 'WITHSCORES'));
          const got = new Map<string, number>();
          for (let i = 0; i < flat.length; i += 2) got.set(hex(flat[i]!), Number(flat[i + 1]!.toString().replace(/^([+-]?)inf$/, '$1Infinity')) || 0);
          // Redis replies 0 for a score of -0 (it compares equal), so the sign of zero is not checked.
          assert.deepEqual(got, new Map(r.members.map(([m, s]) => [hex(m), s === 0 ? 0 : s])), what);
          ttl = r.expireAtMs;
          break;
        }
        case 'stream': {
          assert.equal(type, 'stream', what);
          const want: Array<[string, string[]]> = [];
          let meta: { lastMs: bigint; lastSeq: bigint; expireAtMs: bigint } | undefined;
          for await (const l of r.lines()) {
            if (l.kind === 'entry') want.push([l.id, l.fields.map(hex)]);
            else meta = l;
          }
          const got = (await c.callBuffer('XRANGE', k, '-', '+')) as Array<[Buffer, Buffer[]]>;
          assert.deepEqual(got.map(([id, f]) => [id.toString(), f.map(hex)]), want, what);
          const info = (await c.call('XINFO', 'STREAM', k)) as unknown[];
          assert.equal(info[info.indexOf('last-generated-id') + 1], `${meta!.lastMs}-${meta!.lastSeq}`, what);
          ttl = meta!.expireAtMs;
          break;
        }
      }
      assert.equal(String(await c.pexpiretime(k)), ttl === 0n ? '-1' : ttl.toString(), `TTL of ${what}`);
    }
  } finally {
    c.disconnect();
  }
}

test('export redis --to: every key, type, value and TTL reads back equal to the tree; a re-run converges', { skip }, async () => {
  const c = new Redis(`${server!.url}/2`);
  // Stale state the export must replace: a key of another type and an extra list element.
  await c.hset('a', 'stale', 'x');
  await c.rpush('q', 'stale');
  c.disconnect();
  const r = await runCli('elastickv-snapshot', ['export', 'redis', '--input', tree, '--to', `${server!.url}/2`, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /exported to redis redis:\/\/127\.0\.0\.1:\d+\/2: records=\d+ bytes=\d+ failures=0 unrepresentable=1/);
  await assertMatchesTree(2);
  const again = await runCli('elastickv-snapshot', ['export', 'redis', '--input', tree, '--to', `${server!.url}/2`, '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  await assertMatchesTree(2);
});

test('export redis --format resp: the stream through redis-cli --pipe gives the same database', { skip }, async () => {
  const out = join(await tempDir('ekv-export-resp-'), 'cmds.resp');
  const r = await runCli('elastickv-snapshot', ['export', 'redis', '--input', tree, '--format', 'resp', '--output', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const pipe = spawnSync('redis-cli', ['-p', String(server!.port), '-n', '3', '--pipe'], { input: await fsp.readFile(out) });
  assert.equal(pipe.status, 0, pipe.stdout.toString() + pipe.stderr.toString());
  assert.match(pipe.stdout.toString(), /errors: 0/);
  await assertMatchesTree(3);
  const exists = await runCli('elastickv-snapshot', ['export', 'redis', '--input', tree, '--format', 'resp', '--output', out, '--quiet']);
  assert.equal(exists.code, 1);
});

test('an .fsm input with filters and --expired skip; --dry-run writes nothing', { skip }, async () => {
  const dry = await runCli('elastickv-snapshot', ['export', 'redis', '--input', sample, '--to', `${server!.url}/4`, '--dry-run', '--quiet']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /^dry run: would export to redis/m);
  const c = new Redis(`${server!.url}/4`);
  try {
    assert.equal(await c.dbsize(), 0);
    const r = await runCli('elastickv-snapshot', ['export', 'redis', '--input', sample, '--to', `${server!.url}/4`, '--include', 'redis:type=re:^(hash|string)$', '--expired', 'skip', '--json', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { records: number; expired: number };
    assert.ok(report.expired > 0);
    const types = new Set<string>();
    for (const k of await c.keysBuffer('*')) types.add(await c.type(k));
    assert.deepEqual([...types].sort(), ['hash', 'string']);
    assert.equal(await c.dbsize(), report.records);
  } finally {
    c.disconnect();
  }
});

test('a command the target refuses: exit 2 naming the record', { skip }, async () => {
  const admin = new Redis(server!.url);
  await admin.call('ACL', 'SETUSER', 'noxadd', 'on', '>pw', '~*', '+@all', '-xadd');
  admin.disconnect();
  const r = await runCli('elastickv-snapshot', ['export', 'redis', '--input', tree, '--to', `redis://noxadd:pw@127.0.0.1:${server!.port}/5`, '--quiet']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /EXPORT_TARGET_REFUSED.*redis\/db_0\/streams\/events\.jsonl.*stream "events"/);
  assert.doesNotMatch(r.stderr, /pw@/);
  const unreachable = await runCli('elastickv-snapshot', ['export', 'redis', '--input', tree, '--to', 'redis://127.0.0.1:1/0', '--quiet']);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /EXPORT_TARGET_UNREACHABLE/);
});
