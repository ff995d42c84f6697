// decode --output X.tar.zst|X.tar (or --archive) writes the archive straight from the .fsm, with no tree on disk,
// and encode --input X.tar.zst|X.tar reads one: unpacked, the streamed archive is the tree decode writes (its
// entries are in the order files were completed, so its bytes are not those of archive pack), and encode from
// it gives the bytes encode from the tree gives.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { encodeInlineValue, STRING_VERSION } from '../../src/adapters/redis/inline-value.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { buildFsm } from '../helpers/fsm.ts';
import { runCli } from '../helpers/cli.ts';
import { newBucket, s3Server } from '../helpers/s3-server.ts';

const SAMPLE = join(import.meta.dirname, '../../examples/sample.fsm');
const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot.js');
const cli = (args: string[]) => runCli('elastickv-snapshot', args);

/** MANIFEST.json with its wall time (the one field two decodes of one snapshot differ in) blanked. */
async function manifestSansTime(root: string): Promise<string> {
  return (await fsp.readFile(join(root, 'MANIFEST.json'), 'utf8')).replace(/"wall_time_iso": "[^"]*"/, '"wall_time_iso": ""');
}

/** Trees equal byte for byte, but for MANIFEST.json's wall time (and so its line in CHECKSUMS). */
async function sameTree(a: string, b: string): Promise<void> {
  execFileSync('diff', ['-r', '-x', 'MANIFEST.json', '-x', 'CHECKSUMS', a, b]);
  assert.equal(await manifestSansTime(a), await manifestSansTime(b));
  const sums = async (root: string) => (await fsp.readFile(join(root, 'CHECKSUMS'), 'utf8')).split('\n').filter((l) => !l.endsWith('  MANIFEST.json'));
  assert.deepEqual(await sums(a), await sums(b));
}

/** Every path under root with its permission bits, sorted. */
async function modes(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(root, { recursive: true })) out.push(`${e} ${((await fsp.lstat(join(root, e))).mode & 0o777).toString(8)}`);
  return out.sort();
}

