import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { s3Adapter } from '../../../src/adapters/s3/index.ts';
import { blobKey as ourBlobKey, decodeChunkRefValue, manifestKey as ourManifestKey, parseChunkKey } from '../../../src/adapters/s3/keys.ts';
import { hlcToRfc3339, renderLiveManifest, rfc3339ToHlc } from '../../../src/adapters/s3/records.ts';
import { isEkvError } from '../../../src/errors.ts';
import { shaFallback } from '../../../src/tree/segment.ts';
import { buildFsm, type FsmRow } from '../../helpers/fsm.ts';
import { decodeWith, encodeWith, readTree, rowsOf, tempDir, treeWith } from '../../helpers/adapter-harness.ts';
import { blobKey, manifestKey, RESERVED_SUFFIX_ROWS, S3_ROWS, seg, u64 } from './rows.ts';
import { encodeOrderedSegment } from '../../../src/bytes/ordered-segment.ts';

const adapters = [s3Adapter];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const dataError = (re: RegExp) => (e: unknown) => isEkvError(e) && e.exitClass === 'data' && re.test(e.message);

test('keys: segments escape 00 and end in 00 01; golden manifest and blob keys', () => {
  assert.equal(hex(encodeOrderedSegment(Buffer.from([0x61, 0, 0x62]))), '6100ff620001');
  assert.equal(hex(ourManifestKey(Buffer.from('b'), 2n, Buffer.from('o'))), hex(Buffer.concat([Buffer.from('!s3|obj|head|b\x00\x01'), u64(2n), Buffer.from('o\x00\x01')])));
  const key = ourBlobKey(Buffer.from('b'), 1n, Buffer.from('o/p'), Buffer.from('elastickv-restore'), 1n, 7n);
  assert.equal(hex(key), hex(blobKey('b', 1n, 'o/p', 'elastickv-restore', 1n, 7n)));
  assert.deepEqual(parseChunkKey(Buffer.concat([key, u64(9n)]), '!s3|blob|')?.partVersion, 9n);
  assert.equal(parseChunkKey(Buffer.concat([key, Buffer.from([1])]), '!s3|blob|'), undefined, 'a trailer that is not a u64 is malformed');
  const v1 = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7), u64(5n), Buffer.from([0, 1]), Buffer.from('n')]);
  assert.deepEqual(decodeChunkRefValue(v1), { sha256: Buffer.alloc(32, 7), size: 5n });
  const v2 = Buffer.concat([Buffer.from([2]), Buffer.alloc(32, 7), u64(5n), Buffer.from([0, 0]), Buffer.from([0, 1]), Buffer.from([0, 1]), Buffer.from('a'), Buffer.from([0, 0])]);
  assert.equal(decodeChunkRefValue(v2)?.size, 5n);
  assert.equal(decodeChunkRefValue(Buffer.concat([v1, Buffer.from('x')])), undefined);
  assert.equal(decodeChunkRefValue(Buffer.concat([Buffer.from([3]), v1.subarray(1)])), undefined);
});

test('values: HLC times as RFC 3339 and back; the live manifest as json.Marshal writes it', () => {
  const hlc = 1777469331094n << 16n;
  assert.equal(hlcToRfc3339(hlc | 0xffffn), '2026-04-29T13:28:51.094Z');
  assert.equal(hlcToRfc3339(0n), '');
  assert.equal(rfc3339ToHlc('2026-04-29T13:28:51.094Z'), hlc);
  assert.equal(rfc3339ToHlc('2026-04-29T15:28:51.0949+02:00'), hlc, 'offsets and sub-millisecond digits');
  assert.equal(rfc3339ToHlc('not a time'), 0n);
  assert.equal(rfc3339ToHlc('1969-12-31T23:59:59Z'), 0n);
  const m = { etag: '"e"', sizeBytes: 3n, lastModified: '', contentType: 'a<b', contentEncoding: '', cacheControl: '', contentDisposition: '', userMetadata: undefined };
  assert.equal(
    renderLiveManifest('elastickv-restore', m, [3n]).toString(),
    '{"upload_id":"elastickv-restore","etag":"\\"e\\"","size_bytes":3,"last_modified_hlc":0,"content_type":"a\\u003cb","content_encoding":"","cache_control":"","content_disposition":"","user_metadata":null,"parts":[{"part_no":1,"etag":"\\"e\\"","size_bytes":3,"chunk_count":1,"chunk_sizes":[3],"part_version":0,"chunk_ref_version":0,"offloaded":false}]}',
  );
  assert.ok(renderLiveManifest('x', { ...m, sizeBytes: 0n, userMetadata: new Map() }, []).toString().endsWith('"user_metadata":{},"parts":null}'));
});

