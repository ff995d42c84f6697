// archive pack/unpack through the CLI: round trips, the reference-packed fixtures, determinism, stdin/stdout,
// and what pack refuses.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { newBucket, s3Server } from '../helpers/s3-server.ts';

const archive = (args: string[]) => runCli('elastickv-snapshot-archive', args);
const FIXTURES = join(import.meta.dirname, '../fixtures/archive');
const BIN = join(import.meta.dirname, '../../bin/elastickv-snapshot-archive.js');

let sampleTree: string | undefined;
/** The dump tree of examples/sample.fsm, decoded once. */
async function sample(): Promise<string> {
  if (sampleTree !== undefined) return sampleTree;
  const dir = await tempDir('ekv-arch-sample-');
  const out = join(dir, 'tree');
  const r = await runCli('elastickv-snapshot', ['decode', '--input', join(import.meta.dirname, '../../examples/sample.fsm'), '--output', out, '--adapter', 'all', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  sampleTree = out;
  return out;
}

function diffTrees(a: string, b: string): void {
  execFileSync('diff', ['-r', a, b]);
}

test('pack then unpack gives the same tree, zstd and plain; the archive lists directories and files in path order', async () => {
  const tree = await sample();
  const dir = await tempDir('ekv-arch-rt-');
  for (const compression of ['zstd', 'none']) {
    const file = join(dir, `t-${compression}.tar`);
    const p = await archive(['pack', '--input', tree, '--output', file, '--compression', compression]);
    assert.equal(p.code, 0, p.stderr);
    const out = join(dir, `u-${compression}`);
    const u = await archive(['unpack', '--input', file, '--output', out]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stderr, new RegExp(`\\(${compression}\\)`));
    diffTrees(tree, out);
  }
  const names = execFileSync('tar', ['tf', join(dir, 't-none.tar')], { encoding: 'utf8' }).trim().split('\n');
  const bare = names.map((n) => n.replace(/\/$/, ''));
  assert.deepEqual(bare, [...bare].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
  assert.ok(names.includes('redis/') && names.includes('MANIFEST.json') && names.includes('CHECKSUMS'));
});

test('the same tree packs to the same bytes (normalised headers)', async () => {
  const tree = await sample();
  const dir = await tempDir('ekv-arch-det-');
  assert.equal((await archive(['pack', '--input', tree, '--output', join(dir, 'a.tar.zst')])).code, 0);
  const copy = join(dir, 'copy');
  execFileSync('cp', ['-a', tree, copy]);
  await fsp.utimes(join(copy, 'MANIFEST.json'), new Date(5000), new Date(5000));
  assert.equal((await archive(['pack', '--input', copy, '--output', join(dir, 'b.tar.zst')])).code, 0);
  assert.deepEqual(await fsp.readFile(join(dir, 'a.tar.zst')), await fsp.readFile(join(dir, 'b.tar.zst')));
});

test('archives packed by the reference tool unpack to the tree GNU tar extracts from them, and pass verify', async () => {
  const dir = await tempDir('ekv-arch-ref-');
  const ours = join(dir, 'ours-zstd');
  const r1 = await archive(['unpack', '--input', join(FIXTURES, 'sample-tree.ref.tar.zst'), '--output', ours]);
  assert.equal(r1.code, 0, r1.stderr);
  const plain = join(dir, 'ours-none');
  const r2 = await archive(['unpack', '--input', join(FIXTURES, 'sample-tree.ref.tar'), '--output', plain, '--compression', 'none']);
  assert.equal(r2.code, 0, r2.stderr);
  const gnu = join(dir, 'gnu');
  await fsp.mkdir(gnu);
  execFileSync('tar', ['xf', join(FIXTURES, 'sample-tree.ref.tar'), '-C', gnu]);
  diffTrees(gnu, ours);
  diffTrees(gnu, plain);
  const v = await runCli('elastickv-snapshot', ['verify', '--input', ours]);
  assert.equal(v.code, 0, v.stderr);
});

test('the reference tool unpacks what we pack (needs ELASTICKV_REFERENCE_BIN: the directory of the reference binaries)', async (t) => {
  const refBin = process.env['ELASTICKV_REFERENCE_BIN'];
  if (refBin === undefined) {
    t.skip('ELASTICKV_REFERENCE_BIN is not set; the reference binaries are not part of this repository');
    return;
  }
  const tree = await sample();
  const dir = await tempDir('ekv-arch-refun-');
  for (const compression of ['zstd', 'none']) {
    const file = join(dir, `t.${compression}`);
    assert.equal((await archive(['pack', '--input', tree, '--output', file, '--compression', compression])).code, 0);
    const out = join(dir, `ref-${compression}`);
    const r: SpawnSyncReturns<string> = spawnSync(join(refBin, 'elastickv-snapshot-archive'), ['unpack', '--input', file, '--output', out, '--compression', compression], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    diffTrees(tree, out);
  }
});

test('stdout on pack and stdin on unpack (-), through the drop-in binary', async () => {
  const tree = await sample();
  const dir = await tempDir('ekv-arch-pipe-');
  const packed = spawnSync(process.execPath, [BIN, 'pack', '--input', tree, '--output', '-'], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(packed.status, 0, String(packed.stderr));
  assert.deepEqual([...packed.stdout.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  const out = join(dir, 'from-stdin');
  const unpacked = spawnSync(process.execPath, [BIN, 'unpack', '--input', '-', '--output', out], { input: packed.stdout });
  assert.equal(unpacked.status, 0, String(unpacked.stderr));
  diffTrees(tree, out);
});

test('pack refuses a tree that fails verification, with nothing at the output', async () => {
  const tree = await sample();
  const dir = await tempDir('ekv-arch-bad-');
  const copy = join(dir, 'copy');
  execFileSync('cp', ['-a', tree, copy]);
  await fsp.appendFile(join(copy, 'redis/db_0/strings/greeting.bin'), 'x');
  const r = await archive(['pack', '--input', copy, '--output', join(dir, 'x.tar.zst')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /CHECKSUM_MISMATCH/);
  assert.deepEqual(await fsp.readdir(dir), ['copy']);
});

test('pack refuses symlinks, FIFOs and hard links in the tree (exit 2) and an output inside the input or already there (exit 1)', async () => {
  const tree = await sample();
  const dir = await tempDir('ekv-arch-refuse-');
  for (const [name, plant] of [
    ['symlink', (c: string) => fsp.symlink('/etc/passwd', join(c, 'redis/ln'))],
    ['FIFO', (c: string) => Promise.resolve(execFileSync('mkfifo', [join(c, 'redis/fifo')]))],
    ['hard-linked', (c: string) => fsp.link(join(c, 'redis/db_0/strings/greeting.bin'), join(c, 'greeting-link'))],
  ] as const) {
    const copy = join(dir, `copy-${name}`);
    execFileSync('cp', ['-a', tree, copy]);
    await plant(copy);
    const r = await archive(['pack', '--input', copy, '--output', join(dir, `${name}.tar.zst`)]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, name === 'hard-linked' ? /ARCHIVE_NON_REGULAR|CHECKSUMS_UNLISTED|UNCHECKSUMMED/ : /ARCHIVE_NON_REGULAR|UNCHECKSUMMED|SYMLINK|TREE_NOT_REGULAR/);
    await assert.rejects(fsp.stat(join(dir, `${name}.tar.zst`)));
  }
  const inside = await archive(['pack', '--input', tree, '--output', join(tree, 'self.tar.zst')]);
  assert.equal(inside.code, 1);
  assert.match(inside.stderr, /OUTPUT_INSIDE_INPUT/);
  await fsp.writeFile(join(dir, 'exists.tar.zst'), 'keep');
  const exists = await archive(['pack', '--input', tree, '--output', join(dir, 'exists.tar.zst')]);
  assert.equal(exists.code, 1);
  assert.equal(await fsp.readFile(join(dir, 'exists.tar.zst'), 'utf8'), 'keep');
});

test('usage errors exit 1: no mode, unknown mode, missing flags, bad compression, stray arguments', async () => {
  for (const args of [[], ['list'], ['pack', '--input', 'x'], ['unpack', '--output', 'y'], ['pack', '--input', 'x', '--output', 'y', '--compression', 'gzip'], ['pack', '--input', 'x', '--output', 'y', 'extra']]) {
    const r = await archive(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
  }
  const h = await runCli('elastickv-snapshot', ['archive', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /pack\|unpack/);
});

test('S3: pack streams to s3://bucket/key and unpack reads it back; an existing key is refused; a failed pack leaves no object', async (t) => {
  const s = s3Server(t);
  if (s === undefined) return;
  const bucket = await newBucket(s, 'arch');
  const tree = await sample();
  const dir = await tempDir('ekv-arch-s3-');
  const s3 = ['--s3-endpoint', s.endpoint, '--s3-sse', 'none'];
  const url = `s3://${bucket}/dumps/sample.tar.zst`;
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, ...s3], { env: s.env(), encoding: 'utf8' });
  const p = run(['pack', '--input', tree, '--output', url]);
  assert.equal(p.status, 0, p.stderr);
  const again = run(['pack', '--input', tree, '--output', url]);
  assert.equal(again.status, 1, again.stderr);
  assert.match(again.stderr, /OUTPUT_EXISTS/);
  const u = run(['unpack', '--input', url, '--output', join(dir, 'out')]);
  assert.equal(u.status, 0, u.stderr);
  diffTrees(tree, join(dir, 'out'));
  const copy = join(dir, 'copy');
  execFileSync('cp', ['-a', tree, copy]);
  await fsp.appendFile(join(copy, 'MANIFEST.json'), ' ');
  const bad = run(['pack', '--input', copy, '--output', `s3://${bucket}/dumps/bad.tar.zst`]);
  assert.equal(bad.status, 2, bad.stderr);
  const missing = run(['unpack', '--input', `s3://${bucket}/dumps/bad.tar.zst`, '--output', join(dir, 'none')]);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /INPUT_MISSING/);
});
