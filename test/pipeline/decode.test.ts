import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEkvError } from '../../src/errors.ts';
import { decodeSnapshot } from '../../src/pipeline/decode.ts';
import { ALL_ADAPTERS } from '../../src/adapters/registry.ts';
import { Dispatcher } from '../../src/pipeline/dispatch.ts';
import { buildFsm, runtimeV1 } from '../helpers/fsm.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';

async function tmp(): Promise<string> {
  return tempDir('ekv-decode-');
}

const adapters = [echoAdapter('redis', '!echo|'), echoAdapter('sqs', '!echo|sqs|')];

test('dispatch: longest prefix wins; internal prefixes; unknown keys', () => {
  const d = new Dispatcher(adapters);
  assert.equal(d.route(Buffer.from('!echo|sqs|x'))?.adapter, 'sqs');
  assert.equal(d.route(Buffer.from('!echo|x'))?.adapter, 'redis');
  assert.equal(d.route(Buffer.from('!txn|x'))?.adapter, undefined);
  assert.equal(d.route(Buffer.from('!txn|x'))?.kind, 'transaction');
  assert.equal(d.route(Buffer.from('!other|x')), undefined);
  assert.equal(d.route(Buffer.from('!ech')), undefined);
  const lengths = d.routes().map((r) => r.prefix.length);
  assert.deepEqual(lengths, [...lengths].sort((a, b) => b - a));
});

test('dispatch: adapters declare their bookkeeping prefixes, counted as internal next to the store\'s own', () => {
  const d = new Dispatcher(ALL_ADAPTERS);
  const named: Array<[string, string]> = [
    ['!s3|bucket|gen|b', 's3-bucket-generation'],
    ['!s3|gc|upload|x', 's3-upload-gc'],
    ['!s3route|r', 's3-route'],
    ['!txn|t', 'transaction'],
    ['!dist|d', 'distribution'],
    ['!encryption|e', 'encryption'],
  ];
  for (const [k, kind] of named)
    assert.deepEqual([d.route(Buffer.from(k))?.adapter, d.route(Buffer.from(k))?.kind], [undefined, kind], k);
  assert.equal(d.route(Buffer.from('!s3|bucket|meta|b'))?.adapter, 's3');
  assert.equal(new Dispatcher([]).route(Buffer.from('!s3|gc|upload|x')), undefined, 'S3 bookkeeping is known only through the S3 adapter');
});

test('dispatch: routing a run of keys gives each key the route a fresh dispatcher gives it (the last-route shortcut is exact)', () => {
  const d = new Dispatcher(ALL_ADAPTERS);
  const prefixes = d.routes().map((r) => r.prefix);
  const tails = ['', 'x', '|', 'meta|', 'mem|k', 'd|1', 'gen|b', 'upload|x'];
  const keys: Buffer[] = [];
  for (const p of prefixes) for (const q of [p, p.slice(0, -1), p.slice(0, p.indexOf('|') + 1)]) for (const t of tails) keys.push(Buffer.from(q + t, 'latin1'));
  const fresh = new Map(keys.map((k) => [k, new Dispatcher(ALL_ADAPTERS).route(k)?.prefix]));
  for (const a of keys) {
    for (const b of keys) {
      if (a.compare(b, 0, 4, 0, 4) !== 0) continue;
      d.route(a);
      assert.equal(d.route(b)?.prefix, fresh.get(b), `${b.toString('latin1')} after ${a.toString('latin1')}`);
    }
  }
});

test('decode writes adapter files, MANIFEST.json and a CHECKSUMS that sha256sum -c accepts', async () => {
  const dir = await tmp();
  const input = join(dir, '64.fsm');
  await fsp.writeFile(
    input,
    buildFsm(7n, [
      { key: '!echo|a', value: 'A' },
      { key: '!echo|b', value: 'B', tombstone: true },
      { key: '!echo|sqs|q', value: 'Q' },
      { key: '!txn|lock', value: 'x' },
      { key: '!nope', value: 'x' },
    ]),
  );
  const out = join(dir, 'out');
  const res = await decodeSnapshot({ input, output: out, adapters, selected: ['redis'], clusterId: 'c1' });
  assert.equal(res.counters.total, 5n);
  assert.equal(res.counters.byAdapter.redis, 1n);
  assert.equal(res.counters.tombstone, 1n);
  assert.equal(res.counters.internal, 2n); // sqs not selected, and !txn|
  assert.equal(res.counters.unknown, 1n);
  assert.equal(await fsp.readFile(join(out, 'redis/echo/a'), 'utf8'), 'A');
  await assert.rejects(fsp.stat(join(out, 'sqs')));
  const manifest = JSON.parse(await fsp.readFile(join(out, 'MANIFEST.json'), 'utf8')) as { snapshot_index: number; last_commit_ts: number; cluster_id: string; adapters: object };
  assert.equal(manifest.snapshot_index, 64);
  assert.equal(manifest.last_commit_ts, 7);
  assert.equal(manifest.cluster_id, 'c1');
  assert.deepEqual(Object.keys(manifest.adapters), ['redis']);
  execFileSync('sha256sum', ['-c', '--quiet', 'CHECKSUMS'], { cwd: out });
  const listing = await fsp.readFile(join(out, 'CHECKSUMS'), 'utf8');
  assert.match(listing, / {2}MANIFEST.json\n/);
  // Nothing but the tree is left behind: no staging or scratch directories.
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['64.fsm', 'out']);
});

