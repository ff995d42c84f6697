// The command line as people who run backups expect it (issue 16): outputs are never clobbered by surprise,
// stray words and typos are refused with a useful message, help and version behave like other tools, and
// file-system failures arrive as coded errors naming the user's path.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { codedSystemError } from '../../src/cli/system-error.ts';
import { PACKAGE_VERSION } from '../../src/version.ts';
import { decodeWith, tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { echoAdapter } from '../helpers/echo-adapter.ts';
import { buildFsm } from '../helpers/fsm.ts';

const adapters = [echoAdapter('redis', '!echo|'), echoAdapter('sqs', '!echo|sqs|'), echoAdapter('dynamodb', '!echo|ddb|'), echoAdapter('s3', '!echo|s3|')];
const main = (args: string[]) => runCli('elastickv-snapshot', args, adapters);
const dropInEncode = (args: string[]) => runCli('elastickv-snapshot-encode', args, adapters);
const dropInDecode = (args: string[]) => runCli('elastickv-snapshot-decode', args, adapters);

async function fixture(): Promise<{ dir: string; fsm: string; tree: string }> {
  const bytes = buildFsm(7n, [{ key: '!echo|a', value: 'A' }]);
  const { tree } = await decodeWith(adapters, bytes, { selected: ['dynamodb', 's3', 'redis', 'sqs'] });
  const dir = await tempDir('ekv-conv-');
  const fsm = join(dir, 'in.fsm');
  await fsp.writeFile(fsm, bytes);
  return { dir, fsm, tree };
}

test('encode refuses an existing output file unless --force; the drop-in replaces a regular file like the reference', async () => {
  const { dir, tree } = await fixture();
  const out = join(dir, 'out.fsm');
  await fsp.writeFile(out, 'precious');
  const r = await main(['encode', '--input', tree, '--output', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^elastickv-snapshot encode: error \[OUTPUT_EXISTS\]: .*out\.fsm: output file exists; choose a new path, or pass --force/);
  assert.equal(await fsp.readFile(out, 'utf8'), 'precious');
  assert.equal((await main(['encode', '--input', tree, '--output', out, '--force'])).code, 0);
  assert.notEqual(await fsp.readFile(out, 'utf8'), 'precious');
  await fsp.writeFile(out, 'again');
  assert.equal((await dropInEncode(['--input', tree, '--output', out])).code, 0);
  assert.notEqual(await fsp.readFile(out, 'utf8'), 'again');
  assert.match((await main(['help', 'encode'])).stdout, /--force/);
  assert.doesNotMatch((await dropInEncode(['--help'])).stdout, /--force/);
});

test('encode never replaces a directory, FIFO or symlink, --force or not, main CLI or drop-in', async () => {
  const { dir, tree } = await fixture();
  const target = join(dir, 'target');
  await fsp.writeFile(target, 'keep me');
  const cases: Array<[string, () => Promise<void>, RegExp]> = [
    ['a-dir', async () => fsp.mkdir(join(dir, 'a-dir')), /is a directory/],
    ['a-fifo', async () => void execFileSync('mkfifo', [join(dir, 'a-fifo')]), /is a FIFO/],
    ['a-link', async () => fsp.symlink(target, join(dir, 'a-link')), /is a symbolic link/],
  ];
  for (const [name, make, why] of cases) {
    await make();
    const out = join(dir, name);
    for (const r of [await main(['encode', '--input', tree, '--output', out, '--force']), await dropInEncode(['--input', tree, '--output', out])]) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /\[OUTPUT_NOT_REGULAR\]/);
      assert.match(r.stderr, why);
    }
  }
  assert.equal(await fsp.readFile(target, 'utf8'), 'keep me');
  assert.ok((await fsp.lstat(join(dir, 'a-fifo'))).isFIFO());
  assert.ok((await fsp.lstat(join(dir, 'a-link'))).isSymbolicLink());
  assert.deepEqual(await fsp.readdir(join(dir, 'a-dir')), []);
});

test('encode refuses an output inside its input tree', async () => {
  const { tree } = await fixture();
  for (const out of [join(tree, 'x.fsm'), join(tree, 'redis', 'x.fsm')]) {
    const r = await main(['encode', '--input', tree, '--output', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[OUTPUT_INSIDE_INPUT\]/);
    await assert.rejects(fsp.lstat(out));
  }
});

test('a missing parent directory is a coded exit-1 error for decode and encode alike; nothing is created', async () => {
  const { dir, fsm, tree } = await fixture();
  const d = await main(['decode', '--input', fsm, '--output', join(dir, 'nodir', 'deeper', 'tree')]);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /\[OUTPUT_PARENT_MISSING\].*nodir\/deeper does not exist/);
  const e = await main(['encode', '--input', tree, '--output', join(dir, 'nodir', 'deeper', 'y.fsm')]);
  assert.equal(e.code, 1);
  assert.match(e.stderr, /\[OUTPUT_PARENT_MISSING\].*nodir\/deeper does not exist/);
  assert.equal((await dropInDecode(['--input', fsm, '--output', join(dir, 'nodir', 't')])).code, 1);
  await assert.rejects(fsp.stat(join(dir, 'nodir')));
});