test('decode: bodies reassembled from parts and content-addressed chunks, renames in KEYMAP, warnings', async () => {
  const warnings: string[] = [];
  const { tree } = await decodeWith(adapters, buildFsm(1000n, S3_ROWS), { warn: (e) => warnings.push(e) });
  const files = await readTree(join(tree, 's3'));
  assert.equal(files.get('photos/a/b.txt')?.toString(), 'abcde');
  assert.equal(files.get('photos/big.bin')?.toString(), 'PART1-PART2');
  assert.equal(files.get('photos/cas.bin')?.toString(), 'hello world');
  assert.equal(files.get('photos/empty')?.length, 0);
  assert.equal(files.get('photos/dir.elastickv-leaf-data')?.toString(), 'leaf');
  assert.equal(files.get('photos/dir/x')?.toString(), 'child');
  assert.equal(files.get('photos/KEYMAP.jsonl')?.toString(), '{"encoded":"dir.elastickv-leaf-data","original":"ZGly","kind":"s3-leaf-data"}\n');
  assert.equal(
    files.get('photos/a/b.txt.elastickv-meta.json')?.toString(),
    '{\n  "format_version": 1,\n  "etag": "\\"e-5\\"",\n  "size_bytes": 5,\n  "last_modified": "2026-04-29T13:28:51.094Z",\n  "content_type": "text/plain",\n  "user_metadata": {\n    "a": "first",\n    "z": "\\u003clast\\u003e"\n  }\n}',
  );
  assert.equal(files.get('photos/_bucket.json')?.toString(), '{\n  "format_version": 1,\n  "name": "photos",\n  "owner": "alice",\n  "region": "us-east-1",\n  "acl": "private"\n}');
  assert.ok(!files.has('photos/old.txt') && !files.has('photos/lost.bin'));
  assert.deepEqual(warnings.sort(), ['s3_orphan_chunks', 's3_stale_generation_objects']);
});

test('decode: two versions of one chunk row, the newest under --versions latest, the last row under all', async () => {
  // The first of a/b.txt's two chunks gets a newer version (the rows of one key arrive newest first); big.bin, whose
  // chunks have no second version, is the control.
  const first = blobKey('photos', 2n, 'a/b.txt', 'u1', 1n, 0n);
  const rows: FsmRow[] = [...S3_ROWS.map((r) => ({ commitTs: 1000n, ...r })), { key: first, value: 'xyz', commitTs: 2000n }];
  for (const [versions, body] of [['latest', 'xyzde'], ['all', 'abcde']] as const) {
    const { tree } = await decodeWith(adapters, buildFsm(2000n, rows), { versions });
    const files = await readTree(join(tree, 's3'));
    assert.equal(files.get('photos/a/b.txt')?.toString(), body, versions);
    assert.equal(files.get('photos/big.bin')?.toString(), 'PART1-PART2', versions);
  }
});

