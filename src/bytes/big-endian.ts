// Big-endian fixed-width integers and floats, as the store's key and value layouts use them (Go's
// binary.BigEndian.PutUint32/PutUint64 and math.Float64bits). Each call returns a new Buffer of the field.

const SIGN_BIT = 1n << 63n;

/** 4 bytes, big-endian unsigned; a RangeError outside 0 … 2³²−1. */
export function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** 8 bytes, big-endian unsigned; a RangeError outside 0 … 2⁶⁴−1. */
export function u64be(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

/** 8 bytes, big-endian two's complement: Go's `uint64(int64(n))` (wraps modulo 2⁶⁴). */
export function i64be(n: bigint): Buffer {
  return u64be(BigInt.asUintN(64, n));
}

/** 8 bytes of an int64 whose unsigned byte order is the signed order (sign bit flipped). */
export function sortableI64be(n: bigint): Buffer {
  return u64be(BigInt.asUintN(64, n) ^ SIGN_BIT);
}

/** 8 bytes, the IEEE-754 bits of a float64, big-endian (Go's `math.Float64bits`, NaN payloads as JS keeps them). */
export function f64be(x: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b;
}
