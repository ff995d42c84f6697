// ArchiveTreeWriter: a dump tree written as a tar stream, each file an entry when it closes. Files written at
// the same time, large files through spool files, directories before what they hold, CHECKSUMS last; a path
// written twice, a non-UTF-8 path and an output that fails are refused, and spool files never outlive the run.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Parser, type ReadEntry } from 'tar';
import { ArchiveTreeWriter } from '../../src/archive/tree-writer.ts';
import { zstdDecompress } from '../../src/bytes/zstd.ts';
import { DigestLedger } from '../../src/tree/digest-ledger.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

interface Entry {
  readonly path: string;
  readonly type: string;
  readonly mode: number;
  readonly body: Buffer;
}

/** A Writable collecting everything, or failing with `fail` once more than `failAfter` bytes arrived. */
function collector(failAfter = Infinity): { stream: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  let n = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > failAfter) {
        cb(new Error('disk full (test)'));
        return;
      }
      parts.push(chunk);
      cb();
    },
  });
  return { stream, bytes: () => Buffer.concat(parts) };
}

async function entries(tar: Buffer): Promise<Entry[]> {
  const out: Entry[] = [];
  const parser = new Parser({ strict: true });
  parser.on('entry', (e: ReadEntry) => {
    const parts: Buffer[] = [];
    e.on('data', (d: Buffer) => parts.push(d));
    e.on('end', () => out.push({ path: e.path, type: e.type, mode: e.mode ?? 0, body: Buffer.concat(parts) }));
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', resolve);
    parser.end(tar);
  });
  return out;
}

async function setup(tag: string, failAfter?: number) {
  const dir = await tempDir(tag);
  const ledger = new DigestLedger({ scratchDir: join(dir, 'digests'), memoryBudget: 4096 });
  const out = collector(failAfter);
  const spoolDir = join(dir, 'spool');
  return { dir, spoolDir, ledger, out, writer: new ArchiveTreeWriter(out.stream, { compression: 'none', spoolDir, ledger }) };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('files written at the same time each become one entry when closed, a large one through a spool file; directories come first, CHECKSUMS last', async () => {
  const { spoolDir, writer, out } = await setup('ekv-atw-');
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const a = await writer.create('redis/db_0/hashes/a.json');
  const large = await writer.create('s3/b/objects/big.bin');
  const empty = await writer.create('s3/b/objects/empty.bin');
  await a.write('{"f":');
  for (let off = 0; off < big.length; off += 100_000) await large.write(big.subarray(off, off + 100_000));
  assert.deepEqual((await fsp.readdir(spoolDir)).length, 1, 'the large file waits in a spool file');
  await a.write('1}\n');
  await writer.mkdir('sqs/empty-queue');
  await empty.close();
  await large.close();
  assert.deepEqual(await fsp.readdir(spoolDir), [], 'the spool file is removed once packed');
  await a.close();
  await writer.writeFile('MANIFEST.json', '{}\n');
  const stats = await writer.finish();
  const got = await entries(out.bytes());
  const files = got.filter((e) => e.type === 'File');
  assert.deepEqual(files.map((e) => e.path), ['s3/b/objects/empty.bin', 's3/b/objects/big.bin', 'redis/db_0/hashes/a.json', 'MANIFEST.json', 'CHECKSUMS']);
  assert.ok(files[1]?.body.equals(big));
  assert.equal(files[2]?.body.toString(), '{"f":1}\n');
  assert.deepEqual(files.map((e) => e.mode & 0o777), [0o600, 0o600, 0o600, 0o600, 0o644]);
  const dirs = got.filter((e) => e.type === 'Directory').map((e) => e.path);
  assert.deepEqual(dirs, ['sqs/', 'sqs/empty-queue/', 's3/', 's3/b/', 's3/b/objects/', 'redis/', 'redis/db_0/', 'redis/db_0/hashes/']);
  for (const f of files) {
    const parent = f.path.slice(0, f.path.lastIndexOf('/') + 1);
    if (parent !== '') assert.ok(got.findIndex((e) => e.path === parent) < got.indexOf(f), `${parent} before ${f.path}`);
  }
  const expected = files
    .filter((f) => f.path !== 'CHECKSUMS')
    .sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)))
    .map((f) => `${sha(f.body)}  ${f.path}\n`)
    .join('');
  assert.equal(files[4]?.body.toString(), expected);
  assert.deepEqual(stats, { files: 5, dirs: 8, contentBytes: files.reduce((n, f) => n + f.body.length, 0) });
});

test('zstd: the stream is one zstd frame holding the tar', async () => {
  const dir = await tempDir('ekv-atw-z-');
  const out = collector();
  const writer = new ArchiveTreeWriter(out.stream, { compression: 'zstd', spoolDir: join(dir, 'spool'), ledger: new DigestLedger({ scratchDir: join(dir, 'd'), memoryBudget: 4096 }) });
  await writer.writeFile('a/b.txt', 'hello');
  await writer.finish();
  const tar: Buffer[] = [];
  for await (const c of zstdDecompress((async function* () {
    yield out.bytes();
  })())) tar.push(c);
  assert.deepEqual((await entries(Buffer.concat(tar))).map((e) => e.path), ['a/', 'a/b.txt', 'CHECKSUMS']);
});

test('a path written twice is refused before the archive is ended (unpackers refuse two entries of one name)', async () => {
  const { writer } = await setup('ekv-atw-dup-');
  await writer.writeFile('x/same.json', '1');
  await writer.writeFile('x/other.json', '2');
  await writer.writeFile('x/same.json', '3');
  await assert.rejects(writer.finish(), (err: Error & { code?: string }) => err.code === 'ARCHIVE_DUPLICATE_ENTRY' && /x\/same\.json/.test(err.message));
});

test('a path that is not UTF-8 is refused (tar names are UTF-8)', async () => {
  const { writer } = await setup('ekv-atw-utf8-');
  await assert.rejects(writer.create(Buffer.from([0x61, 0x2f, 0xff])), (err: Error & { code?: string }) => err.code === 'ARCHIVE_PATH_NOT_UTF8');
});

test('an output that fails: the close waiting on it fails with the output error, and abort removes open spool files', async () => {
  const { spoolDir, writer } = await setup('ekv-atw-fail-', 64 * 1024);
  const open = await writer.create('s3/b/open.bin');
  await open.write(Buffer.alloc(2 * 1024 * 1024, 1));
  assert.equal((await fsp.readdir(spoolDir)).length, 1);
  const failing = await writer.create('s3/b/big.bin');
  await failing.write(Buffer.alloc(4 * 1024 * 1024, 2));
  const err = await failing.close().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof Error);
  const reported = await writer.abort(err);
  assert.match((reported as Error).message, /disk full \(test\)/);
  assert.deepEqual(await fsp.readdir(spoolDir), []);
});
