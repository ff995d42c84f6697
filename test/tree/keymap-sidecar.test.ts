// KEYMAP.jsonl (core.md §3.3), the encode-info sidecar (§3.6) and the sidecar opener (§3.7).
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { test } from 'node:test';
import { parseEncodeInfo, renderEncodeInfo, type EncodeInfo } from '../../src/tree/encode-info.ts';
import { KeymapWriter, loadKeymap, parseKeymapLine } from '../../src/tree/keymap.ts';
import { TreeReader } from '../../src/tree/reader.ts';
import { openSidecar, writeSidecar } from '../../src/tree/sidecar.ts';
import { DiskTreeWriter } from '../../src/tree/writer.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const where = { path: 'KEYMAP.jsonl', line: 1 };

test('KEYMAP lines: compact, field order encoded/original/kind, HTML not escaped, lazy file', async () => {
  const root = await tempDir();
  const w = new KeymapWriter(new DiskTreeWriter(root), 'KEYMAP.jsonl');
  await w.close();
  await assert.rejects(fsp.access(`${root}/KEYMAP.jsonl`), 'no record, no file');
  const w2 = new KeymapWriter(new DiskTreeWriter(root), 'KEYMAP.jsonl');
  await w2.write('a<b>&', new Uint8Array([0xfb, 0xff, 0x00]), 'sha-fallback');
  await w2.write('x', new Uint8Array(), 'sha-fallback');
  await w2.write('x', Buffer.from('y'), 's3-leaf-data');
  await w2.close();
  assert.equal(
    await fsp.readFile(`${root}/KEYMAP.jsonl`, 'utf8'),
    '{"encoded":"a<b>&","original":"-_8A","kind":"sha-fallback"}\n{"encoded":"x","original":"","kind":"sha-fallback"}\n{"encoded":"x","original":"eQ","kind":"s3-leaf-data"}\n',
  );
  const map = await loadKeymap(new TreeReader(root), 'KEYMAP.jsonl');
  assert.equal(map.size, 2);
  assert.equal(map.get('x')?.kind, 's3-leaf-data', 'last duplicate wins');
  assert.deepEqual(Buffer.from(map.get('a<b>&')?.original ?? []), Buffer.from([0xfb, 0xff, 0x00]));
  await assert.rejects(w2.write('', new Uint8Array(), 'k'));
});

test('KEYMAP records: presence, null, empty and base64 checks', () => {
  const bad = [
    '',
    '[]',
    '{"encoded":"e","original":""}',
    '{"encoded":null,"original":"","kind":"k"}',
    '{"encoded":"","original":"","kind":"k"}',
    '{"encoded":"e","original":"","kind":""}',
    '{"encoded":"e","original":"ab==","kind":"k"}',
    '{"encoded":"e","original":"a+b","kind":"k"}',
    '{"encoded":1,"original":"","kind":"k"}',
    '{"ENCODED":"e","original":"","kind":"k"}',
  ];
  for (const line of bad) {
    assert.throws(() => parseKeymapLine(Buffer.from(line), where), (e: Error & { code?: string }) => e.code === 'KEYMAP_INVALID' && e.message.includes('KEYMAP.jsonl'), line);
  }
  assert.equal(parseKeymapLine(Buffer.from('{"encoded":"e","original":"","kind":"k","extra":1}'), where).encoded, 'e');
});

const INFO: EncodeInfo = {
  formatVersion: 1,
  encoderVersion: '0.1.0',
  encoderKeyFormatVersion: 1,
  wallTimeIso: '2026-05-01T00:00:00Z',
  inputRoot: '/in<&>',
  outputFsmPath: '/out.fsm',
  outputFsmSha256: 'ab',
  lastCommitTs: 18446744073709551615n,
  lastCommitTsOverridden: true,
  manifestLastCommitTs: 5n,
  manifestClusterId: '',
  adaptersEnabled: ['redis', 'sqs'],
  selfTest: { ran: true, matched: true },
};

test('encode_info: indented, HTML escaped, cluster id omitted when empty, reads back exactly', () => {
  const text = renderEncodeInfo(INFO);
  assert.ok(text.startsWith('{\n  "format_version": 1,\n  "encoder_version": "0.1.0",'));
  assert.ok(text.includes('"input_root": "/in\\u003c\\u0026\\u003e"'));
  assert.ok(!text.includes('manifest_cluster_id'));
  assert.ok(text.endsWith('  "self_test": {\n    "ran": true,\n    "matched": true\n  }\n}\n'));
  assert.deepEqual(parseEncodeInfo(Buffer.from(text), 'x'), INFO);
  assert.throws(() => parseEncodeInfo(Buffer.from(text.replace('"format_version": 1', '"format_version": 2')), 'x'), (e: Error & { code?: string }) => e.code === 'ENCODE_INFO_UNSUPPORTED_VERSION');
  assert.throws(() => parseEncodeInfo(Buffer.from('{'), 'x'), (e: Error & { code?: string }) => e.code === 'ENCODE_INFO_INVALID');
});

test('sidecar opener: mode 0600, truncates, refuses symlinks, hard links and FIFOs', async () => {
  const dir = await tempDir();
  await fsp.writeFile(`${dir}/s`, 'a much longer previous content', { mode: 0o644 });
  await writeSidecar(`${dir}/s`, 'new');
  assert.equal(await fsp.readFile(`${dir}/s`, 'utf8'), 'new');
  assert.equal((await fsp.stat(`${dir}/s`)).mode & 0o777, 0o600);

  await fsp.writeFile(`${dir}/target`, 'keep');
  await fsp.symlink(`${dir}/target`, `${dir}/link`);
  await assert.rejects(openSidecar(`${dir}/link`), (e: Error & { code?: string }) => e.code === 'SIDECAR_SYMLINK');
  await fsp.link(`${dir}/target`, `${dir}/hard`);
  await assert.rejects(openSidecar(`${dir}/hard`), (e: Error & { code?: string }) => e.code === 'SIDECAR_HARDLINK');
  assert.equal(await fsp.readFile(`${dir}/target`, 'utf8'), 'keep');
  await fsp.mkdir(`${dir}/d`);
  await assert.rejects(openSidecar(`${dir}/d`));
});
