// CHECKSUMS (core.md §3.4): the listing `sha256sum -c` accepts, escaped names, and every verify failure, through
// the production path: files written by the tree writer, CHECKSUMS from its digest ledger, read back by verify.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { test } from 'node:test';
import { checksumLine, verifyChecksums, writeChecksumsFrom } from '../../src/tree/checksums.ts';
import { DigestLedger } from '../../src/tree/digest-ledger.ts';
import { walkSorted } from '../../src/tree/walk.ts';
import { DiskTreeWriter } from '../../src/tree/writer.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const HEX_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await tempDir();
  for (const [rel, body] of Object.entries(files)) {
    const abs = `${root}/${rel}`;
    await fsp.mkdir(abs.slice(0, abs.lastIndexOf('/')), { recursive: true });
    await fsp.writeFile(abs, body);
  }
  return root;
}

/** A tree written as decode writes one: through the tree writer, CHECKSUMS from its digest ledger. */
async function written(files: Record<string, string>): Promise<{ root: string; count: number }> {
  const root = await tempDir();
  const ledger = new DigestLedger({ scratchDir: await tempDir(), memoryBudget: 4096 });
  const writer = new DiskTreeWriter(root, ledger);
  for (const [rel, body] of Object.entries(files)) await writer.writeFile(rel, body);
  return { root, count: await writeChecksumsFrom(root, ledger.digests()) };
}

/** A tree whose CHECKSUMS is `text`, with empty files at `empty`. */
async function listing(text: string, empty: readonly string[] = []): Promise<string> {
  const root = await tree(Object.fromEntries(empty.map((n) => [n, ''])));
  await fsp.writeFile(`${root}/CHECKSUMS`, text);
  return root;
}

const codeOf = (code: string) => (err: unknown) => (err as { code?: string }).code === code;

test('lines: plain and GNU-escaped forms, invalid UTF-8 replaced only in escaped names', () => {
  assert.equal(checksumLine(HEX_EMPTY, Buffer.from('a/b c')).toString(), `${HEX_EMPTY}  a/b c\n`);
  assert.equal(checksumLine(HEX_EMPTY, Buffer.from('a\nb\\c\rd')).toString(), `\\${HEX_EMPTY}  a\\nb\\\\c\\rd\n`);
  assert.deepEqual(checksumLine(HEX_EMPTY, Buffer.from([0x61, 0xff])).subarray(-3), Buffer.from([0x61, 0xff, 0x0a]));
  assert.deepEqual(
    checksumLine(HEX_EMPTY, Buffer.from([0x5c, 0xff])).subarray(-5),
    Buffer.from([0x5c, 0xef, 0xbf, 0xbd, 0x0a]),
  );
});

test('written CHECKSUMS is sorted bytewise, skips itself, and passes sha256sum -c', async () => {
  const { root, count } = await written({ 'b.txt': 'bee', 'a/z.json': '{}', 'MANIFEST.json': 'm', 'with space': '', 'CHECKSUMS': 'stale' });
  assert.equal(count, 4);
  const text = await fsp.readFile(`${root}/CHECKSUMS`, 'utf8');
  assert.deepEqual(text.trimEnd().split('\n').map((l) => l.slice(66)), ['MANIFEST.json', 'a/z.json', 'b.txt', 'with space']);
  execFileSync('sha256sum', ['-c', '--quiet', 'CHECKSUMS'], { cwd: root });
  assert.deepEqual(await verifyChecksums(root), { verified: 4, unlisted: [], unlistedCount: 0 });
});

test('a name with a newline round-trips through the escaped form and sha256sum', async () => {
  const { root } = await written({ 'new\nline': 'x', 'back\\slash': 'y' });
  execFileSync('sha256sum', ['-c', '--quiet', 'CHECKSUMS'], { cwd: root });
  assert.equal((await verifyChecksums(root)).verified, 2);
});

test('verify: mismatch, missing file, unlisted file, empty listing', async () => {
  const { root } = await written({ 'a': '1', 'b': '2' });
  await fsp.writeFile(`${root}/extra`, 'e');
  assert.deepEqual((await verifyChecksums(root)).unlisted.map(String), ['extra']);
  await fsp.writeFile(`${root}/b`, 'changed');
  await assert.rejects(verifyChecksums(root), (err: Error) => codeOf('CHECKSUM_MISMATCH')(err) && /b: have [0-9a-f]{64} want/.test(err.message));
  await fsp.rm(`${root}/b`);
  await assert.rejects(verifyChecksums(root), (err: Error) => /b: missing on disk/.test(err.message));
  await fsp.writeFile(`${root}/CHECKSUMS`, '\n\n');
  await assert.rejects(verifyChecksums(root), codeOf('CHECKSUMS_EMPTY'));
});

test('the walk gives whole-path byte order, the same with a spilling budget as in memory; directories when asked', async () => {
  const names = ['a-c', 'a/b', 'a/a/z', 'a.b/c', 'b', 'A', 'a0', 'é', 'z/y/x/w', ...Array.from({ length: 300 }, (_, i) => `many/${(i * 7919) % 1000}`)];
  const root = await tree(Object.fromEntries(names.map((n) => [n, n])));
  await fsp.mkdir(`${root}/empty-dir`);
  const expected = names.map((n) => Buffer.from(n)).sort((a, b) => Buffer.compare(a, b)).map(String);
  const collect = async (spill?: { scratchDir: string; memoryBudget: number }): Promise<string[]> => {
    const out: string[] = [];
    for await (const r of walkSorted(root, spill === undefined ? {} : { spill })) out.push(r.rel.toString());
    return out;
  };
  assert.deepEqual(await collect(), expected);
  const scratch = await tempDir();
  assert.deepEqual(await collect({ scratchDir: scratch, memoryBudget: 2048 }), expected);
  assert.deepEqual(await fsp.readdir(scratch), [], 'run files are removed');
  const dirs: string[] = [];
  for await (const r of walkSorted(root, { dirs: true })) if (r.isDir) dirs.push(r.rel.toString());
  assert.deepEqual(dirs, ['a', 'a.b', 'a/a', 'empty-dir', 'many', 'z', 'z/y', 'z/y/x']);
});

