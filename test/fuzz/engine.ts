// The fuzzer (issue 15): mutated snapshots and hostile dump trees run through the commands, in process (spawning
// node per case is slow), with a few real CLI processes for the exit status and the one-line rule.
//
// Invariants checked on every run:
// - exit status in {0, 1, 2}, and no run longer than its timeout (`hang`);
// - a failing run prints exactly one line on stderr, carrying an error code (`one-coded-line`);
// - nothing is left in the case directory but the input and what the command published (`stray-files`);
// - resident memory stays bounded (`rss`);
// - a decode that exits 0 gives a tree `encode --self-test` accepts (`decode-encodable`);
// - a decode that fails with exit 2 is run again with `--salvage`, which exits 0, 2 or 3 (3: rows set apart in
//   `_quarantine/`); a tree it publishes (0 or 3) is accepted by `encode --self-test` too (`salvage-encodable`).
//
// A case is a recipe (base snapshot, kind, seed, and for trees the operations applied), so a failure can be saved
// as a fixture and replayed: a mutated snapshot is saved with its bytes, a hostile tree as its list of operations,
// applied again to the base snapshot's decoded tree.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readdirSync, lstatSync, mkdirSync, cpSync, symlinkSync, linkSync, writeFileSync, readFileSync, truncateSync, rmSync, renameSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { runCliProcess } from '../helpers/cli-process.ts';
import { joinFsm, sortRows, splitFsm } from './fsm-parts.ts';

/** A file name's limit in bytes (Linux), and the suffix of a hard link op's second name. */
const NAME_MAX = 255;
const LINK_SUFFIX = '.link';
const REPO = new URL('../../', import.meta.url).pathname;

/** A snapshot every case starts from, with the decode flags it needs. */
export interface Base {
  readonly name: string;
  readonly path: string;
  readonly flags: readonly string[];
}

/** The snapshots of the repository (every adapter, plain and runtime containers) and live node files if present. */
export function findBases(): Base[] {
  const paths = [
    'examples/sample.fsm',
    'test/fixtures/node-shapes/000000000000012d.fsm',
    'test/fixtures/conformance/dynamodb/dynamodb.fsm',
    'test/fixtures/conformance/redis/redis.fsm',
    'test/fixtures/conformance/s3/s3.fsm',
    'test/fixtures/conformance/s3-renamed/s3.fsm',
    'test/fixtures/conformance/sqs/sqs.fsm',
    'test/fixtures/keymap-order/s3.fsm',
    'test/fixtures/redis/strings-hll-reencoded.fsm',
  ].map((p) => join(REPO, p));
  const live = '/work/shared/conformance-live';
  if (existsSync(live)) {
    for (const d of readdirSync(live)) {
      const dir = join(live, d);
      if (!lstatSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir)) if (f.endsWith('.fsm')) paths.push(join(dir, f));
    }
  }
  return paths.filter((p) => existsSync(p)).map((p) => ({ name: p.startsWith(REPO) ? p.slice(REPO.length) : p, path: p, flags: p.includes('s3-renamed') || p.includes('keymap-order') ? ['--rename-collisions'] : [] }));
}

/** A small, fast, seedable PRNG (mulberry32). */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

// ---- snapshot mutations ----

function flipBit(b: Buffer, at: number, bit: number): void {
  b.writeUInt8((b.readUInt8(at) ^ (1 << bit)) & 0xff, at);
}

const INTERESTING_LENGTHS = [
  0n, 1n, 7n, 8n, 9n, 0xffn, 0x7fffffffn, 0xffffffffn, 0x100000000n, 1_048_585n, 268_435_500n,
  (1n << 63n) - 1n, (1n << 64n) - 1n,
];