test('decode with --include-orphans, --include-incomplete-uploads and --rename-collisions', async () => {
  const { tree } = await decodeWith(adapters, buildFsm(1000n, [...S3_ROWS, ...RESERVED_SUFFIX_ROWS]), {
    switches: { includeOrphans: true, includeIncompleteUploads: true, renameCollisions: true },
  });
  const files = await readTree(join(tree, 's3'));
  assert.equal(files.get('photos/_orphans/old.txt/gen-1/u_0000000000000001_0000000000000000_0000000000000000.bin')?.toString(), 'stale');
  assert.equal(files.get('photos/_orphans/lost.bin/gen-2/u_0000000000000001_0000000000000000_0000000000000000.bin')?.toString(), 'no manifest');
  const records = files.get('photos/_incomplete_uploads/records.jsonl')!.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as { prefix: string; key: string });
  assert.deepEqual(records.map((r) => r.prefix), ['!s3|upload|meta|', '!s3|upload|part|']);
  assert.equal(Buffer.from(records[0]!.key, 'base64').toString('latin1').startsWith('!s3|upload|meta|photos'), true);
  assert.equal(files.get('logs/x.elastickv-meta.json.user-data')?.toString(), 'user data');
  assert.ok(files.get('logs/KEYMAP.jsonl')?.toString().includes('"kind":"meta-suffix-rename"'));

  const longUpload = 'U'.repeat(250);
  const orphan = await decodeWith(adapters, buildFsm(1n, [{ key: blobKey('b', 1n, 'o', longUpload, 1n, 0n), value: 'chunk' }]), { switches: { includeOrphans: true } });
  const orphanFiles = [...(await readTree(join(orphan.tree, 's3'))).entries()];
  assert.equal(orphanFiles.length, 1);
  const [rel, body] = orphanFiles[0]!;
  assert.equal(body.toString(), 'chunk');
  const name = rel.split('/').pop()!;
  assert.ok(name.length <= 255 && name.startsWith(shaFallback(Buffer.from(longUpload)).slice(0, 34)) && name.endsWith('_0000000000000001_0000000000000000_0000000000000000.bin'), name);
});

