// Collection elements packed into chunks at decode (element-chunks.ts): whatever order the rows arrive in (members
// that prefix each other, versions whose inverted timestamps sort among other members' bytes, list keys whose rows
// interleave, elements large enough to close chunks mid-key), each file holds the elements in output order with
// the version each policy picks.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { redisAdapter } from '../../../src/adapters/redis/index.ts';
import { buildFsm, type FsmRow } from '../../helpers/fsm.ts';
import { decodeWith } from '../../helpers/adapter-harness.ts';

type Kind = 'hash' | 'set' | 'zset' | 'list';

const PREFIX: Record<Kind, string> = { hash: '!hs|fld|', set: '!st|mem|', zset: '!zs|mem|', list: '!lst|itm|' };
const DIR: Record<Kind, string> = { hash: 'hashes', set: 'sets', zset: 'zsets', list: 'lists' };
const ARRAY: Record<Kind, string> = { hash: 'fields', set: 'members', zset: 'members', list: 'items' };

/** Commit timestamps whose inverted first byte is FF, FE, 62 ('b'), 61 ('a') or 01. */
const TS_HIGH = [0x00n, 0x01n, 0x9dn, 0x9en, 0xfen];
const LAST_TS = (0xfen << 56n) | 0xffffn;

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

function rowKey(kind: Kind, key: Buffer, sub: Buffer): Buffer {
  if (kind === 'list') return Buffer.concat([Buffer.from(PREFIX.list), key, sub]);
  return Buffer.concat([Buffer.from(PREFIX[kind]), be32(key.length), key, sub]);
}

const small = (chars: number[], max: number): fc.Arbitrary<Buffer> =>
  fc.array(fc.constantFrom(...chars), { maxLength: max }).map((a) => Buffer.from(a));

interface Version {
  readonly ts: bigint;
  readonly tombstone: boolean;
  readonly value: Buffer;
}

const version = (kind: Kind): fc.Arbitrary<Version> =>
  fc.record({
    ts: fc.tuple(fc.constantFrom(...TS_HIGH), fc.bigInt({ min: 1n, max: 0xffffn })).map(([h, l]) => (h << 56n) | l),
    tombstone: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
    value:
      kind === 'zset'
        ? fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => {
            const b = Buffer.alloc(8);
            b.writeDoubleBE(x);
            return b;
          })
        : kind === 'set'
          ? fc.constant(Buffer.alloc(0))
          : fc.oneof(
              { weight: 9, arbitrary: small([0x61, 0x62], 3) },
              { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 70_000 }).map((n) => Buffer.alloc(n, 0x76)) },
            ),
  });

/** A database of one collection type: keys and sub-keys from tiny alphabets, so they prefix each other. */
const database = (kind: Kind): fc.Arbitrary<Array<{ key: Buffer; sub: Buffer; versions: Version[] }>> =>
  fc.array(
    fc.record({
      key: fc.array(fc.constantFrom(0x61, 0x62), { minLength: 1, maxLength: 2 }).map((a) => Buffer.from(a)),
      sub:
        kind === 'list'
          ? fc
              .tuple(fc.constantFrom(0x00, 0x61, 0x62, 0x63, 0x80, 0xff), fc.uint8Array({ minLength: 7, maxLength: 7 }))
              .map(([h, t]) => Buffer.from([h, ...t]))
          : small([0x00, 0x61, 0x62, 0xfe, 0xff], 4),
      versions: fc.uniqueArray(version(kind), { minLength: 1, maxLength: 3, selector: (v) => v.ts }),
    }),
    { minLength: 1, maxLength: 60 },
  );

