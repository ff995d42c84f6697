// Workload generator for bench/run.ts: writes `.fsm` snapshots of a given size made of the record kinds this
// version decodes, in the exact form the encoder writes (so the encode step reproduces them).
//
//   node --import tsx bench/generate.ts --workload small-strings|large-strings|hll-ttl --size 1G --output X.fsm
//
// Keys are fixed-width and generated in ascending order, so rows stream straight into the writer.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { encodeInlineValue, encodeTtlValue, HLL_VERSION, STRING_VERSION } from '../src/adapters/redis/inline-value.ts';
import { encodeMvccKey, encodeMvccValue } from '../src/snapshot/mvcc.ts';
import { SnapshotWriter } from '../src/snapshot/writer.ts';

interface Workload {
  /** Rows for item i, in encoded-key order. */
  rows(i: number): Array<[Buffer, Buffer]>;
}

const T = 115720113487052800n;
const pad = (i: number): string => String(i).padStart(12, '0');

function body(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    b.writeUInt32LE(x, i); // sizes are multiples of 4
  }
  return b;
}

const WORKLOADS: Readonly<Record<string, Workload>> = {
  // Many small Redis strings, one in eight with a TTL.
  'small-strings': {
    rows: (i) => [[Buffer.from(`!redis|str|user:${pad(i)}`), encodeInlineValue(STRING_VERSION, body(64, i), i % 8 === 0 ? 1798761600000n + BigInt(i) : 0n)]],
  },
  // Large values: 256 KiB strings.
  'large-strings': {
    rows: (i) => [[Buffer.from(`!redis|str|blob:${pad(i)}`), encodeInlineValue(STRING_VERSION, body(256 * 1024, i), 0n)]],
  },
  // HyperLogLogs, each with an inline TTL.
  'hll-ttl': {
    rows: (i) => [[Buffer.from(`!redis|hll|hll:${pad(i)}`), encodeInlineValue(HLL_VERSION, body(1024, i), 1798761600000n)]],
  },
};

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (m === null) throw new Error(`bad size ${s}`);
  return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[(m[2] ?? '').toUpperCase()]!;
}

async function main(): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
  const name = args.get('workload') ?? 'small-strings';
  const w = WORKLOADS[name];
  if (w === undefined) throw new Error(`unknown workload ${name}; one of ${Object.keys(WORKLOADS).join(', ')}`);
  const target = parseSize(args.get('size') ?? '64M');
  const out = createWriteStream(args.get('output') ?? `${name}.fsm`);
  const writer = new SnapshotWriter({
    write: async (chunk) => {
      if (!out.write(chunk)) await once(out, 'drain');
    },
  });
  await writer.writeHeader(T);
  let i = 0;
  const ttlRows: Array<[Buffer, Buffer]> = [];
  while (writer.bytesWritten < target) {
    for (const [k, v] of w.rows(i)) {
      await writer.writeEntry(encodeMvccKey(k, T), encodeMvccValue(v));
      if (name === 'hll-ttl') ttlRows.push([Buffer.from(`!redis|ttl|${k.subarray('!redis|hll|'.length).toString()}`), encodeTtlValue(1798761600000n)]);
    }
    i++;
  }
  // `!redis|ttl|` sorts after `!redis|hll|`: the scan-index rows come last, in the same key order.
  for (const [k, v] of ttlRows) await writer.writeEntry(encodeMvccKey(k, T), encodeMvccValue(v));
  await writer.flush();
  out.end();
  await once(out, 'finish');
  console.error(`${name}: ${i} items, ${writer.entries} entries, ${writer.bytesWritten} bytes`);
}

await main();