test('decode rejections: reserved suffix, unsafe names, incomplete parts, hash and size mismatches', async () => {
  const man = (upload: string, size: number, parts: string): string => `{"upload_id":"${upload}","size_bytes":${size},"parts":${parts}}`;
  const one = (name: string): FsmRow[] => [
    { key: blobKey('b', 1n, name, 'u', 1n, 0n), value: 'x' },
    { key: manifestKey('b', 1n, name), value: man('u', 1, '[{"part_no":1,"chunk_count":1,"chunk_sizes":[1]}]') },
  ];
  const cases: Array<[FsmRow[], RegExp]> = [
    [RESERVED_SUFFIX_ROWS, /collides with reserved sidecar suffix/],
    [[...one('a/'), ...one('a/.elastickv-folder-marker')], /two objects map to "a\/\.elastickv-folder-marker"/],
    [[...one(`${'r'.repeat(300)}/x`), ...one(shaFallback(Buffer.from('r'.repeat(300))))], /would be both an object file and a directory/],
    [one('a/../b'), /dot segment/],
    [one('a\\b'), /backslash/],
    [one('..'), /dot segment/],
    [[{ key: blobKey('b', 1n, 'o', 'u', 1n, 1n), value: 'x' }, { key: manifestKey('b', 1n, 'o'), value: man('u', 2, '[{"part_no":1,"chunk_count":2,"chunk_sizes":[1,1]}]') }], /declared chunks=2, observed unique=1/],
    [[{ key: Buffer.concat([Buffer.from('!s3|chunkblob|'), Buffer.from('00'.repeat(32))]), value: 'x' }], /hash mismatch/],
    [
      [
        { key: Buffer.concat([Buffer.from('!s3|chunkblob|'), Buffer.from(createHash('sha256').update('x').digest('hex'))]), value: 'x' },
        { key: Buffer.concat([Buffer.from('!s3|chunkref|'), seg('b'), u64(1n), seg('o'), seg('u'), u64(1n), u64(0n)]), value: Buffer.concat([Buffer.from([1]), createHash('sha256').update('x').digest(), u64(2n), Buffer.from([0, 0])]) },
        { key: manifestKey('b', 1n, 'o'), value: man('u', 2, '[{"part_no":1,"chunk_count":1,"chunk_sizes":[2],"offloaded":true}]') },
      ],
      /declared size=2 actual size=1/,
    ],
    [[{ key: manifestKey('b', 1n, 'o'), value: man('u', 2, '[{"part_no":1,"chunk_count":2,"chunk_sizes":[2],"offloaded":true}]') }], /declares 2 chunks but has 1 chunk sizes/],
    [[{ key: Buffer.from('!s3|obj|head|b\x00\x01'), value: '{}' }], /manifest key/],
    [[{ key: manifestKey('b', 1n, 'o'), value: '{"size_bytes":"1"}' }], /invalid !s3\|obj\|head value/],
    [[{ key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg('b')]), value: '[' }], /invalid !s3\|bucket\|meta value/],
    // A bucket name that is not UTF-8 (the final 30-minute campaign's salvage case: _bucket.json named it "\ufffdogs").
    [[{ key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg(Buffer.from([0xec, 0x6f, 0x67, 0x73]))]), value: '{"bucket_name":"x","generation":1}' }], /bucket name is not valid UTF-8/],
    [[{ key: blobKey('b', 1n, '', 'u', 1n, 0n), value: 'x' }], /empty/],
  ];
  // Every case's buckets have their metadata row (objects without one are a case of their own, below).
  const bucketMeta = (name: string): FsmRow => ({ key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg(name)]), value: `{"bucket_name":"${name}","generation":1}` });
  for (const [rows, re] of cases) {
    const hasMeta = rows.some((r) => Buffer.from(r.key).subarray(0, 16).toString('latin1') === '!s3|bucket|meta|');
    await assert.rejects(decodeWith(adapters, buildFsm(1n, hasMeta ? rows : [bucketMeta('b'), bucketMeta('logs'), ...rows])), dataError(re), re.source);
  }
  // A bucket's objects without its !s3|bucket|meta| row (a damaged or lost row) would be written without _bucket.json,
  // which encode refuses: decode refuses them, naming the bucket and the first object's manifest key.
  await assert.rejects(decodeWith(adapters, buildFsm(1n, one('o'))), (e: unknown) => isEkvError(e) && e.code === 'S3_BUCKET_META_MISSING' && /bucket "b" has objects \("o" first\)/.test(e.message));
});

test('decode: chunk-assembly errors (missing, extra, misplaced chunks, sizes) name the bucket and the object', async () => {
  const man = (size: number, parts: string): string => `{"upload_id":"u","size_bytes":${size},"parts":${parts}}`;
  const two = '[{"part_no":1,"chunk_count":2,"chunk_sizes":[1,1]}]';
  const chunk = (no: bigint, value = 'x'): FsmRow => ({ key: blobKey('b', 1n, 'dir/o', 'u', 1n, no), value });
  const head = (value: string): FsmRow => ({ key: manifestKey('b', 1n, 'dir/o'), value });
  const meta: FsmRow = { key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg('b')]), value: '{"bucket_name":"b","generation":1}' };
  const xHash = createHash('sha256').update('x').digest();
  const cases: Array<[string, FsmRow[], RegExp]> = [
    ['missing', [chunk(0n), head(man(2, two))], /declared chunks=2, observed unique=1/],
    ['extra', [chunk(0n), chunk(1n), chunk(2n), head(man(2, two))], /declared chunks=2, observed unique=3/],
    ['misplaced', [chunk(0n), chunk(2n), head(man(2, two))], /missing chunkNo=1/],
    ['size', [chunk(0n), chunk(1n, 'yy'), head(man(2, two))], /its chunks hold 3 bytes, its manifest says size_bytes 2/],
    [
      'chunk reference',
      [
        { key: Buffer.concat([Buffer.from('!s3|chunkblob|'), Buffer.from(xHash.toString('hex'))]), value: 'x' },
        { key: Buffer.concat([Buffer.from('!s3|chunkref|'), seg('b'), u64(1n), seg('dir/o'), seg('u'), u64(1n), u64(0n), u64(0n)]), value: Buffer.concat([Buffer.from([1]), xHash, u64(2n), Buffer.from([0, 0])]) },
        head(man(2, '[{"part_no":1,"chunk_count":1,"chunk_sizes":[2],"offloaded":true}]')),
      ],
      /declared size=2 actual size=1/,
    ],
  ];
  for (const [name, rows, re] of cases) {
    await assert.rejects(
      decodeWith(adapters, buildFsm(1n, [meta, ...rows])),
      (e: unknown) => isEkvError(e) && e.exitClass === 'data' && re.test(e.message) && e.message.includes('bucket "b" object "dir/o": ') && !e.message.includes('\n'),
      name,
    );
  }
});

