// Hostile files around the commands (issue 15): FIFOs, directories, symlinks and sockets where a regular file is
// expected, an oversized sidecar, CHECKSUMS that encode would not accept, control bytes in names, deep JSON, and
// an S3 body far larger than its recorded size. Every case must end promptly with one coded line.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';
import { runCliProcess } from '../helpers/cli-process.ts';

const SAMPLE = new URL('../../examples/sample.fsm', import.meta.url).pathname;
const cli = (args: string[]) => runCli('elastickv-snapshot', args);

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

function mksocket(path: string): void {
  execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', path]);
}

/** A decoded copy of the sample snapshot. */
async function sampleTree(): Promise<string> {
  const dir = await tempDir('ekv-hostile-');
  const tree = join(dir, 'tree');
  const r = await cli(['decode', '--quiet', '--input', SAMPLE, '--output', tree]);
  assert.equal(r.code, 0, r.stderr);
  return tree;
}

/** Asserts exactly one line on stderr carrying `code`. */
function oneCodedLine(stderr: string, code: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0] as string, new RegExp(`error \\[${code}\\]`), stderr);
}

for (const cmd of ['verify'] as const) {
  test(`${cmd} --input FIFO is refused at once (exit 1, INPUT_NOT_FILE), never blocks`, async () => {
    const dir = await tempDir('ekv-fifo-');
    const fifo = join(dir, 'f.fsm');
    mkfifo(fifo);
    const r = await runCliProcess([cmd, '--quiet', '--input', fifo], { timeoutMs: 30_000 });
    assert.equal(r.hung, false, 'the command blocked on the FIFO');
    assert.equal(r.code, 1, r.stderr);
    oneCodedLine(r.stderr, 'INPUT_NOT_FILE');
    assert.match(r.stderr, /f\.fsm: not a regular file \(FIFO\)/);
  });
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`decode and inspect blocked reading a named pipe whose writer sends nothing end on ${signal} (exit status 128+signal)`, async () => {
    for (const cmd of ['decode', 'inspect']) {
      const dir = await tempDir('ekv-fifo-');
      const fifo = join(dir, 'f.fsm');
      mkfifo(fifo);
      const writer = spawn('sh', ['-c', 'exec sleep 120 > "$0"', fifo], { stdio: 'ignore' });
      let pid = 0;
      const args = [cmd, '--quiet', '--input', fifo, ...(cmd === 'decode' ? ['--output', join(dir, 'out')] : [])];
      const run = runCliProcess(args, { timeoutMs: 30_000, onSpawn: (p) => (pid = p) });
      // Wait until the child holds the pipe open (its read then blocks a worker thread), then signal it.
      const holdsPipe = async (): Promise<boolean> => {
        const fds = await fsp.readdir(`/proc/${pid}/fd`).catch(() => []);
        for (const fd of fds) if ((await fsp.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === fifo) return true;
        return false;
      };
      while (!(await holdsPipe())) await new Promise((r) => setTimeout(r, 20));
      process.kill(pid, signal);
      const r = await run;
      writer.kill();
      assert.equal(r.hung, false, `the process survived ${signal}`);
      assert.equal(r.signal, signal, `${r.code} ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`interrupted by ${signal}`));
      assert.deepEqual(await fsp.readdir(dir), ['f.fsm']);
    }
  });
}

test('verify TREE: CHECKSUMS or a listed file as a FIFO is a data error, never a hang', async () => {
  for (const victim of ['CHECKSUMS', 'redis/db_0/strings/a.bin']) {
    const tree = await sampleTree();
    await fsp.rm(join(tree, victim));
    mkfifo(join(tree, victim));
    const r = await runCliProcess(['verify', '--input', tree], { timeoutMs: 30_000 });
    assert.equal(r.hung, false, `verify blocked on ${victim}`);
    assert.equal(r.code, 2, r.stderr);
    oneCodedLine(r.stderr, 'TREE_NOT_REGULAR');
  }
});

test('verify FILE.fsm: a sidecar that is a FIFO, a directory, a symlink or over the cap is an error, not "no sidecar"', async () => {
  const cases: Array<[string, (p: string) => Promise<void>, string]> = [
    ['fifo', async (p) => { mkfifo(p); }, 'ENCODE_INFO_NOT_REGULAR'],
    ['dir', async (p) => fsp.mkdir(p), 'ENCODE_INFO_NOT_REGULAR'],
    ['symlink', async (p) => fsp.symlink('/etc/hostname', p), 'ENCODE_INFO_SYMLINK'],
    [
      'sparse 3 GiB',
      async (p) => {
        const fh = await fsp.open(p, 'w');
        await fh.truncate(3 * 1024 * 1024 * 1024);
        await fh.close();
      },
      'ENCODE_INFO_TOO_LARGE',
    ],
  ];
  for (const [name, make, code] of cases) {
    const dir = await tempDir('ekv-sidecar-');
    const fsm = join(dir, 's.fsm');
    await fsp.copyFile(SAMPLE, fsm);
    await make(`${fsm}.encode_info.json`);
    const r = await runCliProcess(['verify', '--quiet', '--input', fsm], { timeoutMs: 30_000 });
    assert.equal(r.hung, false, name);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    oneCodedLine(r.stderr, code);
  }
});

test('verify TREE: a directory where CHECKSUMS lists a file is a coded data error', async () => {
  const tree = await sampleTree();
  const victim = join(tree, 'redis/db_0/strings/a.bin');
  await fsp.rm(victim);
  await fsp.mkdir(victim);
  const r = await cli(['verify', '--input', tree]);
  assert.equal(r.code, 2, r.stderr);
  oneCodedLine(r.stderr, 'TREE_NOT_REGULAR');
  assert.match(r.stdout, /FAILED \[TREE_NOT_REGULAR\]: redis\/db_0\/strings\/a\.bin: not a regular file \(directory\)/);
});

test('verify TREE: an unlisted symlink, FIFO or socket fails verification', async () => {
  const makers: Array<[string, (p: string) => Promise<void>, string]> = [
    ['symlink', (p) => fsp.symlink('a.bin', p), 'TREE_SYMLINK'],
    ['fifo', async (p) => { mkfifo(p); }, 'TREE_NOT_REGULAR'],
    ['socket', async (p) => { mksocket(p); }, 'TREE_NOT_REGULAR'],
  ];
  for (const [name, make, code] of makers) {
    const tree = await sampleTree();
    await make(join(tree, 'redis/db_0/strings/extra'));
    const r = await cli(['verify', '--input', tree]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    oneCodedLine(r.stderr, code);
    assert.match(r.stdout, new RegExp(`FAILED \\[${code}\\]: redis/db_0/strings/extra`));
  }
});

test('verify TREE: duplicated or unsorted CHECKSUMS lines and CRLF endings are refused', async () => {
  const edits: Array<[string, (lines: string[]) => string, string]> = [
    ['duplicate', (l) => [l[0], ...l].join('\n') + '\n', 'CHECKSUMS_DUPLICATE'],
    ['unsorted', (l) => [l[1], l[0], ...l.slice(2)].join('\n') + '\n', 'CHECKSUMS_UNSORTED'],
    ['crlf', (l) => l.join('\r\n') + '\r\n', 'CHECKSUMS_MALFORMED'],
  ];
  for (const [name, edit, code] of edits) {
    const tree = await sampleTree();
    const file = join(tree, 'CHECKSUMS');
    const lines = (await fsp.readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    await fsp.writeFile(file, edit(lines));
    const r = await cli(['verify', '--input', tree]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    oneCodedLine(r.stderr, code);
  }
});

test('a file name holding a newline or other control bytes keeps the error on one line', async () => {
  const tree = await sampleTree();
  await fsp.writeFile(join(tree, 'redis/db_0/strings/evil\nname\x1b[31m.bin'), 'x');
  const r = await cli(['verify', '--input', tree]);
  assert.equal(r.code, 2, r.stderr);
  oneCodedLine(r.stderr, 'CHECKSUMS_UNLISTED_FILE');
  assert.deepEqual(r.stdout.split('\n').filter((l) => l !== '').length, 1, r.stdout);
  assert.ok(r.stdout.includes('evil\\nname\\x1b[31m.bin'), r.stdout);
});

test('deeply nested JSON in a tree is a coded data error naming the file, not a stack overflow', async () => {
  const tree = await sampleTree();
  const item = join(tree, 'dynamodb/orders/items/u1/3%2F2.json');
  const doc = JSON.parse(await fsp.readFile(item, 'utf8')) as Record<string, unknown>;
  let deep: unknown = { S: 'bottom' };
  for (let i = 0; i < 2000; i++) deep = { M: { a: deep } };
  doc['deep'] = deep;
  await fsp.writeFile(item, JSON.stringify(doc));
  const out = join(tree, '..', 'out.fsm');
  let r = await cli(['encode', '--quiet', '--input', tree, '--output', out]);
  assert.equal(r.code, 2, r.stderr);
  oneCodedLine(r.stderr, 'DDB_ENCODE_INVALID_ITEM');
  assert.match(r.stderr, /3%2F2\.json.*max depth/);

  const tree2 = await sampleTree();
  await fsp.writeFile(join(tree2, 's3/photos/_bucket.json'), '['.repeat(100_000));
  r = await cli(['encode', '--quiet', '--adapter', 's3', '--input', tree2, '--output', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /_bucket\.json.*max depth/);
});

test('an S3 body far larger than its size_bytes is refused from its size, before it is streamed', async () => {
  const tree = await sampleTree();
  const sidecars = execFileSync('find', [join(tree, 's3'), '-name', '*.elastickv-meta.json'], { encoding: 'utf8' }).trim().split('\n');
  const sidecar = sidecars[0] as string;
  const body = sidecar.slice(0, -'.elastickv-meta.json'.length);
  const fh = await fsp.open(body, 'r+');
  await fh.truncate(2 * 1024 * 1024 * 1024);
  await fh.close();
  const scratch = await tempDir('ekv-s3-scratch-');
  const r = await cli(['encode', '--quiet', '--adapter', 's3', '--input', tree, '--output', join(scratch, 'out.fsm')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /size_bytes \d+ != body length 2147483648/);
});
