// Benchmark: decode, encode, and encode --self-test every workload snapshot given on the command line, through
// the compiled CLI in a child process.
//
//   npm run build && node --import tsx bench/run.ts [--json out.json] [--memory-budget 256M] a.fsm b.fsm …
//   npm run build && node --import tsx bench/run.ts --reference DIR [--pairs 3] a.fsm …
//   npm run build && node --import tsx bench/run.ts --filter CLAUSE a.fsm …   (also: decode with --include CLAUSE)
//   … --drop-caches …   (as root: each run starts with the kernel's caches dropped and its input read back in)
//   … --reference DIR --ops selftest …   (only these of decode,encode,selftest; ours decodes the encodes' tree)
//
// Without --reference: MB/s, records/s and peak RSS next to the raw limits of the same machine on the same bytes
// (sequential read, sequential write, SHA-256). With --reference DIR (a folder holding the reference Go binaries
// elastickv-snapshot-decode and elastickv-snapshot-encode): ours and the reference alternate on the same inputs
// (ours first in odd pairs, the reference first in even ones; each run starts after a sync, so no run waits for
// the previous one's writeback), and the table gives medians of the pairs, the ratio reference time / our time
// (above 1: we are faster), peak RSS of each, and whether the outputs were identical (trees compared file by file,
// MANIFEST.json without wall_time_iso and CHECKSUMS without MANIFEST.json's line; encoded snapshots byte for byte).
//
// Workload snapshots come from bench/generate.ts. Not part of `npm test`.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream, promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

interface Measure {
  seconds: number;
  peakRssBytes: number;
  /** The first 4 KiB the command wrote to stderr (its summary line). */
  stderr: string;
}

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'bin/elastickv-snapshot.js');
const MB = 1048576;

const DROP_CACHES = '/proc/sys/vm/drop_caches';
let dropCaches = false;

/**
 * Before a run: `sync`; with `--drop-caches`, also drop the kernel's page, dentry and inode caches and read the
 * run's input (a snapshot, or every file of a tree) and the program's own files back into the page cache. On some
 * kernels (seen on this project's 2-core VM: Linux 6.18, ext4) the system time of creating and removing files grows
 * with the dentries and inodes cached from earlier runs: one decode of a 128 MiB snapshot of 170k files went from
 * 15 to 60 s of system time over six runs, ours and the reference's alike, and back to 10 s after a drop. Dropping
 * before every run gives every run, ours or the reference's, the same start. The programs are read back like the
 * input (see {@link programFiles}): a run measures the work, not the loading of a binary from the disk, which added
 * 0.15-0.18 s to every start of Node (a 99 MB executable) and 0.02-0.03 s to the reference's (a 31 MB binary).
 */
function settle(input: string, cmd: string): void {
  spawnSync('sync');
  if (!dropCaches) return;
  writeFileSync(DROP_CACHES, '3\n');
  for (const path of [input, ...programFiles(cmd)]) {
    const warm = spawnSync('sh', ['-c', 'find "$1" -type f -exec cat {} + > /dev/null', 'sh', path]);
    if (warm.status !== 0) throw new Error(`reading ${path} back into the page cache failed: ${warm.stderr.toString()}`);
  }
}

/** The files a run of `cmd` loads: Node, our CLI's bundle and the packages it imports; or a reference binary. */
function programFiles(cmd: string): string[] {
  if (cmd !== process.execPath) return [cmd];
  return [process.execPath, join(root, 'bin'), join(root, 'dist/cli'), join(root, 'node_modules')];
}

/**
 * Runs a command to completion and measures its wall time and peak RSS. The peak is the process's own VmHWM,
 * sampled from /proc every 20 ms (getrusage's maxrss survives exec, so a child spawned by this large parent
 * would report the parent's size as its own). Every run starts after a `sync`, not timed: the kernel's writeback
 * of what the previous run wrote (a tree of a million files takes minutes to reach the disk) is not charged to the
 * next run, which would otherwise depend on which tool went first. With `--drop-caches`, see {@link settle}.
 */
