// Filters on decode: a filtered tree is exactly the matching part of the full tree, the manifest records the
// filter, the summary counts what was left out, and encode refuses the partial dump unless told otherwise.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_ADAPTERS } from '../../src/adapters/registry.ts';
import { RecordFilter } from '../../src/filter/record-filter.ts';
import { readTree, tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;

async function decode(args: readonly string[]): Promise<{ tree: Map<string, Buffer>; dir: string; stderr: string }> {
  const dir = join(await tempDir('ekv-filter-'), 'tree');
  const r = await runCli('elastickv-snapshot', ['decode', '--input', sample, '--output', dir, '--quiet', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return { tree: await readTree(dir, { withShared: true }), dir, stderr: r.stderr };
}

/** Files of a tree except the ones every dump has and that describe the whole dump. */
function dataFiles(tree: Map<string, Buffer>, keep: (path: string) => boolean): Map<string, Buffer> {
  return new Map([...tree].filter(([p]) => p !== 'MANIFEST.json' && p !== 'CHECKSUMS' && !p.endsWith('KEYMAP.jsonl') && keep(p)));
}

test('a filtered decode is exactly the matching part of the full decode', async () => {
  const full = (await decode([])).tree;
  const cases: ReadonlyArray<[readonly string[], (p: string) => boolean]> = [
    [['--include', 'dynamodb:table=orders'], (p) => p.startsWith('dynamodb/orders/')],
    [['--include', 'sqs:queue=*.fifo'], (p) => /^sqs\/[^/]+\.fifo\//.test(p)],
    [['--include', 'redis:type=hash'], (p) => p.startsWith('redis/db_0/hashes/')],
    [['--exclude', 'redis:type=re:^(hash|set)$', '--exclude', 's3', '--exclude', 'dynamodb', '--exclude', 'sqs'], (p) => p.startsWith('redis/') && !/\/(hashes|sets)\//.test(p)],
    [['--include', 'redis:key=user:*'], (p) => p === 'redis/db_0/hashes/user%3A42.json'],
    [['--include', 's3:bucket=photos,key=re:^b'], (p) => /^s3\/photos\/(_bucket\.json|b[^/]*)$/.test(p)],
  ];
  for (const [args, keep] of cases) {
    const got = await decode(args);
    assert.deepEqual(dataFiles(got.tree, () => true), dataFiles(full, keep), args.join(' '));
    const manifest = JSON.parse(got.tree.get('MANIFEST.json')!.toString('utf8')) as { filter: { include: string[]; exclude: string[] } };
    assert.deepEqual([...manifest.filter.include, ...manifest.filter.exclude], args.filter((_, i) => i % 2 === 1));
    assert.match(got.stderr, / filtered=[1-9][0-9]*/);
    assert.doesNotMatch(got.stderr, /redis_orphan_ttl/);
  }
});

test('encode refuses a filtered dump unless --allow-partial, and then round-trips it', async () => {
  const { dir, tree } = await decode(['--include', 'redis', '--exclude', 'redis:key=legacy*']);
  const out = `${dir}.fsm`;
  const refused = await runCli('elastickv-snapshot', ['encode', '--input', dir, '--output', out]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ENCODE_PARTIAL_DUMP.*--include redis --exclude redis:key=legacy\*/);
  await assert.rejects(fsp.access(out));
  const ok = await runCli('elastickv-snapshot', ['encode', '--input', dir, '--output', out, '--allow-partial', '--self-test']);
  assert.equal(ok.code, 0, ok.stderr);
  const again = join(await tempDir('ekv-filter-'), 'again');
  const d = await runCli('elastickv-snapshot', ['decode', '--input', out, '--output', again, '--quiet']);
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(dataFiles(await readTree(again), () => true), dataFiles(tree, () => true));
});

test('inspect counts what the filter leaves out', async () => {
  const all = await runCli('elastickv-snapshot', ['inspect', '--input', sample, '--json', '--quiet']);
  const some = await runCli('elastickv-snapshot', ['inspect', '--input', sample, '--json', '--quiet', '--include', 'sqs']);
  const a = JSON.parse(all.stdout) as { entries: number; kinds: Array<{ kind: string; entries: number }> };
  const s = JSON.parse(some.stdout) as { filtered: number; kinds: Array<{ kind: string; entries: number }> };
  const adapterRows = (k: Array<{ kind: string; entries: number }>, pred: (kind: string) => boolean): number =>
    k.filter((x) => pred(x.kind)).reduce((n, x) => n + x.entries, 0);
  assert.equal(s.filtered, adapterRows(a.kinds, (k) => !k.startsWith('sqs ') && !k.startsWith('internal ')));
  assert.equal(adapterRows(s.kinds, (k) => k.startsWith('sqs ')), adapterRows(a.kinds, (k) => k.startsWith('sqs ')));
});

test('filter clauses are checked against the adapters’ vocabularies', () => {
  for (const bad of ['nosuch', 'redis:table=x', 'redis:type=hashes', 'sqs:key=x', 's3:bucket=[a']) {
    assert.throws(() => RecordFilter.parse([bad], [], ALL_ADAPTERS), { code: 'FILTER_INVALID' }, bad);
  }
  const f = RecordFilter.parse(['redis:type=hash,key=re:a{1,2}'], [], ALL_ADAPTERS)!;
  assert.equal(f.accepts('redis', { type: 'hash', key: Buffer.from('xaa') }), true);
  assert.equal(f.accepts('redis', { type: 'set', key: Buffer.from('xaa') }), false);
  // A row that does not tell its type passes an include, and is not taken by an exclude.
  assert.equal(f.accepts('redis', { key: Buffer.from('a') }), true);
  assert.equal(RecordFilter.parse([], ['redis:type=hash'], ALL_ADAPTERS)!.accepts('redis', { key: Buffer.from('a') }), true);
  assert.equal(f.accepts('s3', {}), false);
});

test('decode --expired skip is --skip-expired, and combines with filters', async () => {
  const a = await decode(['--skip-expired', '--include', 'redis']);
  const b = await decode(['--expired', 'skip', '--include', 'redis']);
  assert.deepEqual(dataFiles(b.tree, () => true), dataFiles(a.tree, () => true));
  const kept = await decode(['--include', 'redis']);
  assert.ok(dataFiles(b.tree, () => true).size < dataFiles(kept.tree, () => true).size);
  const contradiction = await runCli('elastickv-snapshot', ['decode', '--input', sample, '--output', join(await tempDir('ekv-filter-'), 't'), '--skip-expired', '--expired', 'keep']);
  assert.equal(contradiction.code, 1);
});
