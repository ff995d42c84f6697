// Benchmark: decode and encode (with --self-test) every workload snapshot given on the command line, through
// the compiled CLI in a child process, and report MB/s, records/s and peak RSS next to the raw limits of the
// same machine on the same bytes (sequential read, sequential write, SHA-256).
//
//   npm run build && node --import tsx bench/run.ts [--json out.json] [--memory-budget 256M] a.fsm b.fsm …
//
// Workload snapshots come from bench/generate.ts. Not part of `npm test`.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

interface Measure {
  seconds: number;
  peakRssBytes: number;
}

interface Row {
  workload: string;
  bytes: number;
  entries: number;
  decode: Measure;
  encode: Measure;
  rawRead: number;
  rawWrite: number;
  sha256: number;
}

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'bin/elastickv-snapshot.js');
const preload = join(root, 'bench/maxrss-preload.mjs');

function runMeasured(args: string[]): Measure {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${Date.now()}`);
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', preload, cli, ...args], { env: { ...process.env, BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  const peakRssBytes = Number(readFileSync(rssFile, 'utf8'));
  return { seconds, peakRssBytes };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function rawLimits(file: string, bytes: number, scratch: string): Promise<{ read: number; write: number; sha: number }> {
  const read = await timed(async () => {
    for await (const _ of createReadStream(file, { highWaterMark: 1 << 20 })) void _;
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
  const mbps = (s: number): number => bytes / 1048576 / s;
  return { read: mbps(read), write: mbps(write), sha: mbps(sha) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let jsonOut: string | undefined;
  let budget = '256M';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') jsonOut = args[++i];
    else if (args[i] === '--memory-budget') budget = args[++i] ?? budget;
    else files.push(args[i]!);
  }
  if (files.length === 0) {
    console.error('usage: node --import tsx bench/run.ts [--json out.json] [--memory-budget SIZE] workload.fsm …');
    process.exit(1);
  }
  const rows: Row[] = [];
  for (const file of files) {
    const scratch = await fsp.mkdtemp(join(tmpdir(), 'ekv-bench-'));
    try {
      const bytes = (await fsp.stat(file)).size;
      const inspect = spawnSync(process.execPath, [cli, 'inspect', '--quiet', '--json', '--input', file]);
      const entries = Number((JSON.parse(inspect.stdout.toString()) as { entries: number }).entries);
      const decode = runMeasured(['decode', '--quiet', '--memory-budget', budget, '--input', file, '--output', join(scratch, 'tree')]);
      const encode = runMeasured(['encode', '--quiet', '--self-test', '--memory-budget', budget, '--input', join(scratch, 'tree'), '--output', join(scratch, 'out.fsm'), '--scratch-root', scratch]);
      const raw = await rawLimits(file, bytes, scratch);
      rows.push({ workload: basename(file, '.fsm'), bytes, entries, decode, encode, rawRead: raw.read, rawWrite: raw.write, sha256: raw.sha });
    } finally {
      await fsp.rm(scratch, { recursive: true, force: true });
    }
  }
  const MB = 1048576;
  const table = [
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
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
  if (jsonOut !== undefined) await fsp.writeFile(jsonOut, JSON.stringify(rows, null, 2) + '\n');
}

await main();