function runMeasured(cmd: string, args: string[], input: string): Promise<Measure> {
  settle(input, cmd);
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString();
    });
    const sample = (): void => {
      try {
        const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m !== null) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // the process has just exited
      }
    };
    const timer = setInterval(sample, 20);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`));
      else resolve({ seconds, peakRssBytes: peak, stderr });
    });
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function rawLimits(
  file: string,
  bytes: number,
  scratch: string,
): Promise<{ read: number; write: number; sha: number }> {
  const read = await timed(async () => {
    let got = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) got += (chunk as Buffer).length;
    if (got !== bytes) throw new Error(`${file}: read ${got} bytes, expected ${bytes}`);
  });
  const sha = await timed(async () => {
    const h = createHash('sha256');
    for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
    h.digest();
  });
  const copy = join(scratch, 'raw-write.bin');
  const write = await timed(async () => {
    const fh = await fsp.open(copy, 'w');
    for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) await fh.write(c as Buffer);
    await fh.sync();
    await fh.close();
  });
  await fsp.rm(copy, { force: true });
  const mbps = (s: number): number => bytes / MB / s;
  return { read: mbps(read), write: mbps(write), sha: mbps(sha) };
}

function printTable(table: string[][]): void {
  const widths: number[] = [];
  for (const row of table) for (const [c, cell] of row.entries()) widths[c] = Math.max(widths[c] ?? 0, cell.length);
  for (const row of table) console.log(row.map((cell, c) => cell.padStart(widths[c] ?? 0)).join('  '));
}

function entriesOf(file: string): number {
  const inspect = spawnSync(process.execPath, [cli, 'inspect', '--quiet', '--json', '--input', file]);
  return (JSON.parse(inspect.stdout.toString()) as { entries: number }).entries;
}

/** The three operations measured, as argument lists for ours and for the reference. */
interface Tool {
  decode(input: string, output: string, extra?: string[]): [string, string[]];
  encode(input: string, output: string, selfTest: boolean, scratch: string): [string, string[]];
}

function oursTool(budget: string): Tool {
  const node = (args: string[]): [string, string[]] => [process.execPath, [cli, ...args]];
  return {
    decode: (input, output, extra = []) => node(['decode', '--quiet', '--memory-budget', budget, ...extra, '--input', input, '--output', output]),
    encode: (input, output, selfTest, scratch) =>
      node(['encode', '--quiet', '--memory-budget', budget, ...(selfTest ? ['--self-test'] : []), '--input', input, '--output', output, '--scratch-root', scratch]),
  };
}

function referenceTool(dir: string): Tool {
  return {
    decode: (input, output) => [join(dir, 'elastickv-snapshot-decode'), ['--input', input, '--output', output]],
    encode: (input, output, selfTest, scratch) => [join(dir, 'elastickv-snapshot-encode'), [...(selfTest ? ['--self-test'] : []), '--input', input, '--output', output, '--scratch-root', scratch]],
  };
}

/** A file's bytes as compared: MANIFEST.json without its wall-clock line, CHECKSUMS without MANIFEST.json's. */
function comparable(rel: string, bytes: Buffer): Buffer {
  if (rel === 'MANIFEST.json') return Buffer.from(bytes.toString('utf8').replace(/^\s*"wall_time_iso":.*$/m, ''));
  if (rel === 'CHECKSUMS') return Buffer.from(bytes.toString('utf8').replace(/^[0-9a-f]+ {2}MANIFEST\.json\n/m, ''));
  return bytes;
}

/** Whether two files hold the same bytes, read side by side in chunks of at most 1 MiB (no whole file in memory). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([fsp.open(a), fsp.open(b)]);
  try {
    const [sa, sb] = await Promise.all([fa.stat(), fb.stat()]);
    if (sa.size !== sb.size) return false;
    const chunk = Math.min(sa.size, MB);
    const [ba, bb] = [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)];
    for (let pos = 0; pos < sa.size; ) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, chunk, pos), fb.read(bb, 0, chunk, pos)]);
      if (ra.bytesRead !== rb.bytesRead || ra.bytesRead === 0) return false;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      pos += ra.bytesRead;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** File pairs compared at once: enough to keep libuv's threads and the disk busy on trees of many small files. */
const COMPARE_CONCURRENCY = 64;

/**
 * Whether two trees hold the same regular files with the same bytes (`.scratch/` left out: the reference leaves an
 * empty one behind). Both trees are walked together, directory by directory in sorted order, and file pairs are
 * compared as they are listed, many at once; nothing but the current directories' listings is held, and the first
 * difference ends the walk.
 */
async function sameTree(a: string, b: string): Promise<boolean> {
  let same = true;
  const running = new Set<Promise<void>>();
  const compare = async (rel: string): Promise<void> => {
    const [pa, pb] = [join(a, rel), join(b, rel)];
    try {
      const ok = rel === 'MANIFEST.json' || rel === 'CHECKSUMS'
        ? comparable(rel, await fsp.readFile(pa)).equals(comparable(rel, await fsp.readFile(pb)))
        : await sameBytes(pa, pb);
      if (!ok) console.error(`trees differ at ${rel}`);
      same &&= ok;
    } catch (err) {
      same = false;
      console.error(`trees differ at ${rel}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const schedule = async (rel: string): Promise<void> => {
    while (running.size >= COMPARE_CONCURRENCY) await Promise.race(running);
    const task: Promise<void> = compare(rel).finally(() => running.delete(task));
    running.add(task);
  };
  const listing = async (dir: string): Promise<Array<[string, 'dir' | 'file' | 'other']>> =>
    (await fsp.readdir(dir, { withFileTypes: true }))
      .filter((e) => !(e.isDirectory() && e.name === '.scratch'))
      .map((e): [string, 'dir' | 'file' | 'other'] => [e.name, e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other'])
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)); // any one order: both listings are sorted alike
  const walk = async (rel: string): Promise<void> => {
    const [la, lb] = await Promise.all([listing(join(a, rel)), listing(join(b, rel))]);
    if (la.length !== lb.length) {
      same = false;
      console.error(`trees differ in ${rel || '.'}: ${la.length} and ${lb.length} entries`);
      return;
    }
    for (const [i, [name, kind]] of la.entries()) {
      if (!same) break;
      const [nameB, kindB] = lb[i] ?? [];
      const r = rel ? join(rel, name) : name;
      if (name !== nameB || kind !== kindB || kind === 'other') {
        same = false;
        console.error(`trees differ at ${r}`);
      } else if (kind === 'dir') await walk(r);
      else await schedule(r);
    }
  };
  await walk('');
  await Promise.all(running);
  return same;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s[Math.floor(s.length / 2)];
  if (m === undefined) throw new Error('median of no values');
  return m;
};

