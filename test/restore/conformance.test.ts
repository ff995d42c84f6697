// Byte compatibility with the reference prepare-restore: every case of test/fixtures/restore/cases.json was run
// by hand through the reference tool (elastickv d9a031d0) on our payloads; our drop-in must write the same files
// with the same bytes (and, under umask 022, the same modes). The reference's output is deterministic: no time,
// random or host value reaches any file. The 64,000,000-byte WAL segment is stored as its records only; the
// rest must be zeros.

import assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/adapter-harness.ts';
import { runCli } from '../helpers/cli.ts';

interface Case {
  readonly name: string;
  readonly payload: string;
  readonly args: readonly string[];
  readonly wal_size: number;
  readonly modes: Readonly<Record<string, string>>;
}

const ROOT = new URL('../fixtures/restore/', import.meta.url).pathname;
const cases = (JSON.parse(readFileSync(join(ROOT, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
const RECORDS_SUFFIX = '.records';

async function walk(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(relative(root, p));
    if (e.isDirectory()) out.push(...(await walk(p, root)));
  }
  return out.sort();
}

/** Checks that `path` holds `records` and then only zeros up to `size` bytes. */
async function checkWal(path: string, records: Buffer, size: number): Promise<void> {
  const st = await fsp.stat(path);
  assert.equal(st.size, size, `${path}: segment size`);
  const fh = await fsp.open(path, 'r');
  try {
    const head = Buffer.alloc(records.length);
    await fh.read(head, 0, head.length, 0);
    assert.ok(head.equals(records), `${path}: WAL records differ from the reference's`);
    const buf = Buffer.alloc(1 << 20);
    const zeros = Buffer.alloc(buf.length);
    for (let pos = records.length; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      assert.ok(bytesRead > 0, `${path}: short read at ${pos}`);
      assert.ok(buf.subarray(0, bytesRead).equals(zeros.subarray(0, bytesRead)), `${path}: non-zero byte after the records, near ${pos}`);
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

for (const c of cases) {
  test(`prepare-restore conformance: ${c.name}`, async () => {
    const dataDir = join(await tempDir('ekv-restore-conf-'), 'n1');
    const r = await runCli('elastickv-snapshot-prepare-restore', ['--input', join(ROOT, 'payloads', c.payload), '--data-dir', dataDir, ...c.args]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /msg="snapshot restore data dir prepared" data_dir=\S+ fsm=\S+ snap=\S+ crc32c=[0-9a-f]{8} payload_sha256=[0-9a-f]{64} /);
    const expectedDir = join(ROOT, 'expected', c.name);
    const expected = (await walk(expectedDir)).map((p) =>
      p.endsWith(RECORDS_SUFFIX) ? p.slice(0, -RECORDS_SUFFIX.length) : p,
    );
    assert.deepEqual(await walk(dataDir), expected, 'the same paths');
    for (const rel of expected) {
      const got = join(dataDir, rel);
      const st = await fsp.lstat(got);
      if (/^Umask:\s+0022$/m.test(readFileSync('/proc/self/status', 'utf8'))) assert.equal(`0o${(st.mode & 0o777).toString(8)}`, c.modes[rel], `${rel}: mode`);
      if (st.isDirectory()) continue;
      if (rel.endsWith('.wal')) {
        await checkWal(got, await fsp.readFile(join(expectedDir, rel + RECORDS_SUFFIX)), c.wal_size);
      } else {
        assert.ok((await fsp.readFile(got)).equals(await fsp.readFile(join(expectedDir, rel))), `${rel} differs from the reference's bytes`);
      }
    }
    await assert.rejects(fsp.lstat(`${dataDir}.restore-prep`), /ENOENT/, 'the temporary sibling is gone');
  });
}
