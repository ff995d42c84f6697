// Bodies of large S3 objects written ahead into provisional files of the tree and adopted by a rename, and every
// case that falls back to copying the body together (chunks out of assembly order, other part versions, a tree
// writer without provisional files), with --salvage and --include-orphans: bodies and digests are the same either
// way, and no provisional file is left in the tree.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_DECODE_SWITCHES, type DamagedUnit, type DecodeSwitches } from '../../../src/adapters/adapter.ts';
import { S3Decoder } from '../../../src/adapters/s3/decode.ts';
import { S3_KIND, type S3Kind } from '../../../src/adapters/s3/routes.ts';
import { DataError } from '../../../src/errors.ts';
import { ExternalSorter } from '../../../src/sort/external-sort.ts';
import { DigestLedger } from '../../../src/tree/digest-ledger.ts';
import { DiskTreeWriter, type ProvisionalFile, type TreeWriter } from '../../../src/tree/writer.ts';
import { decodeWith, readTree, tempDir } from '../../helpers/adapter-harness.ts';
import { buildFsm, type FsmRow } from '../../helpers/fsm.ts';
import { s3Adapter } from '../../../src/adapters/s3/index.ts';
import { blobKey, manifestKey, seg } from './rows.ts';

const KiB = 1024;
const body = (size: number, fill: number): Buffer => {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + fill) & 0xff;
  return b;
};
const meta: FsmRow = { key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg('b')]), value: '{"bucket_name":"b","generation":1}' };
const part = (no: number, sizes: number[], version = 0): string =>
  `{"part_no":${no},"chunk_count":${sizes.length},"chunk_sizes":[${sizes.join(',')}],"part_version":${version}}`;
const head = (object: string, size: number, parts: string[]): FsmRow => ({
  key: manifestKey('b', 1n, object),
  value: `{"upload_id":"u","size_bytes":${size},"parts":[${parts.join(',')}]}`,
});
const chunk = (object: string, partNo: bigint, chunkNo: bigint, value: Buffer, version?: bigint): FsmRow => ({
  key: blobKey('b', 1n, object, 'u', partNo, chunkNo, version),
  value,
});

function kindOf(key: Buffer): S3Kind {
  const s = key.toString('latin1');
  if (s.startsWith('!s3|bucket|meta|')) return S3_KIND.bucketMeta;
  if (s.startsWith('!s3|obj|head|')) return S3_KIND.manifest;
  if (s.startsWith('!s3|blob|')) return S3_KIND.blob;
  throw new Error(`no kind for ${s}`);
}

interface Run {
  readonly root: string;
  readonly files: Map<string, Buffer>;
  readonly digests: Map<string, string>;
  /** Provisional files started, and the paths they were adopted at. */
  readonly started: number;
  readonly adopted: string[];
  readonly damaged: DamagedUnit[];
}

/**
 * Runs the S3 decoder over rows (in key order, as a snapshot holds them) into a DiskTreeWriter with a digest
 * ledger, watching its provisional files; `provisional: false` hides them (as the archive and self-test writers).
 */
