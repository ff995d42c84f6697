import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { DecodeSwitches } from '../../src/adapters/adapter.ts';
import { encodeInlineValue, encodeTtlValue, HLL_VERSION, STRING_VERSION } from '../../src/adapters/redis/inline-value.ts';
import { decodeSnapshot } from '../../src/pipeline/decode.ts';
import { buildFsm, type FsmRow } from '../helpers/fsm.ts';
import { tempDir } from '../helpers/adapter-harness.ts';

const TS = 115720113487052800n; // 2026: physical part 1765766045001 ms
const PAST = 1000n;
const FUTURE = 4102444800000n;

/** Every file of a tree, by path (MANIFEST.json and its CHECKSUMS line differ by the run's wall time). */
async function files(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    const rel = relative(root, path);
    if (rel === 'MANIFEST.json') continue;
    const text = (await fsp.readFile(path)).toString('latin1');
    out.set(rel, rel === 'CHECKSUMS' ? text.replace(/^.*MANIFEST\.json\n/m, '') : text);
  }
  return out;
}

test('Redis strings and HLLs left in the snapshot file decode to the tree read from a pipe, byte for byte', async () => {
  const rows: FsmRow[] = [];
  for (let i = 0; i < 60; i++) {
    const size = [100, 64 * 1024 - 12, 64 * 1024, 200 * 1024 + 3, 1 << 20][i % 5] as number;
    const body = randomBytes(size);
    const name = `k${String(i).padStart(3, '0')}`;
    switch (i % 6) {
      case 0: // new format, no expiry
        rows.push({ key: `!redis|str|${name}`, value: encodeInlineValue(STRING_VERSION, body, 0n) });
        break;
      case 1: // new format, expiry in the future or past
        rows.push({ key: `!redis|str|${name}`, value: encodeInlineValue(STRING_VERSION, body, i % 12 === 1 ? PAST : FUTURE) });
        break;
      case 2: // legacy format: the whole value is the body, the expiry in a TTL row
        rows.push({ key: `!redis|str|${name}`, value: body });
        rows.push({ key: `!redis|ttl|${name}`, value: encodeTtlValue(i % 12 === 2 ? PAST : FUTURE) });
        break;
      case 3:
        rows.push({ key: `!redis|hll|${name}`, value: encodeInlineValue(HLL_VERSION, body, 0n) });
        break;
      case 4: // a newer tombstone and an older large version
        rows.push({ key: `!redis|str|${name}`, value: '', tombstone: true });
        rows.push({ key: `!redis|str|${name}`, value: encodeInlineValue(STRING_VERSION, body, 0n), commitTs: TS - 5n });
        break;
      default: // a newer large version over an older one
        rows.push({ key: `!redis|str|${name}`, value: encodeInlineValue(STRING_VERSION, body, 0n) });
        rows.push({ key: `!redis|str|${name}`, value: encodeInlineValue(STRING_VERSION, randomBytes(size), 0n), commitTs: TS - 5n });
    }
  }
  const fsm = buildFsm(TS, rows);
  const dir = await tempDir();
  const path = join(dir, 'in.fsm');
  writeFileSync(path, fsm);
  const variants: ReadonlyArray<Partial<DecodeSwitches>> = [{}, { expired: 'skip' }];
  for (const [n, switches] of variants.entries()) {
    const fromFile = join(dir, `file-${n}`);
    const fromPipe = join(dir, `pipe-${n}`);
    const a = await decodeSnapshot({ input: path, output: fromFile, switches });
    const b = await decodeSnapshot({ input: '-', stdin: Readable.from([fsm]), output: fromPipe, switches });
    assert.deepEqual(a.counters, b.counters);
    const want = await files(fromPipe);
    assert.ok(want.size > 40, `${want.size} files`);
    assert.deepEqual(await files(fromFile), want, JSON.stringify(switches));
  }
});