test('encode: the reference encoder\'s bytes (fixtures), bodies re-chunked at 1 MiB', async () => {
  for (const name of ['s3', 's3-renamed']) {
    const fixture = await fsp.readFile(new URL(`../../fixtures/conformance/${name}/s3.fsm`, import.meta.url));
    const { tree } = await decodeWith(adapters, fixture, { switches: { renameCollisions: name === 's3-renamed' } });
    const { fsm, result } = await encodeWith(adapters, tree, { selfTest: true });
    assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
    assert.deepEqual(fsm, fixture, name);
  }
  const { tree } = await decodeWith(adapters, buildFsm(1n, []));
  const body = Buffer.from(Array.from({ length: 2.5 * 1024 * 1024 }, (_, i) => (i * 7 + (i >> 20)) & 0xff));
  await fsp.mkdir(join(tree, 's3/b/deep/er'), { recursive: true });
  await fsp.writeFile(join(tree, 's3/b/_bucket.json'), '{\n  "format_version": 1,\n  "name": "b"\n}');
  await fsp.writeFile(join(tree, 's3/b/deep/er/big'), body);
  await fsp.writeFile(join(tree, 's3/b/deep/er/big.elastickv-meta.json'), `{\n  "format_version": 1,\n  "size_bytes": ${body.length}\n}`);
  const { fsm, result } = await encodeWith(adapters, tree, { selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  const rows = await rowsOf(fsm);
  const blobs = rows.filter(([k]) => k.toString('latin1').startsWith('!s3|blob|'));
  assert.deepEqual(blobs.map(([, v]) => v.length), [1048576, 1048576, 524288]);
  assert.ok(Buffer.concat(blobs.map(([, v]) => v)).equals(body), 'chunk bytes');
  const manifest = rows.find(([k]) => k.toString('latin1').startsWith('!s3|obj|head|'))![1].toString();
  assert.ok(manifest.includes('"chunk_count":3,"chunk_sizes":[1048576,1048576,524288]'), manifest);
});

const bucketTree = (files: Readonly<Record<string, string | Buffer>>): Promise<string> => treeWith(adapters, 's3', files);

test('encode rejections name the path and the reason', async () => {
  const B = '{"format_version":1,"name":"b"}';
  const M = (n: number): string => `{"format_version":1,"size_bytes":${n}}`;
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['loose file under s3/', { 'notes.txt': 'x' }, /s3\/notes\.txt is not a directory/],
    ['missing _bucket.json', { 'b/o': 'x', 'b/o.elastickv-meta.json': M(1) }, /_bucket\.json: .*missing/],
    ['name/dir mismatch', { 'c/_bucket.json': B }, /encodes to dir "b", not "c"/],
    ['bucket format version', { 'b/_bucket.json': B.replace('1', '2') }, /unsupported format_version 2/],
    ['missing sidecar', { 'b/_bucket.json': B, 'b/o': 'x' }, /needs its \.elastickv-meta\.json sidecar/],
    ['size mismatch', { 'b/_bucket.json': B, 'b/o': 'xy', 'b/o.elastickv-meta.json': M(1) }, /size_bytes 1 != body length 2/],
    ['sidecar JSON', { 'b/_bucket.json': B, 'b/o': 'x', 'b/o.elastickv-meta.json': '{' }, /object sidecar/],
    ['reserved dir with a user object', { 'b/_bucket.json': B, 'b/_orphans/o': 'x', 'b/_orphans/o.elastickv-meta.json': M(1) }, /collides with reserved dump directory/],
    ['keymap orphan record', { 'b/_bucket.json': B, 'b/KEYMAP.jsonl': '{"encoded":"gone.elastickv-leaf-data","original":"Z29uZQ","kind":"s3-leaf-data"}\n' }, /orphan keymap record/],
    ['keymap bad kind', { 'b/_bucket.json': B, 'b/KEYMAP.jsonl': '{"encoded":"o","original":"bw","kind":"weird"}\n', 'b/o': 'x', 'b/o.elastickv-meta.json': M(1) }, /unknown kind "weird"/],
    ['keymap duplicate', { 'b/_bucket.json': B, 'b/KEYMAP.jsonl': '{"encoded":"o","original":"bw","kind":"sha-fallback"}\n{"encoded":"o","original":"bw","kind":"sha-fallback"}\n', 'b/o': 'x', 'b/o.elastickv-meta.json': M(1) }, /duplicate encoded segment/],
  ];
  for (const [name, files, re] of cases) {
    const tree = await bucketTree(files);
    await assert.rejects(encodeWith(adapters, tree), dataError(re), name);
  }
  const tree = await bucketTree({ 'b/_bucket.json': B, 'b/o.elastickv-meta.json': M(1) });
  const outside = join(await tempDir(), 'secret');
  await fsp.writeFile(outside, 'x');
  await fsp.symlink(outside, join(tree, 's3/b/o'));
  await assert.rejects(encodeWith(adapters, tree), (e: unknown) => isEkvError(e) && e.code === 'TREE_SYMLINK');
  const flags = { includeIncompleteUploads: false, includeOrphans: false, renameS3Collisions: true, preserveSqsVisibility: false, includeSqsSideRecords: false, dynamodbLayout: 'per-item' as const };
  assert.doesNotThrow(() => { s3Adapter.checkEncodable(flags); });
  assert.throws(() => { s3Adapter.checkEncodable({ ...flags, includeOrphans: true }); }, /include_orphans not supported/);
  assert.throws(() => { s3Adapter.checkEncodable({ ...flags, includeIncompleteUploads: true }); }, /include_incomplete_uploads not supported/);
});

const segArb = fc.stringMatching(/^[a-z0-9 .%é_-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
const keyArb = fc.array(segArb, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));

test('property: generated buckets survive tree → .fsm → tree (collisions included)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.tuple(keyArb, fc.uint8Array({ maxLength: 40 })), { selector: ([k]) => k, maxLength: 8 }),
      async (objects) => {
        const rows: FsmRow[] = [
          {
            key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg('bkt')]),
            value: '{"bucket_name":"bkt","generation":1}',
          },
        ];
        const keys = new Set(objects.map(([k]) => k));
        for (const [k, body] of objects) {
          if (k.endsWith('.elastickv-meta.json') || keys.has(`${k}.elastickv-leaf-data`)) continue;
          if (body.length > 0) rows.push({ key: blobKey('bkt', 1n, k, 'u', 1n, 0n), value: Buffer.from(body) });
          const parts = body.length > 0 ? `[{"part_no":1,"chunk_count":1,"chunk_sizes":[${body.length}]}]` : 'null';
          rows.push({
            key: manifestKey('bkt', 1n, k),
            value: `{"upload_id":"u","size_bytes":${body.length},"parts":${parts}}`,
          });
        }
        const first = await decodeWith(adapters, buildFsm(1n, rows));
        const { fsm, result } = await encodeWith(adapters, first.tree, { selfTest: true });
        assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
        const again = await decodeWith(adapters, fsm);
        const { fsm: fsm2 } = await encodeWith(adapters, again.tree);
        assert.deepEqual(fsm2, fsm);
      },
    ),
    { numRuns: 25, plugins: [fc.interruptAfterTimeLimit(20_000)] },
  );
});

