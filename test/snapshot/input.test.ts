// Snapshot input by content: plain, gzip or zstd, from a file, a named pipe or standard input; a compressed
// or foreign file the reader is handed directly says what it is.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Zstd } from '@hpcc-js/wasm-zstd';
import { crc32c } from '@node-rs/crc32';
import { run } from '../../src/cli/main.ts';
import { isEkvError } from '../../src/errors.ts';
import { openSnapshotInput } from '../../src/snapshot/input.ts';
import { SnapshotReader } from '../../src/snapshot/reader.ts';
import { tempDir } from '../helpers/adapter-harness.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';
import { buildFsm } from '../helpers/fsm.ts';

const zstd = await Zstd.load();
const compress = (b: Uint8Array): Buffer => Buffer.from(zstd.compress(b, 3));
const adapters = [echoAdapter('redis', '!echo|')];
const plain = buildFsm(5n, [
  { key: '!echo|a', value: 'A' },
  { key: '!echo|b', value: 'B'.repeat(100_000) },
]);

async function readAll(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of src) parts.push(c);
  return Buffer.concat(parts);
}

async function decodeCli(args: string[], stdin?: NodeJS.ReadableStream): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const sink = new Writable({
    write: (c: Buffer, _e, cb) => {
      stderr += c.toString();
      cb();
    },
  });
  const code = await run('elastickv-snapshot', ['decode', ...args], { ...(stdin !== undefined ? { stdin } : {}), stdout: sink, stderr: sink, env: {} }, adapters);
  return { code, stderr };
}

test('gzip and zstd are recognised by content; the size and bytes read are the compressed ones', async () => {
  const dir = await tempDir('ekv-input-');
  for (const [name, bytes, kind] of [['p.fsm', plain, 'none'], ['g.fsm', gzipSync(plain), 'gzip'], ['z.fsm', compress(plain), 'zstd']] as const) {
    const path = join(dir, name);
    await fsp.writeFile(path, bytes);
    const input = await openSnapshotInput(path);
    assert.equal(input.compression, kind);
    assert.equal(input.size, bytes.length);
    assert.deepEqual(await readAll(input.source), plain);
    assert.equal(input.sourceBytesRead(), bytes.length);
  }
});

test('an uncompressed file can be read again for a CRC-32C of its first bytes; a replaced one is refused', async () => {
  const dir = await tempDir('ekv-input-');
  const path = join(dir, 'p.fsm');
  await fsp.writeFile(path, plain);
  const input = await openSnapshotInput(path);
  assert.ok(input.rereadCrc32c !== undefined);
  for (const n of [0, 1, 17, plain.length - 4, plain.length]) assert.equal(await input.rereadCrc32c(n), crc32c(plain.subarray(0, n)) >>> 0, `${n} bytes`);
  await assert.rejects(input.rereadCrc32c(plain.length + 1), (e: unknown) => isEkvError(e) && e.code === 'INPUT_CHANGED');
  await fsp.writeFile(`${path}.new`, plain); // created while the first still exists: another inode
  await fsp.rename(`${path}.new`, path);
  await assert.rejects(input.rereadCrc32c(10), (e: unknown) => isEkvError(e) && e.code === 'INPUT_CHANGED');
  input.close();
  const gz = join(dir, 'g.fsm');
  await fsp.writeFile(gz, gzipSync(plain));
  const compressed = await openSnapshotInput(gz);
  assert.equal(compressed.rereadCrc32c, undefined, 'a compressed input is checksummed as it streams by');
  compressed.close();
});

test('decode reads a gzip or zstd .fsm, standard input (-) and a named pipe to the same tree', async () => {
  const dir = await tempDir('ekv-input-');
  const gz = join(dir, 'snap.fsm');
  await fsp.writeFile(gz, gzipSync(plain));
  const zs = join(dir, 'snap2.fsm');
  await fsp.writeFile(zs, compress(plain));
  assert.equal((await decodeCli(['--input', gz, '--output', join(dir, 'g')])).code, 0);
  assert.equal((await decodeCli(['--input', zs, '--output', join(dir, 'z')])).code, 0);
  const fromStdin = await decodeCli(['--input', '-', '--output', join(dir, 's')], Readable.from([compress(plain)]));
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  const fifo = join(dir, 'pipe');
  await new Promise<void>((resolve, reject) => spawn('mkfifo', [fifo]).on('exit', (c) => {
      if (c === 0) resolve();
      else reject(new Error(`mkfifo ${c}`));
    }));
  const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', gz, fifo]);
  const written = new Promise((resolve) => writer.on('exit', resolve));
  const fromPipe = await decodeCli(['--input', fifo, '--output', join(dir, 'f')]);
  assert.equal(fromPipe.code, 0, fromPipe.stderr);
  assert.equal(await written, 0);
  for (const out of ['g', 'z', 's', 'f']) {
    assert.equal(await fsp.readFile(join(dir, out, 'redis/echo/a'), 'utf8'), 'A');
    assert.equal((await fsp.readFile(join(dir, out, 'redis/echo/b'))).length, 100_000);
  }
  const dirInput = await decodeCli(['--input', dir, '--output', join(dir, 'd')]);
  assert.equal(dirInput.code, 1);
  assert.match(dirInput.stderr, /\[INPUT_NOT_FILE\]/);
});

test('corrupt compressed input is a coded data error (exit 2) and leaves no output', async () => {
  const dir = await tempDir('ekv-input-');
  const gz = gzipSync(plain);
  const bad = join(dir, 'bad.fsm');
  await fsp.writeFile(bad, Buffer.concat([gz.subarray(0, 20), Buffer.alloc(50, 0xaa)]));
  const r = await decodeCli(['--input', bad, '--output', join(dir, 'o')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\[INPUT_DECOMPRESS_FAILED\]: .*bad\.fsm: gzip data is corrupt/);
  const zs = compress(plain);
  await fsp.writeFile(bad, zs.subarray(0, zs.length - 10));
  const t = await decodeCli(['--input', bad, '--output', join(dir, 'o')]);
  assert.equal(t.code, 2);
  assert.match(t.stderr, /\[INPUT_DECOMPRESS_FAILED\]: .*zstd data is corrupt/);
  await assert.rejects(fsp.stat(join(dir, 'o')));
});

test('BAD_MAGIC names the format it saw', async () => {
  const cases: Array<[Buffer, RegExp]> = [
    [gzipSync(plain), /got "\\x1f\\x8b.*; this is gzip-compressed data/],
    [compress(plain), /this is zstd-compressed data/],
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), /this is xz-compressed data/],
    [Buffer.from('{"format_version": 1}\n'), /this is JSON text/],
  ];
  for (const [bytes, want] of cases) {
    const reader = new SnapshotReader(Readable.from([bytes]), { path: 'x.fsm' });
    await assert.rejects(reader.header(), (e: Error & { code?: string }) => e.code === 'SNAPSHOT_BAD_MAGIC' && want.test(e.message));
  }
  const plainBad = new SnapshotReader(Readable.from([Buffer.alloc(16, 0x41)]));
  await assert.rejects(plainBad.header(), (e: Error) => !e.message.includes('this is'));
});
