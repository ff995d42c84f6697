// Hostile archives: each attack is refused with a coded data error (exit 2), nothing appears at the output,
// no staging directory is left next to it, and nothing is written outside it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { zstdCompressor } from '../../src/bytes/zstd.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { buildTar, type TarSpec } from '../helpers/tar-build.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/archive/sample-tree.ref.tar.zst');

/** Unpacks `bytes` into a fresh output; asserts exit 2 with `code` and that nothing was left behind. */
async function refused(bytes: Buffer, code: RegExp, extra: string[] = []): Promise<string> {
  const dir = await tempDir('ekv-hostile-');
  const input = join(dir, 'in.tar');
  await fsp.writeFile(input, bytes);
  const out = join(dir, 'out');
  const r = await runCli('elastickv-snapshot-archive', ['unpack', '--input', input, '--output', out, ...extra]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, code);
  assert.deepEqual(await fsp.readdir(dir), ['in.tar'], 'output or staging left behind');
  return dir;
}

const tar = (entries: TarSpec[]) => buildTar(entries);
const compress = (b: Buffer): Promise<Buffer> => buffer(Readable.from([b]).pipe(zstdCompressor()));

test('absolute path refused', async () => {
  await refused(tar([{ path: '/tmp/ekv-absolute-escape', body: 'x' }]), /ARCHIVE_PATH_UNSAFE.*absolute/);
});

test('dot-dot path refused (leading and inside)', async () => {
  const dir = await refused(tar([{ path: '../escape', body: 'x' }]), /ARCHIVE_PATH_UNSAFE.*\.\./);
  await assert.rejects(fsp.stat(join(dir, '..', 'escape')));
  await refused(tar([{ path: 'a/../../escape', body: 'x' }]), /ARCHIVE_PATH_UNSAFE/);
});

test('symlink entry refused', async () => {
  await refused(tar([{ path: 'ln', type: 'SymbolicLink', linkpath: '/etc' }]), /ARCHIVE_NON_REGULAR.*SymbolicLink/);
});

test('entry through a symlink refused before anything is written through it', async () => {
  const outside = await tempDir('ekv-hostile-outside-');
  await refused(tar([{ path: 'ln', type: 'SymbolicLink', linkpath: outside }, { path: 'ln/planted', body: 'x' }]), /ARCHIVE_NON_REGULAR/);
  assert.deepEqual(await fsp.readdir(outside), []);
});

test('hard link entry refused', async () => {
  await refused(tar([{ path: 'a', body: 'x' }, { path: 'b', type: 'Link', linkpath: 'a' }]), /ARCHIVE_NON_REGULAR.*Link/);
});

test('device entries refused (character and block)', async () => {
  await refused(tar([{ path: 'null', type: 'CharacterDevice' }]), /ARCHIVE_NON_REGULAR.*CharacterDevice/);
  await refused(tar([{ path: 'sda', type: 'BlockDevice' }]), /ARCHIVE_NON_REGULAR.*BlockDevice/);
});

test('FIFO entry refused', async () => {
  await refused(tar([{ path: 'pipe', type: 'FIFO' }]), /ARCHIVE_NON_REGULAR.*FIFO/);
});

test('duplicate entry refused (file twice, file then directory, file as a parent)', async () => {
  await refused(tar([{ path: 'a', body: 'one' }, { path: 'a', body: 'two' }]), /ARCHIVE_DUPLICATE_ENTRY/);
  await refused(tar([{ path: 'a', body: 'one' }, { path: 'a', type: 'Directory' }]), /ARCHIVE_DUPLICATE_ENTRY/);
  await refused(tar([{ path: 'a', body: 'one' }, { path: 'a/b', body: 'two' }]), /ARCHIVE_DUPLICATE_ENTRY/);
});

test('name over NAME_MAX refused, and a path over PATH_MAX', async () => {
  await refused(tar([{ path: `d/${'n'.repeat(256)}`, body: 'x' }]), /ARCHIVE_NAME_TOO_LONG.*256 bytes/);
  await refused(tar([{ path: Array.from({ length: 20 }, () => 'p'.repeat(250)).join('/'), body: 'x' }]), /ARCHIVE_NAME_TOO_LONG.*PATH_MAX/);
});

test('entry-count budget enforced (--max-entries)', async () => {
  const entries = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, body: 'x' }));
  await refused(tar(entries), /ARCHIVE_BUDGET_EXCEEDED.*more than 4 entries/, ['--max-entries', '4']);
});