// Keys a live node accepts that are not plain paths: folder markers beside the objects under them, empty
// segments, names too long for a file system. Each must land at a mapped path with a KEYMAP record and come back.
const objectRows = (bucket: string, objects: ReadonlyArray<readonly [string, string]>): FsmRow[] => [
  { key: Buffer.concat([Buffer.from('!s3|bucket|meta|'), seg(bucket)]), value: `{"bucket_name":"${bucket}","generation":1}` },
  ...objects.flatMap(([k, body]): FsmRow[] => [
    ...(body.length > 0 ? [{ key: blobKey(bucket, 1n, k, 'u', 1n, 0n), value: body }] : []),
    { key: manifestKey(bucket, 1n, k), value: `{"upload_id":"u","size_bytes":${Buffer.byteLength(body)},"parts":${body.length > 0 ? `[{"part_no":1,"chunk_count":1,"chunk_sizes":[${Buffer.byteLength(body)}]}]` : 'null'}}` },
  ]),
];

test('folder markers, empty segments and long names: mapped paths with KEYMAP records, decode → encode --self-test → decode', async () => {
  const long900 = 'S'.repeat(900);
  const deep = Array.from({ length: 600 }, (_, i) => `d${String(i).padStart(4, '0')}`).join('/');
  const objects: Array<[string, string]> = [
    ['lvl0/', ''],
    ['lvl0/x', 'x under lvl0'],
    ['lvl0/sub/', ''],
    ['lvl0/sub/y', 'y'],
    ['marker-with-body/', 'a marker that carries bytes'],
    ['a//b', 'inner empty segment'],
    ['a//c.elastickv-meta.json', 'inner empty segment and the reserved suffix'],
    ['/lead', 'leading slash'],
    ['m/', 'marker that is also a directory of its reserved name'],
    ['m/.elastickv-folder-marker/z', 'z'],
    [long900, '900-byte top-level name'],
    [`long/${long900}/tail.txt`, 'under a 900-byte directory'],
    [`edge/${'e'.repeat(236)}`, 'sidecar would be 256 bytes'],
    [`edge/${'f'.repeat(235)}`, 'sidecar exactly 255 bytes'],
    ['r'.repeat(300), 'a long file that is also a long directory'],
    [`${'r'.repeat(300)}/x`, 'x'],
    [deep, 'a path past the tree budget'],
  ];
  const first = await decodeWith(adapters, buildFsm(1n, objectRows('bkt', objects)), { switches: { renameCollisions: true } });
  const files = await readTree(join(first.tree, 's3'));
  const sha = (s: string): string => shaFallback(Buffer.from(s));
  assert.equal(files.get('bkt/lvl0/.elastickv-folder-marker')?.length, 0);
  assert.ok(files.has('bkt/lvl0/.elastickv-folder-marker.elastickv-meta.json'));
  assert.equal(files.get('bkt/lvl0/x')?.toString(), 'x under lvl0');
  assert.equal(files.get('bkt/lvl0/sub/.elastickv-folder-marker')?.length, 0);
  assert.equal(files.get('bkt/marker-with-body/.elastickv-folder-marker')?.toString(), 'a marker that carries bytes');
  assert.equal(files.get('bkt/a/.elastickv-empty-segment/b')?.toString(), 'inner empty segment');
  assert.equal(files.get('bkt/.elastickv-empty-segment/lead')?.toString(), 'leading slash');
  assert.equal(files.get('bkt/m/.elastickv-folder-marker.elastickv-leaf-data')?.toString(), 'marker that is also a directory of its reserved name');
  assert.equal(files.get(`bkt/${sha(long900)}`)?.toString(), '900-byte top-level name');
  assert.equal(files.get(`bkt/long/${sha(long900)}/tail.txt`)?.toString(), 'under a 900-byte directory');
  assert.equal(files.get(`bkt/edge/${sha('e'.repeat(236))}`)?.toString(), 'sidecar would be 256 bytes');
  assert.equal(files.get(`bkt/edge/${'f'.repeat(235)}`)?.toString(), 'sidecar exactly 255 bytes', 'a name that fits stays as it is');
  assert.equal(files.get(`bkt/${sha(`${'r'.repeat(300)}.elastickv-leaf-data`)}`)?.toString(), 'a long file that is also a long directory');
  assert.equal(files.get(`bkt/${sha('r'.repeat(300))}/x`)?.toString(), 'x');
  assert.equal(files.get(`bkt/${sha(deep)}`)?.toString(), 'a path past the tree budget');
  for (const rel of files.keys()) {
    for (const part of rel.split('/')) assert.ok(Buffer.byteLength(part) <= 255, `${part.length}-byte component in ${rel.slice(0, 80)}…`);
    assert.ok(Buffer.byteLength(rel) <= 3072, `path of ${rel.length} bytes`);
  }
  const keymap = files.get('bkt/KEYMAP.jsonl')!.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as { encoded: string; original: string; kind: string });
  const byOriginal = new Map(keymap.map((r) => [Buffer.from(r.original, 'base64url').toString(), r]));
  assert.deepEqual(byOriginal.get('lvl0/'), { encoded: 'lvl0/.elastickv-folder-marker', original: Buffer.from('lvl0/').toString('base64url'), kind: 's3-folder-marker' });
  assert.equal(byOriginal.get('a//b')?.kind, 's3-empty-segment');
  assert.equal(byOriginal.get('m/')?.kind, 's3-leaf-data');
  assert.equal(byOriginal.get(long900)?.kind, 'sha-fallback');
  assert.equal(byOriginal.get(deep)?.kind, 'sha-fallback');
  assert.equal(byOriginal.has('lvl0/x'), false, 'keys at their own path need no record');
  assert.equal(byOriginal.get('a//c.elastickv-meta.json')?.encoded, 'a/.elastickv-empty-segment/c.elastickv-meta.json.user-data');
  assert.equal(keymap.length, 13);

  const { fsm, result } = await encodeWith(adapters, first.tree, { selfTest: true });
  assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
  const manifests = (await rowsOf(fsm)).filter(([k]) => k.subarray(0, 13).toString() === '!s3|obj|head|').map(([k]) => k);
  assert.deepEqual(manifests.map((k) => k.toString('latin1')).sort(), objects.map(([k]) => manifestKey('bkt', 1n, k).toString('latin1')).sort(), 'every key restored exactly');
  const again = await decodeWith(adapters, fsm, { switches: { renameCollisions: true } });
  assert.deepEqual(await readTree(join(again.tree, 's3')), files);
});

