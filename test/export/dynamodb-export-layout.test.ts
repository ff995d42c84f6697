// export dynamodb --format dynamodb-export: every item of the tree is in exactly one data file line as
// {"Item":{…}} (the tree's DynamoDB JSON), the manifests count and checksum the files, filters apply.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

const sample = new URL('../../examples/sample.fsm', import.meta.url).pathname;

/** Every item file of the tree's table `dir`, as canonical JSON text. */
async function treeItems(tree: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(p: string): Promise<void> {
    for (const e of await fsp.readdir(p, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(p, e.name));
      else out.push(canonical(JSON.parse(await fsp.readFile(join(p, e.name), 'utf8'))));
    }
  }
  await walk(join(tree, 'dynamodb', dir, 'items'));
  return out.sort();
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

interface Summary { itemCount: number; manifestFilesS3Key: string; outputFormat: string }
interface FileLine { itemCount: number; md5Checksum: string; etag: string; dataFileS3Key: string }

/** Reads one table's export: its items (canonical JSON) after checking manifests and checksums. */
async function exportedItems(root: string): Promise<string[]> {
  const [exportDir] = await fsp.readdir(join(root, 'AWSDynamoDB'));
  const base = join(root, 'AWSDynamoDB', exportDir!);
  const summary = JSON.parse(await fsp.readFile(join(base, 'manifest-summary.json'), 'utf8')) as Summary;
  assert.equal(summary.outputFormat, 'DYNAMODB_JSON');
  const filesText = await fsp.readFile(join(root, summary.manifestFilesS3Key), 'utf8');
  assert.equal(await fsp.readFile(join(base, 'manifest-files.md5'), 'utf8'), createHash('md5').update(filesText).digest('base64'));
  const items: string[] = [];
  let total = 0;
  for (const line of filesText.split('\n').filter((l) => l !== '')) {
    const f = JSON.parse(line) as FileLine;
    const gz = await fsp.readFile(join(root, f.dataFileS3Key));
    assert.equal(f.md5Checksum, createHash('md5').update(gz).digest('base64'));
    assert.equal(f.etag, createHash('md5').update(gz).digest('hex'));
    const lines = gunzipSync(gz).toString('utf8').split('\n').filter((l) => l !== '');
    assert.equal(lines.length, f.itemCount);
    total += f.itemCount;
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      assert.deepEqual(Object.keys(o), ['Item']);
      items.push(canonical(o['Item']));
    }
  }
  assert.equal(summary.itemCount, total);
  return items.sort();
}

test('dynamodb-export layout: every item once, manifests consistent with the data files', async () => {
  const dir = await tempDir('ekv-ddb-export-');
  const tree = join(dir, 'tree');
  assert.equal((await runCli('elastickv-snapshot', ['decode', '--input', sample, '--output', tree, '--quiet'])).code, 0);
  const out = join(dir, 'export');
  const r = await runCli('elastickv-snapshot', ['export', 'dynamodb', '--input', tree, '--format', 'dynamodb-export', '--output', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const tables = (await fsp.readdir(join(tree, 'dynamodb'))).sort();
  assert.deepEqual((await fsp.readdir(out)).sort(), tables);
  let n = 0;
  for (const t of tables) {
    const want = await treeItems(tree, t);
    assert.deepEqual(await exportedItems(join(out, t)), want, t);
    n += want.length;
  }
  assert.match(r.stderr, new RegExp(`records=${n} `));
  const again = await runCli('elastickv-snapshot', ['export', 'dynamodb', '--input', tree, '--format', 'dynamodb-export', '--output', out, '--quiet']);
  assert.equal(again.code, 1, 'an existing output is refused');
});

test('dynamodb-export from an .fsm with a filter; --dry-run writes nothing', async () => {
  const dir = await tempDir('ekv-ddb-export-');
  const out = join(dir, 'export');
  const r = await runCli('elastickv-snapshot', ['export', 'dynamodb', '--input', sample, '--format', 'dynamodb-export', '--output', out, '--include', 'dynamodb:table=orders', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await fsp.readdir(out), ['orders']);
  const dry = await runCli('elastickv-snapshot', ['export', 'dynamodb', '--input', sample, '--format', 'dynamodb-export', '--output', join(dir, 'dry'), '--dry-run', '--quiet']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /dry run: would export to dynamodb-export .*records=[1-9]/);
  await assert.rejects(fsp.access(join(dir, 'dry')));
});
