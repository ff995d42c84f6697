// Whole-pipeline helpers for adapter tests: decode an in-memory `.fsm` into a temp tree, encode a tree back,
// read trees and snapshots into plain maps for comparison.

import { promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter, DecodeSwitches } from '../../src/adapters/adapter.ts';
import type { AdapterName } from '../../src/adapters/registry.ts';
import type { RecordFilter } from '../../src/filter/record-filter.ts';
import { decodeSnapshot, type DecodeResult } from '../../src/pipeline/decode.ts';
import { encodeSnapshot, type EncodeResult } from '../../src/pipeline/encode.ts';
import { SnapshotReader } from '../../src/snapshot/reader.ts';
import type { VersionPolicy } from '../../src/snapshot/versions.ts';
import { walkSorted } from '../../src/tree/walk.ts';
import { buildFsm } from './fsm.ts';

const created: string[] = [];
process.on('exit', () => {
  for (const d of created) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export async function tempDir(tag = 'ekv-test-'): Promise<string> {
  const d = await fsp.mkdtemp(join(tmpdir(), tag));
  created.push(d);
  return d;
}

export interface DecodeWithOptions {
  readonly selected?: readonly AdapterName[];
  readonly switches?: Partial<DecodeSwitches>;
  readonly versions?: VersionPolicy;
  readonly memoryBudget?: number;
  readonly warn?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
  readonly filter?: RecordFilter;
}

/** Decodes `fsm` with the given adapters into `<new temp dir>/tree`. */
export async function decodeWith(
  adapters: readonly Adapter[],
  fsm: Uint8Array,
  opts: DecodeWithOptions = {},
): Promise<{ tree: string; result: DecodeResult }> {
  const dir = await tempDir();
  const input = join(dir, 'in.fsm');
  await fsp.writeFile(input, fsm);
  const tree = join(dir, 'tree');
  const result = await decodeSnapshot({
    input,
    output: tree,
    adapters,
    selected: opts.selected ?? adapters.map((a) => a.name),
    versions: opts.versions ?? 'all',
    ...(opts.switches !== undefined ? { switches: opts.switches } : {}),
    ...(opts.memoryBudget !== undefined ? { memoryBudget: opts.memoryBudget } : {}),
    ...(opts.warn !== undefined ? { warn: opts.warn } : {}),
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
  });
  return { tree, result };
}

/**
 * A dump tree decoded from an empty snapshot (MANIFEST.json and CHECKSUMS of its own) with `files` written under
 * `<tree>/<under>/`: the input of tests that hand encode a tree the decoder would not write.
 */
export async function treeWith(
  adapters: readonly Adapter[],
  under: string,
  files: Readonly<Record<string, string | Buffer>>,
): Promise<string> {
  const { tree } = await decodeWith(adapters, buildFsm(1n, []));
  for (const [rel, body] of Object.entries(files)) {
    await fsp.mkdir(join(tree, under, rel, '..'), { recursive: true });
    await fsp.writeFile(join(tree, under, rel), body);
  }
  return tree;
}

/** Encodes a dump tree (with MANIFEST.json) and returns the `.fsm` bytes. */
export async function encodeWith(
  adapters: readonly Adapter[],
  tree: string,
  opts: { selected?: readonly AdapterName[]; selfTest?: boolean; memoryBudget?: number; lastCommitTs?: bigint } = {},
): Promise<{ fsm: Buffer; result: EncodeResult }> {
  const dir = await tempDir();
  const output = join(dir, 'out.fsm');
  const result = await encodeSnapshot({
    input: tree,
    output,
    adapters,
    selected: opts.selected ?? adapters.map((a) => a.name),
    selfTest: opts.selfTest ?? false,
    ...(opts.memoryBudget !== undefined ? { memoryBudget: opts.memoryBudget } : {}),
    ...(opts.lastCommitTs !== undefined ? { lastCommitTs: opts.lastCommitTs } : {}),
  });
  return { fsm: result.published ? await fsp.readFile(output) : Buffer.alloc(0), result };
}

/** Every regular file of a tree, relative path → bytes; MANIFEST.json and CHECKSUMS left out unless asked. */
export async function readTree(root: string, opts: { withShared?: boolean } = {}): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const { rel } of walkSorted(root)) {
    const name = rel.toString('utf8');
    if (opts.withShared !== true && (name === 'MANIFEST.json' || name === 'CHECKSUMS')) continue;
    out.set(name, await fsp.readFile(Buffer.concat([Buffer.from(root + '/'), rel])));
  }
  return out;
}

/** The live rows of a snapshot as `[userKey, value]` pairs in file order. */
export async function rowsOf(fsm: Uint8Array): Promise<Array<[Buffer, Buffer]>> {
  async function* one(): AsyncGenerator<Uint8Array> {
    yield fsm;
  }
  const out: Array<[Buffer, Buffer]> = [];
  for await (const r of new SnapshotReader(one()).records()) if (r.type === 'entry' && !r.tombstone) out.push([r.userKey, r.value]);
  return out;
}