async function run(
  rows: FsmRow[],
  opts: { provisional?: boolean; salvage?: boolean; switches?: Partial<DecodeSwitches> } = {},
): Promise<Run> {
  const root = join(await tempDir(), 'tree');
  const ledger = new DigestLedger({ scratchDir: await tempDir(), memoryBudget: 1 << 20 });
  const disk = new DiskTreeWriter(root, ledger);
  let started = 0;
  const adopted: string[] = [];
  const watched = (): ProvisionalFile => {
    started++;
    const file = disk.provisional();
    const adopt = file.adopt.bind(file);
    return Object.assign(file, {
      adopt: async (rel: string | Buffer): Promise<void> => {
        adopted.push(rel.toString());
        await adopt(rel);
      },
    });
  };
  const tree: TreeWriter = {
    mkdir: (rel) => disk.mkdir(rel),
    create: (rel) => disk.create(rel),
    writeFile: (rel, data) => disk.writeFile(rel, data),
    remove: disk.remove,
    provisional: opts.provisional === false ? undefined : watched,
  };
  const damaged: DamagedUnit[] = [];
  const scratchDir = await tempDir();
  const decoder = new S3Decoder({
    tree,
    scratchDir,
    switches: { ...DEFAULT_DECODE_SWITCHES, ...opts.switches },
    warn: () => undefined,
    filtered: false,
    snapshotTimeMs: 0n,
    expiredSkipped: () => undefined,
    memoryBudget: 1 << 20,
    newSorter: () => new ExternalSorter({ scratchDir, memoryBudget: 1 << 20 }),
    damaged: async (unit) => {
      if (opts.salvage !== true) throw unit.error;
      damaged.push(unit);
    },
  });
  const sorted = [...rows].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  for (const r of sorted) await decoder.handle(kindOf(Buffer.from(r.key)), Buffer.from(r.key), Buffer.from(r.value ?? ''));
  await decoder.finalize();
  await disk.settle();
  const digests = new Map<string, string>();
  for await (const d of ledger.digests()) digests.set(d.rel.toString(), d.hex);
  return { root, files: await readTree(root), digests, started, adopted, damaged };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Every file of the tree has its digest in the ledger and none is a provisional file. */
function assertClean(r: Run): void {
  for (const [rel, bytes] of r.files) {
    assert.ok(!rel.includes('.provisional-'), `${rel} left in the tree`);
    assert.equal(r.digests.get(rel), sha(bytes), `digest of ${rel}`);
  }
  assert.deepEqual([...r.digests.keys()].sort(), [...r.files.keys()].sort());
}

test('bodies whose chunks arrive in assembly order are their provisional files, adopted by a rename', async () => {
  const a = [body(300 * KiB, 1), body(300 * KiB, 2), body(100 * KiB, 3)];
  const c = [body(400 * KiB, 4)];
  const r = await run([
    meta,
    chunk('dir/a', 1n, 0n, a[0] as Buffer),
    chunk('dir/a', 1n, 1n, a[1] as Buffer),
    chunk('dir/a', 2n, 0n, a[2] as Buffer),
    head('dir/a', 700 * KiB, [part(1, [300 * KiB, 300 * KiB]), part(2, [100 * KiB])]),
    chunk('c', 1n, 0n, c[0] as Buffer),
    head('c', 400 * KiB, [part(1, [400 * KiB])]),
  ]);
  assert.equal(r.started, 2);
  assert.deepEqual(r.adopted.sort(), ['s3/b/c', 's3/b/dir/a']);
  assert.deepEqual(r.files.get('s3/b/dir/a'), Buffer.concat(a));
  assert.deepEqual(r.files.get('s3/b/c'), Buffer.concat(c));
  assertClean(r);
});

test('fallbacks: chunks out of assembly order, other part versions, small objects, no provisional files', async () => {
  const v1 = [body(300 * KiB, 1), body(300 * KiB, 2)];
  const v2 = body(300 * KiB, 3);
  // Key order is chunk then version: chunk 0 v1, chunk 0 v2, chunk 1 v1 breaks the assembly order (version first).
  const rows = [
    meta,
    chunk('o', 1n, 0n, v1[0] as Buffer, 1n),
    chunk('o', 1n, 0n, v2, 2n),
    chunk('o', 1n, 1n, v1[1] as Buffer, 1n),
    head('o', 600 * KiB, [part(1, [300 * KiB, 300 * KiB], 1)]),
    // In order, but the provisional file holds a chunk of another version ahead of the body.
    chunk('p', 1n, 0n, v2, 1n),
    chunk('p', 1n, 0n, v1[0] as Buffer, 2n),
    chunk('p', 1n, 1n, v1[1] as Buffer, 2n),
    head('p', 600 * KiB, [part(1, [300 * KiB, 300 * KiB], 2)]),
    // Small first chunk: no provisional file.
    chunk('s', 1n, 0n, body(10 * KiB, 5)),
    chunk('s', 1n, 1n, body(300 * KiB, 6)),
    head('s', 310 * KiB, [part(1, [10 * KiB, 300 * KiB])]),
  ];
  for (const provisional of [true, false]) {
    const r = await run(rows, { provisional });
    assert.equal(r.started, provisional ? 2 : 0);
    assert.deepEqual(r.adopted, []);
    assert.deepEqual(r.files.get('s3/b/o'), Buffer.concat(v1));
    assert.deepEqual(r.files.get('s3/b/p'), Buffer.concat(v1));
    assert.deepEqual(r.files.get('s3/b/s'), Buffer.concat([body(10 * KiB, 5), body(300 * KiB, 6)]));
    assertClean(r);
  }
});

test('--salvage and orphans: provisional files of objects set apart, stale or without a manifest are removed', async () => {
  const x = body(300 * KiB, 7);
  const rows = [
    meta,
    // Declares two chunks and has one: damaged.
    chunk('bad', 1n, 0n, x),
    head('bad', 600 * KiB, [part(1, [300 * KiB, 300 * KiB])]),
    // No manifest: an orphan, written from its provisional file with --include-orphans.
    chunk('lost', 1n, 0n, x),
    // Another generation than the bucket's: stale.
    { key: blobKey('b', 9n, 'old', 'u', 1n, 0n), value: x },
    { key: manifestKey('b', 9n, 'old'), value: `{"upload_id":"u","size_bytes":${300 * KiB},"parts":[${part(1, [300 * KiB])}]}` },
    chunk('good', 1n, 0n, x),
    head('good', 300 * KiB, [part(1, [300 * KiB])]),
  ];
  const r = await run(rows, { salvage: true, switches: { includeOrphans: true } });
  assert.equal(r.started, 4);
  assert.deepEqual(r.adopted, ['s3/b/good']);
  assert.deepEqual(
    r.damaged.map((u) => u.error instanceof DataError && u.error.code),
    ['S3_INCOMPLETE_BLOB_CHUNKS'],
  );
  assert.ok(!r.files.has('s3/b/bad'));
  assert.deepEqual(r.files.get('s3/b/good'), x);
  const orphans = [...r.files.keys()].filter((k) => k.includes('_orphans/'));
  assert.equal(orphans.length, 2);
  for (const o of orphans) assert.deepEqual(r.files.get(o), x);
  assertClean(r);
  assert.deepEqual((await fsp.readdir(r.root)).sort(), ['s3']);
  // A failed decode (no --salvage) leaves no provisional file either.
  await assert.rejects(run(rows), /incomplete blob chunks/);
});

test('through the pipeline: a large body decodes to the same tree and CHECKSUMS, with no provisional file left', async () => {
  const chunks = [body(1024 * KiB, 1), body(1024 * KiB, 2), body(512 * KiB, 3)];
  const rows = [
    meta,
    ...chunks.map((c, i) => chunk('big.bin', 1n, BigInt(i), c)),
    head('big.bin', 2560 * KiB, [part(1, [1024 * KiB, 1024 * KiB, 512 * KiB])]),
  ];
  const { tree } = await decodeWith([s3Adapter], buildFsm(1n, rows));
  const files = await readTree(tree, { withShared: true });
  assert.deepEqual(files.get('s3/b/big.bin'), Buffer.concat(chunks));
  assert.deepEqual((await fsp.readdir(tree)).sort(), ['CHECKSUMS', 'MANIFEST.json', 's3']);
  const checksums = (files.get('CHECKSUMS') as Buffer).toString();
  assert.ok(checksums.includes(`${sha(Buffer.concat(chunks))}  s3/b/big.bin\n`), checksums);
});