type Op = 'decode' | 'encode' | 'selftest';
const OPS: readonly Op[] = ['decode', 'encode', 'selftest'];

interface PairedRow {
  workload: string;
  bytes: number;
  entries: number;
  /** The operations measured (`--ops`); the others' lists stay empty. */
  ops: Op[];
  ours: Record<Op, Measure[]>;
  reference: Record<Op, Measure[]>;
  identical: { tree: boolean; encode: boolean; selftest: boolean };
}

/**
 * One pair of runs of each operation, ours and the reference alternating. The two trees are compared as soon as
 * both decodes are done, and the reference's is removed then: the encodes read ours, and a pair of trees of
 * millions of files plus a self-test's scratch tree is what the benchmark's file system must hold. Each run's
 * figures go to stderr as it ends, and a failure is reported before the scratch directory (which can take minutes
 * to remove) goes.
 */
async function pairedRuns(file: string, ours: Tool, ref: Tool, pairs: number, ops: Op[]): Promise<PairedRow> {
  const row: PairedRow = {
    workload: basename(file, '.fsm'),
    bytes: (await fsp.stat(file)).size,
    entries: entriesOf(file),
    ops,
    ours: { decode: [], encode: [], selftest: [] },
    reference: { decode: [], encode: [], selftest: [] },
    identical: { tree: true, encode: true, selftest: true },
  };
  const measure = async (p: number, op: Op, who: 'ours' | 'reference', [cmd, args]: [string, string[]], input: string): Promise<void> => {
    const m = await runMeasured(cmd, args, input);
    row[who][op].push(m);
    console.error(`${row.workload} pair ${p + 1}/${pairs}: ${op} ${who} ${m.seconds.toFixed(2)} s, peak RSS ${(m.peakRssBytes / MB).toFixed(0)} MiB`);
  };
  for (let p = 0; p < pairs; p++) {
    const scratch = await fsp.mkdtemp(join(tmpdir(), 'ekv-bench-'));
    try {
      const order: Array<['ours' | 'reference', Tool]> = p % 2 === 0 ? [['ours', ours], ['reference', ref]] : [['reference', ref], ['ours', ours]];
      const tree = join(scratch, 'ours-tree');
      if (ops.includes('decode')) {
        for (const [who, tool] of order) await measure(p, 'decode', who, tool.decode(file, join(scratch, `${who}-tree`)), file);
        row.identical.tree &&= await sameTree(tree, join(scratch, 'reference-tree'));
        await fsp.rm(join(scratch, 'reference-tree'), { recursive: true, force: true });
      } else {
        const m = await runMeasured(...ours.decode(file, tree), file);
        console.error(`${row.workload} pair ${p + 1}/${pairs}: the encodes' tree decoded by ours in ${m.seconds.toFixed(2)} s (not measured against the reference)`);
      }
      // Both encoders read the same tree (ours), so their outputs must be identical.
      for (const op of (['encode', 'selftest'] as const).filter((o) => ops.includes(o))) {
        for (const [who, tool] of order) await measure(p, op, who, tool.encode(tree, join(scratch, `${who}-${op}.fsm`), op === 'selftest', scratch), tree);
        row.identical[op] &&= await sameBytes(join(scratch, `ours-${op}.fsm`), join(scratch, `reference-${op}.fsm`));
      }
    } catch (err) {
      console.error(`${row.workload} pair ${p + 1}/${pairs} failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      await fsp.rm(scratch, { recursive: true, force: true });
    }
  }
  return row;
}

function printPaired(rows: PairedRow[]): void {
  const head = ['workload', 'MB', 'entries'];
  for (const op of OPS) head.push(`${op} ours s`, 'ref s', 'ratio');
  head.push('RSS ours MB', 'RSS ref MB', 'identical');
  const table = [head];
  for (const r of rows) {
    const cells = [r.workload, (r.bytes / MB).toFixed(0), String(r.entries)];
    for (const op of OPS) {
      if (!r.ops.includes(op)) {
        cells.push('-', '-', '-');
        continue;
      }
      const o = median(r.ours[op].map((m) => m.seconds));
      const f = median(r.reference[op].map((m) => m.seconds));
      cells.push(o.toFixed(2), f.toFixed(2), `${(f / o).toFixed(2)}x`);
    }
    const peak = (ms: Record<Op, Measure[]>): number =>
      Math.max(...OPS.flatMap((op) => ms[op].map((m) => m.peakRssBytes)));
    cells.push((peak(r.ours) / MB).toFixed(0), (peak(r.reference) / MB).toFixed(0), r.identical.tree && r.identical.encode && r.identical.selftest ? 'yes' : `NO ${JSON.stringify(r.identical)}`);
    table.push(cells);
  }
  printTable(table);
}

interface SoloRow {
  workload: string;
  bytes: number;
  entries: number;
  decode: Measure;
  encode: Measure;
  rawRead: number;
  rawWrite: number;
  sha256: number;
  /** The decode with `--include <filter>`, and the entries the filter kept (decode's count of adapter rows). */
  filtered?: { clause: string; decode: Measure; keptEntries: number };
}

/** Adapter rows a filtered decode kept, from its summary line (entries minus filtered, internal, tombstones, …). */
function keptRows(summary: string): number {
  let n = 0;
  for (const a of ['dynamodb', 's3', 'redis', 'sqs']) n += Number(new RegExp(` ${a}=(\\d+)`).exec(summary)?.[1] ?? 0);
  return n;
}

async function soloRun(file: string, ours: Tool, filter: string | undefined): Promise<SoloRow> {
  const scratch = await fsp.mkdtemp(join(tmpdir(), 'ekv-bench-'));
  try {
    const bytes = (await fsp.stat(file)).size;
    const entries = entriesOf(file);
    const decode = await runMeasured(...ours.decode(file, join(scratch, 'tree')), file);
    const encode = await runMeasured(...ours.encode(join(scratch, 'tree'), join(scratch, 'out.fsm'), true, scratch), join(scratch, 'tree'));
    const raw = await rawLimits(file, bytes, scratch);
    const row: SoloRow = { workload: basename(file, '.fsm'), bytes, entries, decode, encode, rawRead: raw.read, rawWrite: raw.write, sha256: raw.sha };
    if (filter === undefined) return row;
    const [cmd, args] = ours.decode(file, join(scratch, 'filtered'), ['--include', filter]);
    const measured = await runMeasured(cmd, args, file);
    return { ...row, filtered: { clause: filter, decode: measured, keptEntries: keptRows(measured.stderr) } };
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}

function printSolo(rows: SoloRow[]): void {
  printTable([
    ['workload', 'MB', 'entries', 'dec MB/s', 'dec rec/s', 'dec RSS MB', 'enc+st MB/s', 'enc rec/s', 'enc RSS MB', 'read MB/s', 'write MB/s', 'sha256 MB/s'],
    ...rows.map((r) => [
      r.workload,
      (r.bytes / MB).toFixed(0),
      String(r.entries),
      (r.bytes / MB / r.decode.seconds).toFixed(1),
      (r.entries / r.decode.seconds).toFixed(0),
      (r.decode.peakRssBytes / MB).toFixed(0),
      (r.bytes / MB / r.encode.seconds).toFixed(1),
      (r.entries / r.encode.seconds).toFixed(0),
      (r.encode.peakRssBytes / MB).toFixed(0),
      r.rawRead.toFixed(0),
      r.rawWrite.toFixed(0),
      r.sha256.toFixed(0),
    ]),
  ]);
}

function printFiltered(rows: SoloRow[]): void {
  const f = rows.flatMap((r) => (r.filtered === undefined ? [] : [{ ...r, filtered: r.filtered }]));
  if (f.length === 0) return;
  console.log('');
  printTable([
    ['workload', 'filter', 'kept', 'kept %', 'full dec s', 'filtered dec s', 'time %', 'full RSS MB', 'filtered RSS MB'],
    ...f.map((r) => {
      const x = r.filtered;
      return [
        r.workload,
        x.clause,
        String(x.keptEntries),
        ((100 * x.keptEntries) / Math.max(1, r.entries)).toFixed(2),
        r.decode.seconds.toFixed(2),
        x.decode.seconds.toFixed(2),
        ((100 * x.decode.seconds) / r.decode.seconds).toFixed(1),
        (r.decode.peakRssBytes / MB).toFixed(0),
        (x.decode.peakRssBytes / MB).toFixed(0),
      ];
    }),
  ]);
}

const USAGE = 'usage: node --import tsx bench/run.ts [--json out.json] [--memory-budget SIZE] [--filter CLAUSE] [--reference DIR [--pairs N] [--ops decode,encode,selftest]] [--drop-caches] workload.fsm …';

/** `--ops`: a comma-separated subset of decode, encode and selftest, each at most once. */
function parseOps(list: string): Op[] {
  const ops = list.split(',');
  for (const [i, op] of ops.entries()) {
    if (!(OPS as readonly string[]).includes(op) || ops.indexOf(op) !== i) throw new Error(`--ops ${list}: expected a comma-separated subset of ${OPS.join(',')}\n${USAGE}`);
  }
  return OPS.filter((op) => ops.includes(op));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let jsonOut: string | undefined;
  let budget = '256M';
  let reference: string | undefined;
  let pairs = 3;
  let filter: string | undefined;
  let ops: Op[] = [...OPS];
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--json') jsonOut = value();
    else if (a === '--memory-budget') budget = value();
    else if (a === '--reference') reference = value();
    else if (a === '--pairs') pairs = Number(value());
    else if (a === '--filter') filter = value();
    else if (a === '--ops') ops = parseOps(value());
    else if (a === '--drop-caches') dropCaches = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return;
    } else if (a.startsWith('-')) throw new Error(`unknown flag ${a}\n${USAGE}`);
    else files.push(a);
  }
  if (files.length === 0 || !Number.isInteger(pairs) || pairs < 1) {
    console.error(USAGE);
    process.exitCode = 1;
    return;
  }
  if (dropCaches) {
    try {
      accessSync(DROP_CACHES, constants.W_OK);
    } catch {
      throw new Error(`--drop-caches needs to write ${DROP_CACHES} (run as root)`);
    }
  }
  const ours = oursTool(budget);
  if (reference !== undefined) {
    const ref = referenceTool(reference);
    const rows: PairedRow[] = [];
    for (const file of files) rows.push(await pairedRuns(file, ours, ref, pairs, ops));
    printPaired(rows);
    if (jsonOut !== undefined) await fsp.writeFile(jsonOut, JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const rows: SoloRow[] = [];
  for (const file of files) rows.push(await soloRun(file, ours, filter));
  printSolo(rows);
  printFiltered(rows);
  if (jsonOut !== undefined) await fsp.writeFile(jsonOut, JSON.stringify(rows, null, 2) + '\n');
}

await main();