const oddSegArb = fc.oneof(segArb, fc.constant(''), fc.integer({ min: 230, max: 300 }).map((n) => 'w'.repeat(n)));
const oddKeyArb = fc.array(oddSegArb, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')).filter((k) => k !== '');

test('property: keys with empty and long segments survive tree → .fsm → tree', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.tuple(oddKeyArb, fc.string({ maxLength: 20 })), { selector: ([k]) => k, maxLength: 8 }),
      async (objects) => {
        const first = await decodeWith(adapters, buildFsm(1n, objectRows('bkt', objects)));
        const { fsm, result } = await encodeWith(adapters, first.tree, { selfTest: true });
        assert.ok(result.selfTest.matched, result.selfTest.mismatchText);
        const manifests = (await rowsOf(fsm))
          .filter(([k]) => k.subarray(0, 13).toString() === '!s3|obj|head|')
          .map(([k]) => k.toString('latin1'));
        assert.deepEqual(manifests.sort(), objects.map(([k]) => manifestKey('bkt', 1n, k).toString('latin1')).sort());
        const again = await decodeWith(adapters, fsm);
        assert.deepEqual(await readTree(join(again.tree, 's3')), await readTree(join(first.tree, 's3')));
      },
    ),
    { numRuns: 25, plugins: [fc.interruptAfterTimeLimit(20_000)] },
  );
});