/** Applies one random mutation to a snapshot file; returns the new bytes and its name. */
function mutateFsm(file: Buffer, rng: Rng): { bytes: Buffer; what: string } {
  const parts = splitFsm(file);
  const rows = parts.rows;
  const rowLevel = rows.length > 0 && rng.next() < 0.6;
  if (rowLevel) {
    const i = rng.int(rows.length);
    const row = rows.at(i) ?? { key: Buffer.alloc(0), value: Buffer.alloc(0) };
    switch (rng.int(8)) {
      case 0:
        rows.splice(i, 0, { key: Buffer.from(row.key), value: Buffer.from(row.value) });
        return { bytes: joinFsm(parts), what: 'duplicate-row' };
      case 1: {
        const next = rows.at(i + 1);
        if (next !== undefined) [rows[i], rows[i + 1]] = [next, row];
        return { bytes: joinFsm(parts), what: 'swap-rows' };
      }
      case 2:
        rows.splice(i, 1);
        return { bytes: joinFsm(parts), what: 'drop-row' };
      case 3: {
        // Damage the user key (not its timestamp) and keep the container in order: the row reaches the decoders.
        const userLen = row.key.length - 8;
        if (userLen > 0) flipBit(row.key, rng.int(userLen), rng.int(8));
        sortRows(rows);
        return { bytes: joinFsm(parts), what: 'damage-key' };
      }
      case 4: {
        if (row.value.length > 9) flipBit(row.value, 9 + rng.int(row.value.length - 9), rng.int(8));
        return { bytes: joinFsm(parts), what: 'damage-value' };
      }
      case 5: {
        row.value = row.value.subarray(0, rng.int(row.value.length + 1));
        return { bytes: joinFsm(parts), what: 'truncate-value' };
      }
      case 6: {
        if (row.value.length > 0) row.value[0] = rng.int(256);
        return { bytes: joinFsm(parts), what: 'value-flags' };
      }
      default: {
        // Another row's key prefix with this row's value: a value of the wrong type for its key.
        row.value = Buffer.from(rng.pick(rows).value);
        return { bytes: joinFsm(parts), what: 'foreign-value' };
      }
    }
  }
  const out = Buffer.from(file);
  switch (rng.int(5)) {
    case 0: {
      flipBit(out, rng.int(out.length), rng.int(8));
      return { bytes: out, what: 'bit-flip' };
    }
    case 1: {
      const at = rng.int(out.length);
      rng.bytes(1 + rng.int(8)).copy(out, at);
      return { bytes: out, what: 'overwrite' };
    }
    case 2:
      return { bytes: out.subarray(0, rng.int(out.length)), what: 'truncate' };
    case 3: {
      const at = rng.int(out.length + 1);
      return { bytes: Buffer.concat([out.subarray(0, at), rng.bytes(1 + rng.int(16)), out.subarray(at)]), what: 'insert' };
    }
    default: {
      // A length field of a row set to an interesting value.
      let at = parts.head.length;
      const target = rows.length === 0 ? 0 : rng.int(rows.length);
      for (const r of rows.slice(0, target)) at += 16 + r.key.length + r.value.length;
      const row = rows.at(target);
      if (row !== undefined && rng.next() < 0.5) at += 8 + row.key.length;
      if (at + 8 <= out.length) out.writeBigUInt64LE(rng.pick(INTERESTING_LENGTHS), at);
      return { bytes: out, what: 'length-field' };
    }
  }
}

// ---- hostile tree operations (declarative, so a failing case can be replayed) ----

export type TreeOp =
  | { readonly op: 'dir' | 'fifo' | 'socket' | 'remove' | 'symlink-out' | 'symlink-in' | 'hardlink'; readonly path: string }
  | { readonly op: 'truncate' | 'flip'; readonly path: string; readonly at: number }
  | { readonly op: 'append'; readonly path: string; readonly hex: string }
  | { readonly op: 'sparse'; readonly path: string; readonly size: number }
  | { readonly op: 'rename'; readonly path: string; readonly nameHex: string }
  | { readonly op: 'nest'; readonly path: string; readonly depth: number }
  | { readonly op: 'keymap'; readonly path: string; readonly line: string }
  | { readonly op: 'manifest'; readonly json: string };

function filesOf(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel))) {
    const r = rel === '' ? name : `${rel}/${name}`;
    if (lstatSync(join(root, r)).isDirectory()) out.push(...filesOf(root, r));
    else out.push(r);
  }
  return out.sort();
}

function dirsOf(root: string, rel = ''): string[] {
  const out: string[] = [rel];
  for (const name of readdirSync(join(root, rel))) {
    const r = rel === '' ? name : `${rel}/${name}`;
    if (lstatSync(join(root, r)).isDirectory()) out.push(...dirsOf(root, r));
  }
  return out;
}