/** What a file must hold per key: [sub, value] in output order, under each policy. */
function expected(db: Array<{ key: Buffer; sub: Buffer; versions: Version[] }>, policy: 'latest' | 'all'): Map<string, Array<[Buffer, Buffer]>> {
  const byElement = new Map<string, { key: Buffer; sub: Buffer; versions: Version[] }>();
  for (const e of db) {
    const id = `${e.key.toString('hex')}/${e.sub.toString('hex')}`;
    const had = byElement.get(id);
    if (had === undefined) byElement.set(id, { key: e.key, sub: e.sub, versions: [...e.versions] });
    else for (const v of e.versions) if (!had.versions.some((w) => w.ts === v.ts)) had.versions.push(v);
  }
  const out = new Map<string, Array<[Buffer, Buffer]>>();
  for (const e of byElement.values()) {
    const newestFirst = [...e.versions].sort((a, b) => (a.ts > b.ts ? -1 : 1));
    // latest: the newest version unless it is a tombstone; all (the reference's reading): the last live row in
    // key order, the oldest.
    const pick = policy === 'latest' ? (newestFirst[0]?.tombstone === true ? undefined : newestFirst[0]) : newestFirst.filter((v) => !v.tombstone).at(-1);
    if (pick === undefined) continue;
    const k = e.key.toString('latin1');
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push([e.sub, pick.value]);
  }
  for (const list of out.values()) list.sort((a, b) => Buffer.compare(a[0], b[0]));
  return out;
}

const fromJson = (v: unknown): Buffer =>
  typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from((v as { base64: string }).base64, 'base64url');

/** The [sub, value] pairs a decoded file holds (subs of list items are not in the file: compared by value). */
function actual(kind: Kind, doc: Record<string, unknown>): Array<[Buffer | undefined, Buffer]> {
  const arr = doc[ARRAY[kind]] as unknown[];
  return arr.map((x) => {
    if (kind === 'hash') return [fromJson((x as { name: unknown }).name), fromJson((x as { value: unknown }).value)];
    if (kind === 'set') return [fromJson(x), Buffer.alloc(0)];
    if (kind === 'list') return [undefined, fromJson(x)];
    const z = x as { member: unknown; score: number | string };
    const b = Buffer.alloc(8);
    b.writeDoubleBE(typeof z.score === 'number' ? z.score : z.score === '+inf' ? Infinity : -Infinity);
    return [fromJson(z.member), b];
  });
}

for (const kind of ['hash', 'set', 'zset', 'list'] as const) {
  test(`property: ${kind} elements come out in output order with each policy's version, however their rows arrive`, async () => {
    await fc.assert(
      fc.asyncProperty(database(kind), fc.constantFrom('latest' as const, 'all' as const), async (db, policy) => {
        const rows: FsmRow[] = [];
        const seen = new Set<string>();
        for (const e of db)
          for (const v of e.versions) {
            const id = `${rowKey(kind, e.key, e.sub).toString('hex')}@${v.ts}`;
            if (seen.has(id)) continue;
            seen.add(id);
            rows.push({ key: rowKey(kind, e.key, e.sub), value: v.value, commitTs: v.ts, tombstone: v.tombstone });
          }
        const { tree } = await decodeWith([redisAdapter], buildFsm(LAST_TS, rows), { versions: policy });
        const want = expected(db, policy);
        const dir = join(tree, 'redis/db_0', DIR[kind]);
        const files = await fsp.readdir(dir).catch(() => [] as string[]);
        assert.deepEqual(files.map((f) => f.replace(/\.json$/, '')).sort(), [...want.keys()].sort());
        for (const [k, list] of want) {
          const doc = JSON.parse(await fsp.readFile(join(dir, `${k}.json`), 'utf8')) as Record<string, unknown>;
          const got = actual(kind, doc);
          assert.equal(got.length, list.length, `${kind} ${k}`);
          got.forEach(([sub, value], i) => {
            const [wantSub, wantValue] = list[i]!;
            if (sub !== undefined) assert.equal(sub.toString('hex'), wantSub.toString('hex'), `${kind} ${k} element ${i}`);
            if (kind !== 'set') assert.equal(value.toString('hex'), wantValue.toString('hex'), `${kind} ${k} element ${i}`);
          });
        }
        await fsp.rm(join(tree, '..'), { recursive: true, force: true });
      }),
      { numRuns: 60, plugins: [fc.interruptAfterTimeLimit(20_000)] },
    );
  });
}