test('CHECKSUMS from digests taken while writing matches the files on disk (rewrites keep the last, spilled runs)', async () => {
  const root = await tempDir();
  const scratch = await tempDir();
  const ledger = new DigestLedger({ scratchDir: scratch, memoryBudget: 4096 });
  const tree = new DiskTreeWriter(root, ledger);
  for (let i = 0; i < 60; i++) await tree.writeFile(`d${i % 7}/f${(i * 37) % 60}`, `body ${i}`);
  await tree.writeFile('d1/f0', 'rewritten');
  const big = await tree.create('big/file');
  for (let i = 0; i < 40; i++) await big.write(Buffer.alloc(32 * 1024, i));
  await big.close();
  // An escaped name with invalid UTF-8 is listed with U+FFFD (as the reference does) and cannot be verified.
  await tree.writeFile(Buffer.from('odd\nname\\x\u00e9', 'utf8'), '');
  const count = await writeChecksumsFrom(root, ledger.digests());
  assert.deepEqual(await verifyChecksums(root), { verified: count, unlisted: [], unlistedCount: 0 });
  execFileSync('sha256sum', ['-c', '--quiet', 'CHECKSUMS'], { cwd: root });
  assert.match((await fsp.readFile(`${root}/CHECKSUMS`)).toString('latin1'), /d1\/f0\n/);
});

test('verify streams CHECKSUMS: no final newline, listed paths spelled with ./ or //, many unlisted files counted; CRLF refused', async () => {
  const { root } = await written({ 'a/b': '1', 'c': '2' });
  const lines = (await fsp.readFile(`${root}/CHECKSUMS`, 'utf8')).trimEnd().split('\n');
  const respelled = lines.map((l) => l.replace('  a/b', '  ./a//b'));
  await fsp.writeFile(`${root}/CHECKSUMS`, respelled.join('\r\n'));
  await assert.rejects(verifyChecksums(root), (err: Error) => codeOf('CHECKSUMS_MALFORMED')(err) && /CRLF/.test(err.message));
  await fsp.writeFile(`${root}/CHECKSUMS`, respelled.join('\n'));
  assert.deepEqual(await verifyChecksums(root), { verified: 2, unlisted: [], unlistedCount: 0 });
  for (let i = 0; i < 150; i++) await fsp.writeFile(`${root}/x${String(i).padStart(3, '0')}`, '');
  const res = await verifyChecksums(root);
  assert.equal(res.unlistedCount, 150);
  assert.equal(res.unlisted.length, 100);
  assert.equal(String(res.unlisted[0]), 'x000');
});

test('verify refuses symlinks along a listed path', async () => {
  const { root } = await written({ 'real/f': 'x' });
  await fsp.rename(`${root}/real`, `${root}/elsewhere`);
  await fsp.symlink(`${root}/elsewhere`, `${root}/real`);
  await assert.rejects(verifyChecksums(root), codeOf('CHECKSUMS_SYMLINK_ESCAPE'));
});

test('verify refuses a listed file that is a symlink, also after clean files of the same directory', async () => {
  const { root } = await written({ 'd/a': 'x', 'd/b': 'y', 'd/c': 'z' });
  await fsp.writeFile(`${root}/elsewhere`, 'y');
  await fsp.rm(`${root}/d/b`);
  await fsp.symlink(`${root}/elsewhere`, `${root}/d/b`);
  await assert.rejects(verifyChecksums(root), (err: Error) => codeOf('CHECKSUMS_SYMLINK_ESCAPE')(err) && /d\/b/.test(JSON.stringify(err)));
});

test('verify refuses malformed lines and paths escaping the root with the line number', async () => {
  const bad = [
    `${HEX_EMPTY.toUpperCase()}  a`,
    `${HEX_EMPTY} a`,
    `${HEX_EMPTY}  `,
    `\\${HEX_EMPTY}  a\\tb`,
    `\\${HEX_EMPTY}  a\\`,
    `${HEX_EMPTY.slice(1)}  a`,
  ];
  for (const line of bad) await assert.rejects(verifyChecksums(await listing(`${line}\n`)), codeOf('CHECKSUMS_MALFORMED'), line);
  for (const p of ['../x', '/abs', 'a/../../x', '.']) {
    await assert.rejects(verifyChecksums(await listing(`${HEX_EMPTY}  ${p}\n`)), (err: unknown) => codeOf('CHECKSUMS_PATH_TRAVERSAL')(err) || codeOf('CHECKSUMS_MALFORMED')(err), p);
  }
  const second = await listing(`${HEX_EMPTY}  a\n${HEX_EMPTY}  ../b\n`, ['a']);
  const lineOf = (err: unknown): number | undefined => (err as { context?: { line?: number } }).context?.line;
  await assert.rejects(verifyChecksums(second), (err: unknown) => lineOf(err) === 2);
  const text = `${HEX_EMPTY} *m\n\n\\${HEX_EMPTY}  n\\nl\n`;
  const ok = await listing(text, ['m', 'n\nl']);
  assert.deepEqual(await verifyChecksums(ok), { verified: 2, unlisted: [], unlistedCount: 0 });
});