const HOSTILE_NAMES = ['a\nb', 'x\u0001\u007f', '%zz.bin', '..bin', 'b64.!!.json', `${'0'.repeat(32)}__x.bin`, 'n'.repeat(255), '\u00ff\u00fe', ' .json', 'KEYMAP.jsonl', '_bucket.json', 'data-1.jsonl', 'CHECKSUMS'];

const KEYMAP_ATTACKS = [
  '{"encoded":"../escape","original":"eA==","kind":"sha-fallback"}',
  '{"encoded":"a/../../b","original":"eA==","kind":"s3-leaf-data"}',
  '{"encoded":"x","original":"AA==","kind":"sha-fallback"}',
  '{"encoded":"x","original":"not base64!","kind":"sha-fallback"}',
  '{"encoded":"x","original":"eA==","kind":"no-such-kind"}',
  '{"encoded":"","original":"","kind":""}',
  '[1,2,3]',
  '{"encoded":"x"',
  `{"encoded":"${'y'.repeat(5000)}","original":"eA==","kind":"sha-fallback"}`,
  '{"encoded":"_bucket.json","original":"eA==","kind":"s3-leaf-data"}',
];

/** Draws one operation for a tree (paths taken from the tree as it is). */
function drawTreeOp(root: string, rng: Rng): TreeOp {
  const files = filesOf(root);
  const dirs = dirsOf(root).filter((d) => d !== '');
  const file = rng.pick(files);
  switch (rng.int(13)) {
    case 0:
      return { op: 'dir', path: file };
    case 1:
      return { op: 'fifo', path: file };
    case 2:
      return { op: rng.next() < 0.5 ? 'symlink-out' : 'symlink-in', path: file };
    case 3:
      return { op: rng.next() < 0.3 ? 'socket' : 'hardlink', path: file };
    case 4:
      return { op: 'remove', path: rng.next() < 0.5 || dirs.length === 0 ? file : rng.pick(dirs) };
    case 5:
      return { op: 'truncate', path: file, at: rng.int(Math.max(1, lstatSync(join(root, file)).size)) };
    case 6:
      return { op: 'flip', path: file, at: rng.int(Math.max(1, lstatSync(join(root, file)).size)) };
    case 7:
      return { op: 'append', path: file, hex: rng.pick([Buffer.from('\n{"x":1}\n'), Buffer.from('\r\n'), Buffer.from('['.repeat(5000)), rng.bytes(8)]).toString('hex') };
    case 8:
      return { op: 'sparse', path: file, size: rng.pick([300 * 1024 * 1024, 2 * 1024 * 1024 * 1024]) };
    case 9: {
      // Another name than the file's own (a rename onto itself removed the file before moving it: ENOENT).
      const own = file.slice(file.lastIndexOf('/') + 1);
      const name = rng.pick(HOSTILE_NAMES.filter((n) => Buffer.from(n, 'latin1').toString('hex') !== Buffer.from(own).toString('hex')));
      return { op: 'rename', path: file, nameHex: Buffer.from(name, 'latin1').toString('hex') };
    }
    case 10:
      return { op: 'nest', path: rng.pick(dirs.length === 0 ? [''] : dirs), depth: rng.pick([3, 40, 200]) };
    case 11: {
      const keymaps = files.filter((f) => f.endsWith('KEYMAP.jsonl'));
      const target = keymaps.length > 0 ? rng.pick(keymaps) : rng.pick(['redis/db_0/KEYMAP.jsonl', ...dirs.filter((d) => d.startsWith('s3/') && d.split('/').length === 2).map((d) => `${d}/KEYMAP.jsonl`)]);
      return { op: 'keymap', path: target, line: rng.pick(KEYMAP_ATTACKS) };
    }
    default: {
      // An earlier op of the same case may have replaced or damaged MANIFEST.json (a directory, a FIFO, cut
      // short): nest instead.
      const path = join(root, 'MANIFEST.json');
      let m: Record<string, unknown>;
      try {
        if (!lstatSync(path, { throwIfNoEntry: false })?.isFile()) throw new Error('not a regular file');
        m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      } catch {
        return { op: 'nest', path: '', depth: 3 };
      }
      const k = rng.pick(Object.keys(m));
      m[k] = rng.pick<unknown>([null, 99, -1, '18446744073709551616', [], {}, 'x', true, JSON.parse('['.repeat(100) + ']'.repeat(100))]);
      return { op: 'manifest', json: JSON.stringify(m) };
    }
  }
}

