// A fast reader of DynamoDB item messages (proto.ts readItem) for the shape a node writes: every field once, with its
// expected wire type, one-byte tags, short varints, UTF-8 strings. It reads the bytes in place, with no reader
// object, closure or view per sub-message, and gives up (undefined) at the first thing it does not expect; the
// caller then reads the item with the general reader (proto.ts), which applies protobuf-go's rules to everything
// else (unknown fields, repeated and merged members, errors). So an item read here is exactly what the general
// reader makes of it, and errors are always the general reader's.

import type { AttributeValue, Item } from './proto.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';

/** Validates and decodes in one native pass; a leading U+FEFF is kept (it is part of the string). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Thrown (one instance, made once) and caught at the top when the item is not of the expected shape. */
const GIVE_UP = new Error('not an item of the usual shape');

/** The deepest nesting read here; deeper items go to the general reader (which caps at 256 levels). */
const MAX_DEPTH = 64;

class Cursor {
  pos: number;
  readonly buf: Buffer;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.pos = 0;
  }

  /** A length (or tag) varint of at most 4 bytes whose end lies within `end`. */
  length(end: number): number {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw GIVE_UP;
      const c = b[p++] as number;
      v |= (c & 0x7f) << shift;
      if (c < 0x80) {
        this.pos = p;
        return v;
      }
    }
    throw GIVE_UP;
  }

  /** The end of a length-delimited field starting at pos, within `end`. */
  sub(end: number): number {
    const n = this.length(end);
    const to = this.pos + n;
    if (to > end) throw GIVE_UP;
    return to;
  }

  /** A UTF-8 string field of `[pos, to)`; ASCII without a decoder. */
  text(to: number): string {
    const b = this.buf;
    const from = this.pos;
    this.pos = to;
    for (let i = from; i < to; i++) {
      if ((b[i] as number) >= 0x80) {
        try {
          return UTF8.decode(b.subarray(from, to));
        } catch {
          throw GIVE_UP;
        }
      }
    }
    return b.toString('latin1', from, to);
  }
}

function readMap(c: Cursor, end: number, into: Map<string, AttributeValue>, depth: number): typeof into {
  const b = c.buf;
  while (c.pos < end) {
    if (b[c.pos++] !== 0x0a) throw GIVE_UP; // field 1, length-delimited: one entry
    const entryEnd = c.sub(end);
    let key: string | undefined;
    let value: AttributeValue | undefined;
    while (c.pos < entryEnd) {
      const tag = b[c.pos++];
      const to = c.sub(entryEnd);
      if (tag === 0x0a && key === undefined) key = c.text(to);
      else if (tag === 0x12 && value === undefined) value = readValue(c, to, depth);
      else throw GIVE_UP;
    }
    into.set(key ?? '', value ?? { kind: 'unset' });
  }
  return into;
}

function readValue(c: Cursor, end: number, depth: number): AttributeValue {
  if (depth > MAX_DEPTH) throw GIVE_UP;
  const b = c.buf;
  let v: AttributeValue | undefined;
  while (c.pos < end) {
    if (v !== undefined) throw GIVE_UP; // a second member: the general reader's last-wins and merge rules
    const tag = b[c.pos++];
    if (tag === 0x20 || tag === 0x28) {
      const flag = b[c.pos++];
      if (c.pos > end || (flag !== 0 && flag !== 1)) throw GIVE_UP;
      v = { kind: tag === 0x20 ? 'BOOL' : 'NULL', value: flag === 1 };
      continue;
    }
    const to = c.sub(end);
    switch (tag) {
      case 0x0a:
        v = { kind: 'S', value: c.text(to) };
        break;
      case 0x12:
        v = { kind: 'N', value: c.text(to) };
        break;
      case 0x1a:
        v = { kind: 'B', value: Uint8Array.from(b.subarray(c.pos, to)) };
        c.pos = to;
        break;
      case 0x32:
      case 0x3a: {
        const list: string[] = [];
        while (c.pos < to) {
          if (b[c.pos++] !== 0x0a) throw GIVE_UP;
          list.push(c.text(c.sub(to)));
        }
        v = { kind: tag === 0x32 ? 'SS' : 'NS', value: list };
        break;
      }
      case 0x42: {
        const list: Uint8Array[] = [];
        while (c.pos < to) {
          if (b[c.pos++] !== 0x0a) throw GIVE_UP;
          const at = c.sub(to);
          list.push(Uint8Array.from(b.subarray(c.pos, at)));
          c.pos = at;
        }
        v = { kind: 'BS', value: list };
        break;
      }
      case 0x4a: {
        const list: AttributeValue[] = [];
        while (c.pos < to) {
          if (b[c.pos++] !== 0x0a) throw GIVE_UP;
          list.push(readValue(c, c.sub(to), depth + 1));
        }
        v = { kind: 'L', value: list };
        break;
      }
      case 0x52:
        v = { kind: 'M', value: readMap(c, to, new Map(), depth + 1) };
        break;
      default:
        throw GIVE_UP;
    }
    if (c.pos !== to) throw GIVE_UP;
  }
  return v ?? { kind: 'unset' };
}

/** The item in `bytes` when it has the expected shape (see above), else undefined. */
export function readItemFast(bytes: Uint8Array): Item | undefined {
  const buf = asBuffer(bytes);
  try {
    return readMap(new Cursor(buf), buf.length, new Map(), 0);
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}
