// Snapshot rows covering the Redis string family: new and legacy formats, inline and scan-index TTLs, clamping,
// an orphan TTL, SHA-fallback and binary names, the empty key, and the "ab" before "a" sort trap.
import type { FsmRow } from '../../helpers/fsm.ts';

export const be64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
export const bytes = (...p: Array<string | Buffer | number[]>): Buffer =>
  Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from(x))));

export const STRING_FAMILY_ROWS: FsmRow[] = [
  { key: '!redis|str|greeting', value: bytes([0xff, 1, 0], 'hello') },
  { key: '!redis|str|session:abc', value: bytes([0xff, 1, 1], be64(1788998400000n), 'expiring') },
  { key: '!redis|ttl|session:abc', value: be64(1788998400000n) },
  { key: '!redis|str|legacy-str', value: 'legacy-raw' },
  { key: '!redis|ttl|legacy-str', value: be64(1788998400001n) },
  { key: '!redis|ttl|orphan', value: be64(5n) },
  { key: bytes('!redis|str|', 'k'.repeat(300)), value: bytes([0xff, 1, 1], be64(0xffffffffffffffffn), 'big ttl clamps') },
  { key: bytes('!redis|str|bin\x00\xff<&>'), value: bytes([0x80, 0xff]) },
  { key: '!redis|str|', value: 'empty key' },
  { key: '!redis|str|a', value: bytes([0xff, 1, 0], 'A') },
  { key: '!redis|str|ab', value: bytes([0xff, 1, 0], 'AB') },
  { key: '!redis|hll|h1', value: 'rawsketch' },
  { key: '!redis|hll|h2', value: bytes([0xff, 2, 1], be64(1700000000000n), 'sk2') },
  { key: '!redis|ttl|h2', value: be64(1700000000000n) },
  { key: '!redis|hll|h3', value: 'legacy-hll' },
  { key: '!redis|ttl|h3', value: be64(42n) },
  { key: bytes('!redis|hll|', 'x'.repeat(250)), value: 'fallback hll' },
  { key: bytes('!redis|ttl|', 'x'.repeat(250)), value: be64(7n) },
  { key: '!redis|str|b64.x', value: 'binary-prefixed' },
];