/** Operations that change an entry in place or move it: nothing to do when an earlier operation removed it. */
const NEEDS_ENTRY: ReadonlySet<TreeOp['op']> = new Set(['hardlink', 'truncate', 'flip', 'append', 'sparse', 'rename']);

/**
 * Applies one operation to a tree. Operations of one case tolerate each other: one whose entry an earlier one
 * removed or replaced does nothing, a rename onto the entry's own name does nothing, and a second hard link of a
 * file replaces the first.
 */
export function applyTreeOp(root: string, op: TreeOp): void {
  if (op.op === 'manifest') {
    writeFileSync(join(root, 'MANIFEST.json'), op.json);
    return;
  }
  const p = join(root, op.path);
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (NEEDS_ENTRY.has(op.op) && (st === undefined || (op.op !== 'rename' && !st.isFile()))) return;
  const replace = (): void => {
    rmSync(p, { recursive: true, force: true });
  };
  switch (op.op) {
    case 'dir':
      replace();
      mkdirSync(p);
      return;
    case 'fifo':
      replace();
      execFileSync('mkfifo', [p]);
      return;
    case 'socket': {
      // A socket path may hold at most 107 bytes: bind one in a short directory, then move it into place.
      replace();
      const short = mkdtempSync(join(tmpdir(), 's-'));
      try {
        execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', join(short, 's')]);
        renameSync(join(short, 's'), p);
      } finally {
        rmSync(short, { recursive: true, force: true });
      }
      return;
    }
    case 'remove':
      replace();
      return;
    case 'symlink-out':
      replace();
      symlinkSync('/etc/hostname', p);
      return;
    case 'symlink-in':
      replace();
      symlinkSync(join(root, 'MANIFEST.json'), p);
      return;
    case 'hardlink': {
      // The link sits beside the file; a name already near NAME_MAX (bytes) gives its tail to the suffix.
      let name = basename(p);
      while (Buffer.byteLength(name) + LINK_SUFFIX.length > NAME_MAX) name = name.slice(0, -1);
      const link = join(dirname(p), `${name}${LINK_SUFFIX}`);
      if (link === p) return;
      rmSync(link, { recursive: true, force: true });
      linkSync(p, link);
      return;
    }
    case 'truncate':
      truncateSync(p, op.at);
      return;
    case 'flip': {
      const b = readFileSync(p);
      if (b.length > 0) flipBit(b, op.at % b.length, 5);
      writeFileSync(p, b);
      return;
    }
    case 'append':
      writeFileSync(p, Buffer.from(op.hex, 'hex'), { flag: 'a' });
      return;
    case 'sparse':
      truncateSync(p, op.size);
      return;
    case 'rename': {
      const to = Buffer.concat([Buffer.from(`${dirname(p)}/`), Buffer.from(op.nameHex, 'hex')]);
      if (to.equals(Buffer.from(p))) return;
      rmSync(to, { recursive: true, force: true });
      renameSync(p, to);
      return;
    }
    case 'nest': {
      let d = p;
      for (let i = 0; i < op.depth && d.length < 3500; i++) d = join(d, 'n');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'x.json'), '{}');
      return;
    }
    case 'keymap':
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, `${op.line}\n`, { flag: 'a' });
      return;
  }
}

// ---- running a case ----

type Invariant = 'exit-code' | 'one-coded-line' | 'hang' | 'stray-files' | 'rss' | 'decode-encodable' | 'salvage-encodable';

export interface Failure {
  readonly invariant: Invariant;
  /** The command that broke it. */
  readonly command: string;
  /** The error code printed, if any. */
  readonly code: string;
  readonly detail: string;
}

/** What reproduces a case: a snapshot's bytes, or a base tree and the operations applied to it. */
export type Recipe =
  | { readonly kind: 'fsm'; readonly base: string; readonly flags: readonly string[]; readonly what: string; readonly bytes: Buffer }
  | { readonly kind: 'tree'; readonly base: string; readonly flags: readonly string[]; readonly ops: readonly TreeOp[] };