test('decode --output X.tar.zst / X.tar / --archive: unpacked (by us and by the reference) it is the decoded tree and passes verify; encode --input of it equals encode of the tree', async (t) => {
  const refBin = process.env['ELASTICKV_REFERENCE_BIN'];
  if (refBin === undefined) t.diagnostic('ELASTICKV_REFERENCE_BIN is not set: the reference unpack is not tried');
  const dir = await tempDir('ekv-direct-');
  const tree = join(dir, 'tree');
  const d = await cli(['decode', '--input', SAMPLE, '--output', tree, '--adapter', 'all', '--quiet']);
  assert.equal(d.code, 0, d.stderr);
  const fromTree = join(dir, 'from-tree.fsm');
  const e = await cli(['encode', '--input', tree, '--output', fromTree, '--quiet']);
  assert.equal(e.code, 0, e.stderr);

  for (const [name, extra] of [['direct.tar.zst', []], ['direct.tar', []], ['direct.archive', ['--archive', 'zstd']]] as const) {
    const archive = join(dir, name);
    const r = await cli(['decode', '--input', SAMPLE, '--output', archive, '--adapter', 'all', '--quiet', '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { archive: { compression: string; files: number } };
    assert.equal(summary.archive.compression, name.endsWith('.tar') ? 'none' : 'zstd');
    assert.deepEqual((await fsp.readdir(dir)).filter((n) => n.startsWith('.')), [], 'scratch and spool files are removed');
    const unpacked = join(dir, `${name}-unpacked`);
    const u = await cli(['archive', 'unpack', '--input', archive, '--output', unpacked]);
    assert.equal(u.code, 0, u.stderr);
    await sameTree(tree, unpacked);
    const v = await cli(['verify', '--input', unpacked, '--quiet']);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(await modes(unpacked), await modes(tree), `${name}: file and directory modes`);
    if (refBin !== undefined) {
      const byRef = join(dir, `${name}-ref-unpacked`);
      const compression = summary.archive.compression;
      const r = spawnSync(join(refBin, 'elastickv-snapshot-archive'), ['unpack', '--input', archive, '--output', byRef, '--compression', compression], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      execFileSync('diff', ['-r', unpacked, byRef]);
    }
    if (name === 'direct.archive') continue;
    const fromArchive = join(dir, `${name}.fsm`);
    const ea = await cli(['encode', '--input', archive, '--output', fromArchive, '--quiet', ...(name === 'direct.tar' ? ['--self-test'] : [])]);
    assert.equal(ea.code, 0, ea.stderr);
    assert.ok((await fsp.readFile(fromArchive)).equals(await fsp.readFile(fromTree)), `${name}: encode from the archive differs from encode from the tree`);
    const info = JSON.parse(await fsp.readFile(`${fromArchive}.encode_info.json`, 'utf8')) as { input_root: string };
    assert.equal(info.input_root, archive);
    assert.deepEqual((await fsp.readdir(dir)).filter((n) => n.startsWith('.')), [], 'the unpacked tree is removed');
  }
});

test('decode to an archive: a bad snapshot leaves no archive and no scratch; an existing output is refused first; --json with --output - is refused', async () => {
  const dir = await tempDir('ekv-direct-bad-');
  const bytes = await fsp.readFile(SAMPLE);
  const cut = join(dir, 'cut.fsm');
  await fsp.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const r = await cli(['decode', '--input', cut, '--output', join(dir, 'out.tar.zst'), '--quiet']);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(await fsp.readdir(dir), ['cut.fsm']);
  await fsp.writeFile(join(dir, 'taken.tar'), 'mine');
  const taken = await cli(['decode', '--input', SAMPLE, '--output', join(dir, 'taken.tar'), '--quiet']);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /OUTPUT_EXISTS/);
  assert.equal(await fsp.readFile(join(dir, 'taken.tar'), 'utf8'), 'mine');
  const json = await cli(['decode', '--input', SAMPLE, '--output', '-', '--archive', 'zstd', '--json']);
  assert.equal(json.code, 1);
  assert.match(json.stderr, /FLAG_INVALID/);
  const noParent = await cli(['decode', '--input', SAMPLE, '--output', join(dir, 'nodir', 'x.tar'), '--quiet']);
  assert.equal(noParent.code, 1);
  assert.match(noParent.stderr, /OUTPUT_PARENT_MISSING/);
});

test('S3: decode --output s3://bucket/key.tar.zst streams the archive to S3, and encode --input reads it back from there', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'direct');
  const dir = await tempDir('ekv-direct-s3-');
  const url = `s3://${bucket}/dumps/sample.tar.zst`;
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--s3-endpoint', s.endpoint, '--s3-sse', 'none'], { env: s.env(), encoding: 'utf8' });
  const d = run(['decode', '--input', SAMPLE, '--output', url, '--adapter', 'all', '--quiet']);
  assert.equal(d.status, 0, d.stderr);
  const tree = join(dir, 'tree');
  assert.equal((await cli(['decode', '--input', SAMPLE, '--output', tree, '--adapter', 'all', '--quiet'])).code, 0);
  const u = run(['archive', 'unpack', '--input', url, '--output', join(dir, 'unpacked')]);
  assert.equal(u.status, 0, u.stderr);
  await sameTree(tree, join(dir, 'unpacked'));
  const e = run(['encode', '--input', url, '--output', join(dir, 'from-s3.fsm'), '--quiet']);
  assert.equal(e.status, 0, e.stderr);
  assert.equal((await cli(['encode', '--input', tree, '--output', join(dir, 'from-tree.fsm'), '--quiet'])).code, 0);
  assert.ok((await fsp.readFile(join(dir, 'from-s3.fsm'))).equals(await fsp.readFile(join(dir, 'from-tree.fsm'))));

  // A snapshot damaged after 20 MiB of strings: the upload has sent parts when the decode fails; it is aborted,
  // so no object appears at the key and no multipart upload is left open.
  const rows = Array.from({ length: 100 }, (_, i) => ({ key: `!redis|str|k${String(i).padStart(3, '0')}`, value: encodeInlineValue(STRING_VERSION, randomBytes(256 * 1024), 0n) }));
  const fsm = buildFsm(100n, rows);
  const damaged = join(dir, 'damaged.fsm');
  await fsp.writeFile(damaged, fsm.subarray(0, fsm.length - 1000));
  const bad = run(['decode', '--input', damaged, '--output', `s3://${bucket}/dumps/damaged.tar`, '--adapter', 'all', '--quiet']);
  assert.equal(bad.status, 2, bad.stderr);
  const client = s.client();
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dumps/damaged' }));
  assert.equal(listed.KeyCount ?? 0, 0);
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  assert.deepEqual(uploads.Uploads ?? [], []);
});