test('stray positional arguments are refused with exit 1', async () => {
  const { dir, fsm, tree } = await fixture();
  const r = await main(['decode', '--input', fsm, '--output', join(dir, 'o'), '--adapter', 'redis', 's3']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ARGS_UNEXPECTED\]: unexpected argument "s3"/);
  await assert.rejects(fsp.stat(join(dir, 'o')));
  assert.equal((await dropInDecode(['--input', fsm, '--output', join(dir, 'o'), 'extra'])).code, 1);
  assert.equal((await dropInEncode(['--input', tree, '--output', join(dir, 'o.fsm'), 'extra'])).code, 1);
  assert.equal((await main(['verify', '--input', tree, 'x'])).code, 1);
  assert.equal((await main(['inspect', '--input', fsm, 'x'])).code, 1);
});

test('a flag typo is reported once, as typed, with a suggestion', async () => {
  const { dir, fsm } = await fixture();
  const r = await main(['decode', '--inptu', fsm, '--output', join(dir, 'o')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'elastickv-snapshot decode: error [FLAG_INVALID]: flag provided but not defined: --inptu; did you mean --input?\n');
  const single = await dropInDecode(['-outptu', 'x']);
  assert.equal(single.stderr, 'elastickv-snapshot-decode: error [FLAG_INVALID]: flag provided but not defined: -outptu; did you mean --output?\n');
  assert.match((await main(['decod'])).stderr, /unknown command "decod"; did you mean decode\?/);
});

test('usage lines name the subcommand; --version is in the help and works everywhere, -version in the drop-ins', async () => {
  for (const sub of ['decode', 'encode', 'inspect', 'verify']) {
    const h = await main(['help', sub]);
    assert.equal(h.code, 0);
    assert.match(h.stdout, new RegExp(`^Usage: elastickv-snapshot ${sub} --input`));
    assert.match(h.stdout, /--version +print the version/);
    assert.equal((await main([sub, '--help'])).stdout, h.stdout);
    assert.equal((await main([sub, '--version'])).stdout, `${PACKAGE_VERSION}\n`);
  }
  assert.match((await main(['help'])).stdout, /--version/);
  for (const run of [dropInDecode, dropInEncode]) {
    const v = await run(['-version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `${PACKAGE_VERSION}\n`);
    assert.match((await run(['-h'])).stdout, /^Usage: elastickv-snapshot-(de|en)code --input/);
  }
});

test('no arguments: help on stderr and exit 1; an explicit help: stdout and exit 0', async () => {
  const none = await main([]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^elastickv-snapshot .*\n\nUsage: elastickv-snapshot <command>/);
  for (const args of [['help'], ['--help'], ['-h']]) {
    const h = await main(args);
    assert.equal(h.code, 0);
    assert.equal(h.stderr, '');
    assert.equal(h.stdout, none.stderr);
  }
});

test('file-system failures become coded errors naming the user path, never a temporary one', async () => {
  const { dir, fsm } = await fixture();
  const notDir = join(dir, 'file');
  await fsp.writeFile(notDir, '');
  const r = await main(['decode', '--input', fsm, '--output', join(dir, 'o'), '--scratch-root', notDir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^elastickv-snapshot decode: error \[IO_ERROR\]: \S*\/file\/\.o\.scratch-[0-9a-f]+: cannot examine: not a directory \(ENOTDIR\)\n$/);
  await assert.rejects(fsp.stat(join(dir, 'o')));
  const missing = await fsp.open(join(dir, 'missing')).catch((e: unknown) => e);
  const coded = codedSystemError(missing);
  assert.equal(coded?.code, 'IO_ERROR');
  assert.equal(coded.exitClass, 'user');
  assert.equal(coded.message, `${join(dir, 'missing')}: cannot open: no such file or directory (ENOENT)`);
  const tmp = Object.assign(new Error("ENOENT: no such file or directory, open 'nodir/y.fsm.tmp-0123456789abcdef'"), { code: 'ENOENT', syscall: 'open', path: 'nodir/y.fsm.tmp-0123456789abcdef' });
  assert.equal(codedSystemError(tmp)?.message, 'nodir/y.fsm: cannot open: no such file or directory (ENOENT)');
  const staged = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/data/.tree.partial-0123456789abcdef/redis/db_0/x' });
  assert.equal(codedSystemError(staged)?.message, '/data/tree/redis/db_0/x: cannot write: no space left on device (ENOSPC)');
  assert.equal(codedSystemError(new Error('plain')), undefined);
});

test('messages carry no "backup:" prefix copied from the reference', async () => {
  const { dir, fsm } = await fixture();
  const b = await fsp.readFile(fsm);
  await fsp.writeFile(fsm, b.subarray(0, b.length - 2));
  const r = await main(['decode', '--input', fsm, '--output', join(dir, 'o')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\[SNAPSHOT_TRUNCATED\]: .*: snapshot truncated mid-entry\n$/);
  assert.doesNotMatch(r.stderr, /backup:/);
});