export interface CaseResult {
  readonly recipe: Recipe;
  readonly failures: readonly Failure[];
  /** Commands run in the case. */
  readonly runs: number;
}

const RUN_TIMEOUT_MS = 30_000;
const RSS_LIMIT = 1536 * 1024 * 1024;
const CODED_LINE = /error \[([A-Z0-9]+_[A-Z0-9_]+)\]/;

interface Run {
  readonly code: number;
  readonly stderr: string;
}

async function inProcess(args: string[]): Promise<Run | 'hang'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => {
      resolve('hang');
    }, RUN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([runCli('elastickv-snapshot', args), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function viaProcess(args: string[]): Promise<Run | 'hang'> {
  const r = await runCliProcess(args, { timeoutMs: RUN_TIMEOUT_MS });
  if (r.hung) return 'hang';
  return { code: r.code ?? (r.signal === null ? -1 : 128), stderr: r.stderr };
}

/** Runs one command and checks the per-run invariants; returns the run (undefined after a hang). */
async function check(
  failures: Failure[],
  command: string,
  args: string[],
  cli: boolean,
  caseDir: string,
  allowed: ReadonlySet<string>,
  exits: readonly number[] = [0, 1, 2],
): Promise<Run | undefined> {
  const r = cli ? await viaProcess(args) : await inProcess(args);
  if (r === 'hang') {
    failures.push({ invariant: 'hang', command, code: '', detail: `no exit within ${RUN_TIMEOUT_MS} ms` });
    return undefined;
  }
  // Warnings may come first; the failure itself is one coded line.
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('warning: '));
  const code = CODED_LINE.exec(r.stderr)?.[1] ?? '';
  if (!exits.includes(r.code)) failures.push({ invariant: 'exit-code', command, code, detail: `exit ${r.code}: ${r.stderr.slice(0, 400)}` });
  if (r.code !== 0 && r.code !== 3 && (lines.length !== 1 || !CODED_LINE.test(lines[0] ?? ''))) {
    failures.push({ invariant: 'one-coded-line', command, code, detail: `exit ${r.code}, ${lines.length} stderr lines: ${r.stderr.slice(0, 400)}` });
  }
  const stray = readdirSync(caseDir).filter((n) => !allowed.has(n) && !((r.code === 0 || r.code === 3) && allowed.has(`${n}?`)));
  if (stray.length > 0) failures.push({ invariant: 'stray-files', command, code, detail: `left in the case directory: ${stray.join(', ')}` });
  const rss = process.memoryUsage.rss();
  if (rss > RSS_LIMIT) failures.push({ invariant: 'rss', command, code, detail: `resident memory ${Math.round(rss / 1048576)} MiB` });
  return r;
}

/** Runs a recipe in `caseDir` (created empty by the caller); `cli` runs the commands as real processes. */
export async function runRecipe(
  recipe: Recipe,
  caseDir: string,
  baseTrees: Map<string, string>,
  cli: boolean,
): Promise<CaseResult> {
  const failures: Failure[] = [];
  let runs = 0;
  const inputNames = new Set(['in.fsm', 'tree']);
  if (recipe.kind === 'fsm') {
    const input = join(caseDir, 'in.fsm');
    await fsp.writeFile(input, recipe.bytes);
    runs++;
    await check(failures, 'inspect', ['inspect', '--quiet', '--input', input], cli, caseDir, new Set(['in.fsm']));
    runs++;
    const dec = await check(failures, 'decode', ['decode', '--quiet', '--input', input, '--output', join(caseDir, 'tree'), ...recipe.flags], cli, caseDir, new Set(['in.fsm', 'tree?']));
    if (dec?.code === 0) {
      runs++;
      const enc = await check(failures, 'encode', ['encode', '--quiet', '--self-test', '--input', join(caseDir, 'tree'), '--output', join(caseDir, 'out.fsm'), '--scratch-root', caseDir], cli, caseDir, new Set([...inputNames, 'out.fsm?', 'out.fsm.encode_info.json', 'out.fsm.mismatch.txt']));
      if (enc !== undefined && enc.code !== 0) {
        failures.push({ invariant: 'decode-encodable', command: 'encode', code: CODED_LINE.exec(enc.stderr)?.[1] ?? '', detail: `decode exit 0, encode --self-test exit ${enc.code}: ${enc.stderr.slice(0, 400)}` });
      }
    }
    if (dec?.code === 2) {
      runs++;
      const salvaged = join(caseDir, 'salvaged');
      const sal = await check(failures, 'decode-salvage', ['decode', '--quiet', '--salvage', '--input', input, '--output', salvaged, ...recipe.flags], cli, caseDir, new Set(['in.fsm', 'salvaged?']), [0, 2, 3]);
      if (sal !== undefined && (sal.code === 0 || sal.code === 3)) {
        runs++;
        const enc = await check(failures, 'encode', ['encode', '--quiet', '--self-test', '--input', salvaged, '--output', join(caseDir, 'out.fsm'), '--scratch-root', caseDir], cli, caseDir, new Set(['in.fsm', 'salvaged', 'out.fsm?', 'out.fsm.encode_info.json', 'out.fsm.mismatch.txt']));
        if (enc !== undefined && enc.code !== 0) {
          failures.push({ invariant: 'salvage-encodable', command: 'encode', code: CODED_LINE.exec(enc.stderr)?.[1] ?? '', detail: `decode --salvage exit ${sal.code}, encode --self-test exit ${enc.code}: ${enc.stderr.slice(0, 400)}` });
        }
      }
    }
    return { recipe, failures, runs };
  }
  const tree = join(caseDir, 'tree');
  cpSync(baseTreeOf(baseTrees, recipe.base), tree, { recursive: true });
  for (const op of recipe.ops) applyTreeOp(tree, op);
  runs++;
  await check(failures, 'encode', ['encode', '--quiet', '--self-test', '--input', tree, '--output', join(caseDir, 'out.fsm'), '--scratch-root', caseDir], cli, caseDir, new Set(['tree', 'out.fsm?', 'out.fsm.encode_info.json', 'out.fsm.mismatch.txt']));
  runs++;
  await check(failures, 'verify', ['verify', '--quiet', '--input', tree], cli, caseDir, new Set(['tree', 'out.fsm', 'out.fsm.encode_info.json', 'out.fsm.mismatch.txt']));
  return { recipe, failures, runs };
}

function baseTreeOf(baseTrees: Map<string, string>, base: string): string {
  const tree = baseTrees.get(base);
  if (tree === undefined) throw new Error(`fuzz base ${base} was not prepared`);
  return tree;
}

/** Decodes every base once (the tree cases start from these). */
export async function prepareBases(bases: readonly Base[], dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  mkdirSync(dir, { recursive: true });
  for (const b of bases) {
    const tree = join(dir, `base-${out.size}`);
    const r = await runCli('elastickv-snapshot', ['decode', '--quiet', '--input', b.path, '--output', tree, ...b.flags]);
    if (r.code !== 0) throw new Error(`fuzz base ${b.name} does not decode: ${r.stderr}`);
    out.set(b.name, tree);
  }
  return out;
}

/** Draws case number `index` of a run seeded with `seed`. */
function drawCase(
  seed: number,
  index: number,
  bases: readonly Base[],
  baseTrees: Map<string, string>,
  scratch: string,
): Recipe {
  const rng = new Rng((seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);
  const base = rng.pick(bases);
  if (rng.next() < 0.7) {
    let bytes: Buffer = readFileSync(base.path);
    const what: string[] = [];
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const m = mutateFsm(bytes, rng);
      bytes = m.bytes;
      what.push(m.what);
      // A byte-level mutation may leave rows the splitter cannot follow: stop mutating there.
      if (!['duplicate-row', 'swap-rows', 'drop-row', 'damage-key', 'damage-value', 'truncate-value', 'value-flags', 'foreign-value'].includes(m.what)) break;
    }
    return { kind: 'fsm', base: base.name, flags: base.flags, what: what.join('+'), bytes };
  }
  // Tree operations are drawn against a scratch copy, so later ones see what earlier ones did.
  const draft = join(scratch, `draft-${index}`);
  rmSync(draft, { recursive: true, force: true });
  cpSync(baseTreeOf(baseTrees, base.name), draft, { recursive: true });
  const ops: TreeOp[] = [];
  try {
    for (let n = 1 + rng.int(2); n > 0; n--) {
      const op = drawTreeOp(draft, rng);
      ops.push(op);
      applyTreeOp(draft, op);
      if (['fifo', 'socket', 'symlink-out', 'symlink-in', 'sparse', 'rename'].includes(op.op)) break;
    }
  } finally {
    rmSync(draft, { recursive: true, force: true });
  }
  return { kind: 'tree', base: base.name, flags: base.flags, ops };
}

/** A failure's class: what a saved fixture is named for, and how new failures are told from known ones. */
export function failureClass(f: Failure): string {
  return `${f.invariant}-${f.command}${f.code === '' ? '' : `-${f.code}`}`;
}

/** Saves a failing recipe under `dir` as `<class>-<hash>.json` (and `.fsm`); returns the file's base name. */
export function saveFixture(dir: string, recipe: Recipe, f: Failure): string {
  const body = recipe.kind === 'fsm' ? recipe.bytes : Buffer.from(JSON.stringify(recipe.ops));
  const name = `${failureClass(f)}-${createHash('sha256').update(body).digest('hex').slice(0, 10)}`;
  mkdirSync(dir, { recursive: true });
  const meta = { kind: recipe.kind, base: recipe.base, flags: recipe.flags, invariant: f.invariant, command: f.command, code: f.code, detail: f.detail, ...(recipe.kind === 'fsm' ? { mutation: recipe.what } : { ops: recipe.ops }) };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(meta, null, 2)}\n`);
  if (recipe.kind === 'fsm') writeFileSync(join(dir, `${name}.fsm`), recipe.bytes);
  return name;
}

/** The recipes saved under `dir` (the regression fixtures npm test replays). */
export function loadFixtures(dir: string): Array<{ name: string; recipe: Recipe }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => {
      const meta = JSON.parse(readFileSync(join(dir, n), 'utf8')) as { kind: 'fsm' | 'tree'; base: string; flags: string[]; mutation?: string; ops?: TreeOp[] };
      const name = n.slice(0, -'.json'.length);
      const recipe: Recipe =
        meta.kind === 'fsm'
          ? { kind: 'fsm', base: meta.base, flags: meta.flags, what: meta.mutation ?? '', bytes: readFileSync(join(dir, `${name}.fsm`)) }
          : { kind: 'tree', base: meta.base, flags: meta.flags, ops: meta.ops ?? [] };
      return { name, recipe };
    });
}

/** Figures of a run. */
export interface RunStats {
  cases: number;
  runs: number;
  cliCases: number;
  failures: Map<string, number>;
}

/**
 * Runs cases `seed`/0, 1, 2, … until `deadline` (ms since the epoch) or `maxCases`; every `cliEvery`-th case runs its
 * commands as real processes. `onFailure` sees each failing case.
 */
export async function fuzz(opts: {
  seed: number;
  deadline: number;
  maxCases?: number;
  cliEvery: number;
  scratch: string;
  bases: readonly Base[];
  baseTrees: Map<string, string>;
  onFailure?: (r: CaseResult, index: number) => void;
}): Promise<RunStats> {
  const stats: RunStats = { cases: 0, runs: 0, cliCases: 0, failures: new Map() };
  for (let i = 0; Date.now() < opts.deadline && (opts.maxCases === undefined || i < opts.maxCases); i++) {
    const recipe = drawCase(opts.seed, i, opts.bases, opts.baseTrees, opts.scratch);
    const caseDir = join(opts.scratch, `case-${i}`);
    mkdirSync(caseDir);
    const cli = opts.cliEvery > 0 && i % opts.cliEvery === opts.cliEvery - 1;
    let result: CaseResult;
    try {
      result = await runRecipe(recipe, caseDir, opts.baseTrees, cli);
    } finally {
      rmSync(caseDir, { recursive: true, force: true });
    }
    stats.cases++;
    stats.runs += result.runs;
    if (cli) stats.cliCases++;
    for (const f of result.failures) {
      const k = failureClass(f);
      stats.failures.set(k, (stats.failures.get(k) ?? 0) + 1);
    }
    if (result.failures.length > 0) opts.onFailure?.(result, i);
    // A hang leaves work running in this process: stop rather than pile more on.
    if (result.failures.some((f) => f.invariant === 'hang')) break;
  }
  return stats;
}
