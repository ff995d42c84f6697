// Snapshot rows covering the Redis collection families, keys and values built by hand from the layouts of
// redis.md §1 (BE32 length-prefixed user keys, sortable list sequences, IEEE-754 score bits, protobuf envelopes).
import type { FsmRow } from '../../helpers/fsm.ts';

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const be64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, n));
  return b;
};
const f64 = (x: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b;
};
const f64le = (x: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b;
};
const cat = (...p: Array<string | Buffer>): Buffer => Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));
const lp = (prefix: string, k: string | Buffer): Buffer => {
  const kb = typeof k === 'string' ? Buffer.from(k, 'latin1') : k;
  return cat(prefix, be32(kb.length), kb);
};
const sortI64 = (n: bigint): Buffer => be64(BigInt.asUintN(64, n) ^ (1n << 63n));
const pbString = (field: number, s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return cat(Buffer.from([(field << 3) | 2, b.length]), b);
};
const streamValue = (id: string, ...fields: string[]): Buffer =>
  cat(Buffer.from([0x00, 0x52, 0x58, 0x45, 0x01]), pbString(1, id), ...fields.map((f) => pbString(2, f)));
const zsetBlob = (...entries: Array<[string, number]>): Buffer =>
  cat(Buffer.from([0x00, 0x52, 0x5a, 0x01]), ...entries.map(([m, s]) => {
    const inner = cat(pbString(1, m), Buffer.from([0x11]), f64le(s));
    return cat(Buffer.from([0x0a, inner.length]), inner);
  }));

const T = 1788998400000n;
const LONG = 'h'.repeat(300);

export const COLLECTION_ROWS: FsmRow[] = [
  // Hash with an inline TTL (16-byte meta), a binary value and an empty field name.
  { key: cat(lp('!hs|fld|', 'user:42'), 'age'), value: '30' },
  { key: cat(lp('!hs|fld|', 'user:42'), 'blob'), value: Buffer.from([0x80, 0xff, 0x01]) },
  { key: cat(lp('!hs|fld|', 'user:42'), ''), value: '<empty name>' },
  { key: lp('!hs|meta|', 'user:42'), value: cat(be64(3n), be64(T)) },
  { key: cat(lp('!hs|meta|d|', 'user:42'), be64(5n), be32(0)), value: be64(1n) },
  // Hash with a legacy 8-byte meta whose declared length disagrees, TTL from the scan index.
  { key: cat(lp('!hs|fld|', 'legacy-hash'), 'f'), value: 'v' },
  { key: lp('!hs|meta|', 'legacy-hash'), value: be64(2n) },
  // Hash without meta, long (SHA-fallback) name.
  { key: cat(lp('!hs|fld|', LONG), 'x'), value: 'y' },
  // Empty hash with a meta row.
  { key: lp('!hs|meta|', 'empty-hash'), value: cat(be64(0n), be64(0n)) },
  // List: LPUSH'ed and RPUSH'ed items, 32-byte meta with TTL; a claim row (ignored).
  { key: cat(lp('!lst|claim|', 'q'), sortI64(0n)), value: 'x' },
  { key: cat('!lst|itm|q', sortI64(-2n)), value: 'a' },
  { key: cat('!lst|itm|q', sortI64(-1n)), value: 'b' },
  { key: cat('!lst|itm|q', sortI64(0n)), value: Buffer.from([0xff]) },
  { key: '!lst|meta|q', value: cat(be64(-2n), be64(1n), be64(3n), be64(T + 1n)) },
  // List with 24-byte meta and a scan-index TTL.
  { key: cat('!lst|itm|l2', sortI64(5n)), value: 'only' },
  { key: '!lst|meta|l2', value: cat(be64(5n), be64(6n), be64(1n)) },
  // TTL rows (after hashes and lists, before sets/zsets/streams).
  { key: '!redis|ttl|legacy-hash', value: be64(T + 2n) },
  { key: '!redis|ttl|l2', value: be64(T + 3n) },
  { key: '!redis|ttl|user:42', value: be64(1n) },
  { key: '!redis|ttl|s', value: be64(T + 4n) },
  { key: '!redis|ttl|z-legacy', value: be64(T + 5n) },
  { key: '!redis|ttl|nobody', value: be64(9n) },
  // Legacy zset blobs.
  { key: '!redis|zset|z-legacy', value: zsetBlob(['alice', 1], ['bob', 2.5], ['alice', 3]) },
  { key: '!redis|zset|zw', value: zsetBlob(['stale', 9]) },
  // Streams: one with a 48-byte meta, one without meta.
  { key: cat(lp('!stream|entry|', 'events'), be64(1714400000000n), be64(0n)), value: streamValue('1714400000000-0', 'event', 'login', 'user', 'alice') },
  { key: cat(lp('!stream|entry|', 'events'), be64(1714400000001n), be64(5n)), value: streamValue('x', 'f', 'v1', 'f', 'v2') },
  { key: lp('!stream|meta|', 'events'), value: cat(be64(2n), be64(1714400000001n), be64(5n), be64(0n), be64(7n), be64(8n)) },
  { key: cat(lp('!stream|entry|', 'orphan'), be64(100n), be64(0n)), value: streamValue('100-0') },
  // Set with a parked TTL and an 8-byte meta; another with an inline TTL of 0.
  { key: cat(lp('!st|mem|', 's'), 'm2'), value: '' },
  { key: cat(lp('!st|mem|', 's'), 'm1'), value: 'ignored' },
  { key: lp('!st|meta|', 's'), value: be64(2n) },
  { key: cat(lp('!st|mem|', 's0'), Buffer.from([0xc3, 0x28])), value: '' },
  { key: lp('!st|meta|', 's0'), value: cat(be64(1n), be64(0n)) },
  // Wide zset: member rows replace the legacy blob's; scores with infinities and -0; score index (ignored).
  { key: cat(lp('!zs|mem|', 'zw'), 'top'), value: f64(Infinity) },
  { key: cat(lp('!zs|mem|', 'zw'), 'bottom'), value: f64(-Infinity) },
  { key: cat(lp('!zs|mem|', 'zw'), 'neg0'), value: f64(-0) },
  { key: cat(lp('!zs|mem|', 'zw'), 'm'), value: f64(1.5) },
  { key: cat(lp('!zs|mem|', 'zw'), 'tiny'), value: f64(1.5e-7) },
  { key: lp('!zs|meta|', 'zw'), value: cat(be64(5n), be64(T + 6n)) },
  { key: cat(lp('!zs|scr|', 'zw'), f64(1.5), 'm'), value: '' },
];
