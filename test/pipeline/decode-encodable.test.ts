// "A decode that exits 0 publishes a tree that encode --self-test accepts" (issue 15): snapshots whose rows are
// inconsistent in ways decode used to pass over (exit 0, then the encoder refused the tree) are refused with exit 2
// naming the row; an S3 chunk without a manifest no longer renames its sibling in the tree.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { buildFsm, type FsmRow } from '../helpers/fsm.ts';
import { blobKey, manifestKey, seg } from '../adapters/s3/rows.ts';
import { joinFsm, sortRows, splitFsm } from '../fuzz/fsm-parts.ts';

const SAMPLE = new URL('../../examples/sample.fsm', import.meta.url).pathname;
const cli = (args: string[]) => runCli('elastickv-snapshot', args);

async function decodeOf(fsm: Buffer): Promise<{ code: number; stderr: string; tree: string; dir: string }> {
  const dir = await tempDir('ekv-encodable-');
  await fsp.writeFile(join(dir, 'in.fsm'), fsm);
  const r = await cli(['decode', '--quiet', '--input', join(dir, 'in.fsm'), '--output', join(dir, 'tree')]);
  return { code: r.code, stderr: r.stderr, tree: join(dir, 'tree'), dir };
}

/** The sample snapshot with its rows edited (kept in container order). */
async function editedSample(edit: (rows: ReturnType<typeof splitFsm>['rows']) => void): Promise<Buffer> {
  const parts = splitFsm(await fsp.readFile(SAMPLE));
  edit(parts.rows);
  sortRows(parts.rows);
  return joinFsm(parts);
}

const startsWith = (b: Buffer, s: string): boolean => b.subarray(0, s.length).toString('latin1') === s;

test('splitFsm and joinFsm give back the sample byte for byte', async () => {
  const file = await fsp.readFile(SAMPLE);
  assert.ok(joinFsm(splitFsm(file)).equals(file));
});

test('a damaged !s3|bucket|meta| key is refused with its offset (it used to count as unknown, the bucket lost _bucket.json)', async () => {
  const fsm = await editedSample((rows) => {
    const row = rows.find((r) => startsWith(r.key, '!s3|bucket|meta|'));
    assert.ok(row !== undefined);
    row.key.write('mexa', '!s3|bucket|'.length, 'latin1');
  });
  const r = await decodeOf(fsm);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error \[DECODE_UNATTRIBUTED_ROW\]: .*in\.fsm, offset \d+, key "!s3\|bucket\|mexa\|/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('objects of a bucket whose metadata row names another bucket are refused (S3_BUCKET_META_MISSING)', async () => {
  const fsm = await editedSample((rows) => {
    const row = rows.find((r) => startsWith(r.key, '!s3|bucket|meta|') && r.key.includes('photos'));
    assert.ok(row !== undefined);
    row.key.write('photoz', row.key.indexOf('photos'), 'latin1');
  });
  const r = await decodeOf(fsm);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error \[S3_BUCKET_META_MISSING\]: .*bucket "photos" has objects/);
});

test('a stream whose meta declares more entries than the snapshot holds is refused (it was a warning, and encode refused the tree)', async () => {
  const fsm = await editedSample((rows) => {
    const i = rows.findIndex((r) => startsWith(r.key, '!stream|entry|'));
    assert.ok(i >= 0);
    rows.splice(i, 1);
  });
  const r = await decodeOf(fsm);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error \[REDIS_STREAM_LENGTH_MISMATCH\]: key "events": .*declares 2 entries but the snapshot holds 1/);
});

test('a hash, list, set or sorted set missing an element its meta row counts is refused (the warning let the count be lost)', async () => {
  for (const [type, prefix] of [['hash', '!hs|fld|'], ['list', '!lst|itm|'], ['set', '!st|mem|'], ['zset', '!zs|mem|']] as const) {
    const fsm = await editedSample((rows) => {
      const i = rows.findIndex((r) => startsWith(r.key, prefix));
      assert.ok(i >= 0, prefix);
      rows.splice(i, 1);
    });
    const r = await decodeOf(fsm);
    assert.equal(r.code, 2, `${type}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`error \\[REDIS_COLLECTION_LENGTH_MISMATCH\\]: key "[^"]+": the meta row of ${type} key "[^"]+" declares \\d+ elements but the snapshot holds \\d+`));
    // Read version-blind (the reference's reading), older meta rows of real snapshots disagree too: a warning there.
    const all = await cli(['decode', '--quiet', '--versions', 'all', '--input', join(r.dir, 'in.fsm'), '--output', join(r.dir, 'all')]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, new RegExp(`warning: redis_${type}_length_mismatch`));
  }
});

test('chunks of a bucket left without its meta and object rows make no bucket directory (it lacked _bucket.json)', async () => {
  const fsm = await editedSample((rows) => {
    for (const p of ['!s3|bucket|meta|logs', '!s3|obj|head|logs']) {
      const i = rows.findIndex((r) => startsWith(r.key, p));
      assert.ok(i >= 0, p);
      rows.splice(i, 1);
    }
  });
  const r = await decodeOf(fsm);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: s3_orphan_chunks bucket="logs"/);
  await assert.rejects(fsp.stat(join(r.tree, 's3/logs')));
  const enc = await cli(['encode', '--quiet', '--self-test', '--input', r.tree, '--output', join(r.dir, 'out.fsm')]);
  assert.equal(enc.code, 0, enc.stderr);
});

test('an S3 chunk without a manifest (its manifest at a stale generation) does not rename its sibling; the tree passes the self-test', async () => {
  const manifest = (size: number): string => `{"upload_id":"u","size_bytes":${size},"parts":[{"part_no":1,"chunk_count":1,"chunk_sizes":[${size}]}]}`;
  const rows: FsmRow[] = [
    { key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg('b')]), value: '{"bucket_name":"b","generation":2}' },
    { key: blobKey('b', 2n, 'dir', 'u', 1n, 0n), value: 'leaf' },
    { key: manifestKey('b', 2n, 'dir'), value: manifest(4) },
    // dir/x: its chunk at the live generation, its manifest at a stale one.
    { key: blobKey('b', 2n, 'dir/x', 'u', 1n, 0n), value: 'child' },
    { key: manifestKey('b', 1n, 'dir/x'), value: manifest(5) },
  ];
  const r = await decodeOf(buildFsm(1000n, rows));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await fsp.readFile(join(r.tree, 's3/b/dir'), 'utf8'), 'leaf');
  await assert.rejects(fsp.stat(join(r.tree, 's3/b/KEYMAP.jsonl')));
  const enc = await cli(['encode', '--quiet', '--self-test', '--input', r.tree, '--output', join(r.dir, 'out.fsm')]);
  assert.equal(enc.code, 0, enc.stderr);
});

test('rows of a live node that hold no user data (Redis transaction fences) are internal, not damage', async () => {
  const r = await decodeOf(buildFsm(1000n, [{ key: '!redis|txn-wide-hash|k', value: 'x' }, { key: '!redis|str|k', value: 'v' }]));
  assert.equal(r.code, 0, r.stderr);
});