test('byte budget enforced from the header size, before the body is written (--max-bytes)', async () => {
  await refused(tar([{ path: 'big', body: Buffer.alloc(3 * 1024 * 1024) }]), /ARCHIVE_BUDGET_EXCEEDED.*needs 3145728 bytes/, ['--max-bytes', String(2 * 1024 * 1024)]);
});

test('truncated zstd refused', async () => {
  const z = await fsp.readFile(FIXTURE);
  await refused(z.subarray(0, z.length - 100), /ARCHIVE_ZSTD_TRUNCATED|ARCHIVE_TRUNCATED/);
});

test('corrupt zstd refused', async () => {
  const z = Buffer.from(await fsp.readFile(FIXTURE));
  for (let i = 200; i < 260; i++) z[i] = (z[i] as number) ^ 0x5a;
  await refused(z, /ARCHIVE_ZSTD_CORRUPT|ARCHIVE_CORRUPT|CHECKSUM/);
});

test('truncated tar refused: inside a body, inside a header, and without the end-of-archive marker', async () => {
  const t = tar([{ path: 'a', body: 'x'.repeat(2000) }, { path: 'b', body: 'y' }]);
  await refused(t.subarray(0, 1000), /ARCHIVE_CORRUPT.*Truncated|ARCHIVE_TRUNCATED/);
  await refused(t.subarray(0, 2560 + 100), /ARCHIVE_TRUNCATED/);
  await refused(buildTar([{ path: 'a', body: 'x' }], false), /ARCHIVE_TRUNCATED.*end-of-archive/);
});

test('corrupt tar header (bad checksum) refused', async () => {
  const t = tar([{ path: 'a', body: 'x' }]);
  t[10] = 0x41;
  await refused(t, /ARCHIVE_CORRUPT.*checksum/);
});

test('garbage input refused', async () => {
  await refused(Buffer.from('not an archive at all '.repeat(100)), /ARCHIVE_CORRUPT/);
  await refused(await compress(Buffer.from('zstd, but not a tar '.repeat(100))), /ARCHIVE_CORRUPT/);
});

test('a zstd bomb stays bounded: a small frame of zeros past the byte budget is refused, not inflated in memory', async () => {
  const zeros = tar([{ path: 'bomb', body: Buffer.alloc(64 * 1024 * 1024) }]);
  const bomb = await compress(zeros);
  assert.ok(bomb.length < 64 * 1024);
  await refused(bomb, /ARCHIVE_BUDGET_EXCEEDED/, ['--max-bytes', String(1024 * 1024)]);
});

test('file not listed in CHECKSUMS refused after extraction', async () => {
  const dir = await tempDir('ekv-hostile-src-');
  const tree = join(dir, 'tree');
  const r = await runCli('elastickv-snapshot-archive', ['unpack', '--input', FIXTURE, '--output', tree]);
  assert.equal(r.code, 0, r.stderr);
  await fsp.writeFile(join(tree, 'redis', 'planted.bin'), 'not listed');
  const bytes = execFileSync('tar', ['-C', tree, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
  await refused(bytes, /ARCHIVE_UNCHECKSUMMED_FILE.*planted/);
});

test('file whose bytes do not match CHECKSUMS refused after extraction', async () => {
  const dir = await tempDir('ekv-hostile-src-');
  const tree = join(dir, 'tree');
  assert.equal((await runCli('elastickv-snapshot-archive', ['unpack', '--input', FIXTURE, '--output', tree])).code, 0);
  await fsp.appendFile(join(tree, 'redis/db_0/strings/greeting.bin'), 'tampered');
  const bytes = execFileSync('tar', ['-C', tree, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
  await refused(bytes, /CHECKSUM_MISMATCH/);
});

test('an existing non-empty output is refused (exit 1) and left alone', async () => {
  const dir = await tempDir('ekv-hostile-exists-');
  await fsp.mkdir(join(dir, 'out'));
  await fsp.writeFile(join(dir, 'out', 'keep'), 'keep');
  const r = await runCli('elastickv-snapshot-archive', ['unpack', '--input', FIXTURE, '--output', join(dir, 'out')]);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(await fsp.readdir(join(dir, 'out')), ['keep']);
});

test('an archive input that is a symlink or not a regular file is refused', async () => {
  const dir = await tempDir('ekv-hostile-input-');
  await fsp.symlink(FIXTURE, join(dir, 'link.tar.zst'));
  const r = await runCli('elastickv-snapshot-archive', ['unpack', '--input', join(dir, 'link.tar.zst'), '--output', join(dir, 'out')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /ARCHIVE_NON_REGULAR.*symlink/);
  const d = await runCli('elastickv-snapshot-archive', ['unpack', '--input', dir, '--output', join(dir, 'out')]);
  assert.equal(d.code, 2, d.stderr);
});
