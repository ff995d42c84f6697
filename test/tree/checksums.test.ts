// CHECKSUMS (core.md §3.4): the listing `sha256sum -c` accepts, escaped names, and every verify failure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { test } from 'node:test';
import { checksumLine, parseChecksums, verifyChecksums, writeChecksums } from '../../src/tree/checksums.ts';
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

const codeOf = (code: string) => (err: unknown) => (err as { code?: string }).code === code;

test('lines: plain and GNU-escaped forms, invalid UTF-8 replaced only in escaped names', () => {
  assert.equal(checksumLine(HEX_EMPTY, Buffer.from('a/b c')).toString(), `${HEX_EMPTY}  a/b c\n`);
  assert.equal(checksumLine(HEX_EMPTY, Buffer.from('a\nb\\c\rd')).toString(), `\\${HEX_EMPTY}  a\\nb\\\\c\\rd\n`);
  assert.deepEqual(checksumLine(HEX_EMPTY, Buffer.from([0x61, 0xff])).subarray(-3), Buffer.from([0x61, 0xff, 0x0a]));
  assert.deepEqual(checksumLine(HEX_EMPTY, Buffer.from([0x5c, 0xff])).subarray(-5), Buffer.from([0x5c, 0xef, 0xbf, 0xbd, 0x0a]));
});

test('written CHECKSUMS is sorted bytewise, skips itself, and passes sha256sum -c', async () => {
  const root = await tree({ 'b.txt': 'bee', 'a/z.json': '{}', 'MANIFEST.json': 'm', 'with space': '', 'CHECKSUMS': 'stale' });
  assert.equal(await writeChecksums(root), 4);
  const text = await fsp.readFile(`${root}/CHECKSUMS`, 'utf8');
  assert.deepEqual(text.trimEnd().split('\n').map((l) => l.slice(66)), ['MANIFEST.json', 'a/z.json', 'b.txt', 'with space']);
  execFileSync('sha256sum', ['-c', '--quiet', 'CHECKSUMS'], { cwd: root });
  assert.deepEqual(await verifyChecksums(root), { verified: 4, unlisted: [] });
});

test('a name with a newline round-trips through the escaped form and sha256sum', async () => {
  const root = await tree({ 'new\nline': 'x', 'back\\slash': 'y' });
  await writeChecksums(root);
  execFileSync('sha256sum', ['-c', '--quiet', 'CHECKSUMS'], { cwd: root });
  assert.equal((await verifyChecksums(root)).verified, 2);
});

test('verify: mismatch, missing file, unlisted file, empty listing', async () => {
  const root = await tree({ 'a': '1', 'b': '2' });
  await writeChecksums(root);
  await fsp.writeFile(`${root}/extra`, 'e');
  assert.deepEqual((await verifyChecksums(root)).unlisted.map(String), ['extra']);
  await fsp.writeFile(`${root}/b`, 'changed');
  await assert.rejects(verifyChecksums(root), (err: Error) => codeOf('CHECKSUM_MISMATCH')(err) && /b: have [0-9a-f]{64} want/.test(err.message));
  await fsp.rm(`${root}/b`);
  await assert.rejects(verifyChecksums(root), (err: Error) => /b: missing on disk/.test(err.message));
  await fsp.writeFile(`${root}/CHECKSUMS`, '\n\n');
  await assert.rejects(verifyChecksums(root), codeOf('CHECKSUMS_EMPTY'));
});

test('verify refuses symlinks along a listed path', async () => {
  const root = await tree({ 'real/f': 'x' });
  await writeChecksums(root);
  await fsp.rename(`${root}/real`, `${root}/elsewhere`);
  await fsp.symlink(`${root}/elsewhere`, `${root}/real`);
  await assert.rejects(verifyChecksums(root), codeOf('CHECKSUMS_SYMLINK_ESCAPE'));
});

test('parse: malformed lines and paths escaping the root are refused with the line number', () => {
  const bad = [
    `${HEX_EMPTY.toUpperCase()}  a`,
    `${HEX_EMPTY} a`,
    `${HEX_EMPTY}  `,
    `\\${HEX_EMPTY}  a\\tb`,
    `\\${HEX_EMPTY}  a\\`,
    `${HEX_EMPTY.slice(1)}  a`,
  ];
  for (const line of bad) assert.throws(() => parseChecksums(Buffer.from(`${line}\n`)), codeOf('CHECKSUMS_MALFORMED'), line);
  for (const p of ['../x', '/abs', 'a/../../x', '.']) {
    assert.throws(() => parseChecksums(Buffer.from(`${HEX_EMPTY}  ${p}\n`)), (err: unknown) => codeOf('CHECKSUMS_PATH_TRAVERSAL')(err) || codeOf('CHECKSUMS_MALFORMED')(err), p);
  }
  assert.throws(() => parseChecksums(Buffer.from(`${HEX_EMPTY}  a\n${HEX_EMPTY}  ../b\n`)), (err: unknown) => (err as { context?: { line?: number } }).context?.line === 2);
  const ok = parseChecksums(Buffer.from(`${HEX_EMPTY} *star\n\n\\${HEX_EMPTY}  n\\nl\n`));
  assert.deepEqual(ok.map((r) => r.rel.toString()), ['star', 'n\nl']);
});