test('a failed decode leaves nothing at the output path', async () => {
  const dir = await tmp();
  const input = join(dir, 'bad.fsm');
  const good = buildFsm(7n, [{ key: '!echo|a', value: 'A' }]);
  await fsp.writeFile(input, good.subarray(0, good.length - 3));
  const out = join(dir, 'out');
  await assert.rejects(decodeSnapshot({ input, output: out, adapters, selected: ['redis'] }), (e: unknown) => isEkvError(e) && e.code === 'SNAPSHOT_TRUNCATED' && e.exitClass === 'data');
  assert.deepEqual(await fsp.readdir(dir), ['bad.fsm']);
});

test('an existing non-empty output is refused; an empty directory is accepted', async () => {
  const dir = await tmp();
  const input = join(dir, 's.fsm');
  await fsp.writeFile(input, buildFsm(1n, [{ key: '!echo|a', value: 'A' }]));
  const out = join(dir, 'out');
  await fsp.mkdir(out);
  await fsp.writeFile(join(out, 'stale'), 'x');
  await assert.rejects(decodeSnapshot({ input, output: out, adapters, selected: ['redis'] }), (e: unknown) => isEkvError(e) && e.code === 'OUTPUT_NOT_EMPTY' && e.exitClass === 'user');
  await fsp.rm(join(out, 'stale'));
  await decodeSnapshot({ input, output: out, adapters, selected: ['redis'] });
  assert.equal(await fsp.readFile(join(out, 'redis/echo/a'), 'utf8'), 'A');
});

test('versions: latest keeps the newest value, all reproduces the reference (oldest value on disk)', async () => {
  const dir = await tmp();
  const input = join(dir, 's.fsm');
  await fsp.writeFile(
    input,
    buildFsm(30n, [
      { key: '!echo|k', value: 'old', commitTs: 10n },
      { key: '!echo|k', value: 'new', commitTs: 20n },
    ]),
  );
  const latest = await decodeSnapshot({ input, output: join(dir, 'latest'), adapters, selected: ['redis'] });
  assert.equal(await fsp.readFile(join(dir, 'latest/redis/echo/k'), 'utf8'), 'new');
  assert.equal(latest.counters.superseded, 1n);
  await decodeSnapshot({ input, output: join(dir, 'all'), adapters, selected: ['redis'], versions: 'all' });
  assert.equal(await fsp.readFile(join(dir, 'all/redis/echo/k'), 'utf8'), 'old');
});

test('runtime file: hex index from the name, CRC recorded, operational rows in the manifest extension', async () => {
  const dir = await tmp();
  const meta = Buffer.concat([Buffer.from('1300000000000000', 'hex'), Buffer.from('_meta_applied_index'), Buffer.from('0800000000000000', 'hex'), Buffer.from('6400000000000000', 'hex')]);
  const payload = Buffer.concat([buildFsm(9n, [{ key: '!echo|a', value: 'A' }]), meta]);
  const file = runtimeV1(payload, 123n);
  const footer = file.subarray(-4);
  const input = join(dir, '0000000000000064.fsm');
  await fsp.writeFile(input, file);
  const res = await decodeSnapshot({ input, output: join(dir, 'out'), adapters, selected: ['redis'] });
  assert.equal(res.operational['applied_index'], 100n);
  const manifest = JSON.parse(await fsp.readFile(join(dir, 'out/MANIFEST.json'), 'utf8')) as {
    snapshot_index: number;
    source: { fsm_crc32c: string };
    source_snapshot: { container: string; applied_index: number; hlc_ceiling_ms: number };
  };
  assert.equal(manifest.snapshot_index, 100);
  assert.equal(manifest.source.fsm_crc32c, footer.toString('hex'));
  assert.equal(manifest.source_snapshot.container, 'runtime-v1');
  assert.equal(manifest.source_snapshot.applied_index, 100);
  assert.equal(manifest.source_snapshot.hlc_ceiling_ms, 123);
});
