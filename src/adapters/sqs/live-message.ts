// The fast path for SQS messages: one pass over the bytes of a message record in the shape a node writes it (Go
// json.Marshal of sqsMessageRecord: fields in declaration order, no whitespace, strings of printable ASCII without
// escapes, canonical integers). The decoder scans `!sqs|msg|data|` values and writes their messages.jsonl line
// straight into bytes; the encoder scans messages.jsonl lines in the shape the decoder writes them (the same record
// with the body as a JSON string and a trailing `partition`) and builds the Message from the spans.
//
// Anything else (unicode or escapes in a string, attributes, a field out of order or unknown, a key in another
// case, a number of 16 digits or more, `-0`, null where a value is expected, non-canonical base64, whitespace) makes
// the scan give up, and the caller takes the generic path (records.ts parseLiveMessage and renderDumpLine;
// parseDumpMessage for lines), which implements Go's decoding rules and reports errors. So the fast path only ever
// sees values for which both paths agree: a scanned string is its own bytes in the dump and in the line (printable
// ASCII needs no escape with HTML escaping off), a scanned integer is a safe JavaScript integer written back as the
// same digits, and canonical standard base64 is what Go accepts and what Buffer decodes to the same bytes.

import { isValidUtf8, quoteString } from '../../json/go-json.ts';
import { MSG_MAGIC } from './keys.ts';
import type { Message, MessageIdentity } from './records.ts';

/** The fields of sqsMessageRecord in declaration order, with how the scan reads each. */
const FIELDS = [
  ['message_id', 'string'],
  ['body', 'base64'],
  ['md5_of_body', 'string'],
  ['md5_of_message_attributes', 'string'],
  ['message_attributes', 'null'],
  ['sender_id', 'string'],
  ['send_timestamp_millis', 'int'],
  ['available_at_millis', 'int'],
  ['visible_at_millis', 'int'],
  ['receive_count', 'int'],
  ['first_receive_millis', 'int'],
  ['current_receipt_token', 'base64'],
  ['queue_generation', 'uint'],
  ['message_group_id', 'string'],
  ['message_deduplication_id', 'string'],
  ['sequence_number', 'uint'],
  ['dead_letter_source_arn', 'string'],
  // Only in messages.jsonl (the dump's own field); the node keeps the partition in the key.
  ['partition', 'uint32'],
] as const;

const F = {
  messageId: 0,
  body: 1,
  md5OfBody: 2,
  md5OfMessageAttributes: 3,
  senderId: 5,
  sendTimestampMillis: 6,
  availableAtMillis: 7,
  visibleAtMillis: 8,
  receiveCount: 9,
  firstReceiveMillis: 10,
  currentReceiptToken: 11,
  queueGeneration: 12,
  messageGroupId: 13,
  messageDedupId: 14,
  sequenceNumber: 15,
  deadLetterSourceArn: 16,
  partition: 17,
} as const;

const FIELD_COUNT = FIELDS.length;
/** A live value has every field but the partition. */
const LIVE_FIELD_COUNT = F.partition;
const KIND_STRING = 0;
const KIND_BASE64 = 1;
/** The integer kinds come last: int, then the unsigned uint and uint32. */
const KIND_INT = 3;
const KIND_UINT32 = 5;
const KIND_NAMES = ['string', 'base64', 'null', 'int', 'uint', 'uint32'];
const LIVE_KINDS = Uint8Array.from(FIELDS, ([, kind]) => KIND_NAMES.indexOf(kind));
/** In messages.jsonl the body is a JSON string (its base64 envelope is left to the generic path). */
const DUMP_KINDS = Uint8Array.from(LIVE_KINDS, (kind, f) => (f === F.body ? KIND_STRING : kind));
/** `"<name>":` of each field. */
const HEADS = FIELDS.map(([name]) => Buffer.from(`"${name}":`, 'latin1'));
/** The heads one after the other in one array, with where each starts and its length. */
const HEAD_BYTES = new Uint8Array(Buffer.concat(HEADS));
const HEAD_LENGTHS = Int32Array.from(HEADS, (h) => h.length);
const HEAD_STARTS = Int32Array.from(HEADS, (_, i) => HEADS.slice(0, i).reduce((n, h) => n + h.length, 0));

const EMPTY = Buffer.alloc(0);

/** Integers of at most 15 digits are exact in a double (and within every Go integer type the record uses). */
const MAX_DIGITS = 15;

const OPEN = 0x7b;
const CLOSE = 0x7d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const EQUALS = 0x3d;

/** Standard base64 alphabet value of each byte, 0xff outside it. */
const B64 = new Uint8Array(256).fill(0xff);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < ALPHABET.length; i++) B64[ALPHABET.charCodeAt(i)] = i;
/** The bytes of the base64url alphabet, by value. */
const URL_ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');

/** Bytes that a JSON string holds as they are, also with HTML escaping on: printable ASCII but `"` `\` `<` `>` `&`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = 1;
for (const c of '"\\<>&') PLAIN[c.charCodeAt(0)] = 0;

/**
 * One scanned message record: where each field's bytes lie in the value (start = end for an absent or null one),
 * each integer field's value (0 when absent or null) and the decoded base64 fields.
 */
export class LiveMessage {
  value: Buffer = EMPTY;
  readonly starts = new Int32Array(FIELD_COUNT);
  readonly ends = new Int32Array(FIELD_COUNT);
  readonly numbers = new Float64Array(FIELD_COUNT);
  /** A scanned value's decoded body: a view of a buffer reused from scan to scan (the next scan overwrites it). */
  body: Buffer = EMPTY;
  /** Whether the scanned body's bytes all go into a JSON string as they are (see PLAIN). */
  bodyPlain = true;
  #bodyBytes = EMPTY;
  /** The decoded receipt token (undefined when absent or null); its base64 text is the span of its field. */
  token: Buffer | undefined;
  /** A scanned messages.jsonl line's partition (undefined when absent or null). */
  partition: number | undefined;

  /** The byte length of a field's text (0 for an absent or null one). */
  length(f: number): number {
    return (this.ends[f] as number) - (this.starts[f] as number);
  }

  /**
   * Reads a `!sqs|msg|data|` value (magic included) into this scan; false when the value is not in the node's exact
   * shape (the scan's state is then meaningless). The value must stay unchanged while the scan is used.
   */
  scan(value: Buffer): boolean {
    if (value.length < MSG_MAGIC.length) return false;
    for (let i = 0; i < MSG_MAGIC.length; i++) if (value[i] !== MSG_MAGIC[i]) return false;
    return this.#scan(value, MSG_MAGIC.length, LIVE_KINDS, LIVE_FIELD_COUNT);
  }

  /**
   * Reads one messages.jsonl line (without its newline) in the shape the decoder writes it, the body a JSON string;
   * false otherwise. The line must stay unchanged while the scan is used.
   */
  scanDumpLine(line: Buffer): boolean {
    return this.#scan(line, 0, DUMP_KINDS, FIELD_COUNT);
  }

  #scan(value: Buffer, from: number, kinds: Uint8Array, fieldCount: number): boolean {
    const b = value;
    const n = b.length;
    this.value = value;
    this.body = EMPTY;
    this.bodyPlain = true;
    this.token = undefined;
    this.partition = undefined;
    this.starts.fill(0);
    this.ends.fill(0);
    this.numbers.fill(0);
    let pos = from;
    // The string and digit loops below stop at the closing brace at the latest (it is neither).
    if (b[pos++] !== OPEN || b[n - 1] !== CLOSE) return false;
    let f = 0;
    for (;;) {
      while (f < fieldCount && !headAt(b, pos, f)) f++;
      if (f === fieldCount) return false;
      pos += HEAD_LENGTHS[f] as number;
      const kind = kinds[f] as number;
      if (b[pos] === 0x6e) {
        // null: Go leaves the field at its zero value.
        if (b[pos + 1] !== 0x75 || b[pos + 2] !== 0x6c || b[pos + 3] !== 0x6c) return false;
        pos += 4;
      } else if (kind === KIND_STRING) {
        if (b[pos] !== QUOTE) return false;
        const start = ++pos;
        for (;;) {
          const c = b[pos] as number;
          if (c === QUOTE) break;
          // Past the end c is undefined, and fails this test as any other byte that is not printable ASCII.
          if (!(c >= 0x20 && c < 0x80 && c !== BACKSLASH)) return false;
          pos++;
        }
        this.starts[f] = start;
        this.ends[f] = pos++;
      } else if (kind === KIND_BASE64) {
        if (b[pos] !== QUOTE) return false;
        const start = ++pos;
        // The closing quote is found by a native search; #base64 checks the text before it while decoding it (a
        // body is most of a message's bytes, and one pass over them instead of two halves the scan's time).
        pos = b.indexOf(QUOTE, pos);
        if (pos < 0) return false;
        let pad = 0;
        while (pad < 2 && pos - pad > start && b[pos - pad - 1] === EQUALS) pad++;
        this.starts[f] = start;
        this.ends[f] = pos++;
        if (!this.#base64(f, pad)) return false;
      } else if (kind >= KIND_INT) {
        let negative = false;
        if (b[pos] === MINUS) {
          if (kind !== KIND_INT) return false;
          negative = true;
          pos++;
        }
        const start = pos;
        let x = 0;
        let c = b[pos] as number;
        if (c === ZERO) {
          if (negative) return false;
          pos++;
        } else {
          while (c >= ZERO && c <= NINE) {
            x = x * 10 + (c - ZERO);
            c = b[++pos] as number;
          }
          if (pos === start || pos - start > MAX_DIGITS) return false;
        }
        this.numbers[f] = negative ? -x : x;
        this.starts[f] = negative ? start - 1 : start;
        this.ends[f] = pos;
        if (kind === KIND_UINT32) {
          if (x > 0xffff_ffff) return false;
          this.partition = x;
        }
      } else {
        // message_attributes other than null: a map of raw JSON, left to the generic path.
        return false;
      }
      f++;
      const c = b[pos++];
      if (c === COMMA) continue;
      if (c !== CLOSE) return false;
      break;
    }
    return pos === n && this.length(F.messageId) > 0;
  }

  /** The message id (a scanned string is ASCII). */
  messageId(): string {
    return this.#text(F.messageId);
  }

  #text(f: number): string {
    return this.value.toString('latin1', this.starts[f], this.ends[f]);
  }

  #bigint(f: number): bigint {
    return BigInt(this.numbers[f] as number);
  }

  /** The identity fields of a scanned messages.jsonl line (records.ts parseDumpMessageIdentity). */
  identity(): MessageIdentity {
    return {
      messageId: this.messageId(),
      queueGeneration: this.#bigint(F.queueGeneration),
      messageGroupId: this.#text(F.messageGroupId),
      partition: this.partition,
    };
  }

  /** A scanned messages.jsonl line as records.ts parseDumpMessage reads it. */
  message(): Message {
    return {
      messageId: this.messageId(),
      // In messages.jsonl the body's bytes are its text (copied: the line's buffer is the reader's).
      body: Buffer.from(this.value.subarray(this.starts[F.body], this.ends[F.body])),
      md5OfBody: this.#text(F.md5OfBody),
      md5OfMessageAttributes: this.#text(F.md5OfMessageAttributes),
      messageAttributes: undefined,
      senderId: this.#text(F.senderId),
      sendTimestampMillis: this.#bigint(F.sendTimestampMillis),
      availableAtMillis: this.#bigint(F.availableAtMillis),
      visibleAtMillis: this.#bigint(F.visibleAtMillis),
      receiveCount: this.#bigint(F.receiveCount),
      firstReceiveMillis: this.#bigint(F.firstReceiveMillis),
      currentReceiptToken: this.token,
      queueGeneration: this.#bigint(F.queueGeneration),
      messageGroupId: this.#text(F.messageGroupId),
      messageDedupId: this.#text(F.messageDedupId),
      sequenceNumber: this.#bigint(F.sequenceNumber),
      deadLetterSourceArn: this.#text(F.deadLetterSourceArn),
      partition: this.partition,
    };
  }

  /**
   * Checks that a base64 field's text (`pad` padding bytes at its end, which hold no other `=`) is canonical
   * standard base64 (alphabet bytes before the padding, its length a multiple of 4, zero trailing bits) and decodes
   * it.
   */
  #base64(f: number, pad: number): boolean {
    const b = this.value;
    const start = this.starts[f] as number;
    const end = this.ends[f] as number;
    if ((end - start) % 4 !== 0) return false;
    if (pad > 0) {
      // The unused low bits of the last character before the padding must be zero (Go's decoding accepts them
      // either way, but Buffer's re-encoding would not give back the same text).
      const last = B64[b[end - pad - 1] as number] as number;
      if ((last & (pad === 1 ? 0x03 : 0x0f)) !== 0) return false;
    }
    if (f !== F.body) {
      for (let i = start; i < end - pad; i++) if (B64[b[i] as number] === 0xff) return false;
      this.token = Buffer.from(b.toString('latin1', start, end), 'base64');
      return true;
    }
    // The body is decoded here into a buffer reused from scan to scan, noting whether every byte is PLAIN.
    const size = ((end - start) / 4) * 3 - pad;
    if (this.#bodyBytes.length < size) this.#bodyBytes = Buffer.allocUnsafe(Math.max(size, 2 * this.#bodyBytes.length));
    const out = this.#bodyBytes;
    let plain = 1;
    // The sextets OR-ed together: 0xff (a byte outside the alphabet) sets bit 7, which no sextet has.
    let seen = 0;
    let o = 0;
    const quads = end - (pad === 0 ? 0 : 4);
    let i = start;
    for (; i < quads; i += 4) {
      const s0 = sextet(b, i);
      const s1 = sextet(b, i + 1);
      const s2 = sextet(b, i + 2);
      const s3 = sextet(b, i + 3);
      seen |= s0 | s1 | s2 | s3;
      const v = (s0 << 18) | (s1 << 12) | (s2 << 6) | s3;
      const x = v >>> 16;
      const y = (v >>> 8) & 0xff;
      const z = v & 0xff;
      out[o] = x;
      out[o + 1] = y;
      out[o + 2] = z;
      o += 3;
      plain &= (PLAIN[x] as number) & (PLAIN[y] as number) & (PLAIN[z] as number);
    }
    if (pad > 0) {
      const s0 = sextet(b, i);
      const s1 = sextet(b, i + 1);
      const s2 = pad === 1 ? sextet(b, i + 2) : 0;
      seen |= s0 | s1 | s2;
      const v = (s0 << 18) | (s1 << 12) | (s2 << 6);
      const x = v >>> 16;
      out[o] = x;
      plain &= PLAIN[x] as number;
      if (pad === 1) {
        const y = (v >>> 8) & 0xff;
        out[o + 1] = y;
        plain &= PLAIN[y] as number;
      }
    }
    if ((seen & 0x80) !== 0) return false;
    this.body = out.subarray(0, size);
    this.bodyPlain = plain === 1;
    return true;
  }

  /** True when `segment` is the message id's base64url without padding (a key's id segment). */
  idMatches(segment: Uint8Array): boolean {
    const b = this.value;
    const start = this.starts[F.messageId] as number;
    const end = this.ends[F.messageId] as number;
    const len = end - start;
    const rest = len % 3;
    if (segment.length !== Math.floor(len / 3) * 4 + (rest === 0 ? 0 : rest + 1)) return false;
    let j = 0;
    let i = start;
    for (; i + 3 <= end; i += 3) {
      const v = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
      if (segment[j++] !== URL_ALPHABET[v >>> 18] || segment[j++] !== URL_ALPHABET[(v >>> 12) & 63]) return false;
      if (segment[j++] !== URL_ALPHABET[(v >>> 6) & 63] || segment[j++] !== URL_ALPHABET[v & 63]) return false;
    }
    if (rest === 0) return true;
    const v = ((b[i] as number) << 16) | (rest === 2 ? (b[i + 1] as number) << 8 : 0);
    if (segment[j++] !== URL_ALPHABET[v >>> 18] || segment[j++] !== URL_ALPHABET[(v >>> 12) & 63]) return false;
    return rest === 1 || segment[j] === URL_ALPHABET[(v >>> 6) & 63];
  }
}

/** The value of the base64 character at b[i] (an alphabet byte). */
const sextet = (b: Buffer, i: number): number => B64[b[i] as number] as number;

/** True when field f's head (`"<name>":`) is at b[pos]; bytes past the end are undefined and match no head byte. */
function headAt(b: Buffer, pos: number, f: number): boolean {
  const at = HEAD_STARTS[f] as number;
  const n = HEAD_LENGTHS[f] as number;
  for (let i = 0; i < n; i++) if (b[pos + i] !== HEAD_BYTES[at + i]) return false;
  return true;
}

/**
 * records.ts dumpBody, for a body with bytes that are not PLAIN: a string marshalled on its own (HTML-escaped) when
 * valid UTF-8, else the base64 envelope.
 */
function slowBodyJson(body: Buffer): string {
  if (isValidUtf8(body)) return quoteString(body.toString('utf8'), true);
  return `{"base64":"${body.toString('base64url')}"}`;
}

/** `,"<name>":` of each field (the first, message_id, opens the line instead). */
const NEXT_HEADS = FIELDS.map(([name]) => Buffer.from(`,"${name}":`, 'latin1'));
/** As HEAD_BYTES: the NEXT_HEADS in one array (element access on one typed array is what the loops do best). */
const NEXT_BYTES = new Uint8Array(Buffer.concat(NEXT_HEADS));
const NEXT_LENGTHS = Int32Array.from(NEXT_HEADS, (h) => h.length);
const NEXT_STARTS = Int32Array.from(NEXT_HEADS, (_, i) => NEXT_HEADS.slice(0, i).reduce((n, h) => n + h.length, 0));
const LINE_HEAD = Buffer.from('{"message_id":', 'latin1');
const BODY_HEAD = Buffer.from(',"body":', 'latin1');
const PARTITION_HEAD = Buffer.from(',"partition":', 'latin1');

/** Fixed bytes of a dump line at most (every key, quotes, separators) plus 20 per integer. */
const LINE_OVERHEAD = NEXT_HEADS.reduce((n, h) => n + h.length + 2, 0) + PARTITION_HEAD.length + 20 * 9 + 8;

/**
 * What the decoder changes in a message before it writes its line (see decode.ts dumpedMessage): the integer fields
 * whose digits give visible_at_millis and receive_count (NONE: 0), whether first_receive_millis and the receipt
 * token are written (they are, when non-zero, only with visibility preserved), and the partition of the key.
 */
interface LineState {
  readonly visibleAt: number;
  readonly receiveCount: number;
  readonly withReceipts: boolean;
  readonly partition: number | undefined;
}

const NONE = -1;

/**
 * The sorter record of a scanned message (see decode.ts messageRecord), written into `holder`'s buffer (grown as
 * needed); the views stay valid until the next call with the same holder.
 */
export function messageRecord(
  m: LiveMessage,
  encQueue: string,
  partition: number | undefined,
  preserveVisibility: boolean,
  holder: { buffer: Buffer },
): { readonly key: Buffer; readonly value: Buffer } {
  const nums = m.numbers;
  const send = nums[F.sendTimestampMillis] as number;
  const receiveCount = nums[F.receiveCount] as number;
  const visibleAt = nums[F.visibleAtMillis] as number;
  const availableAt = nums[F.availableAtMillis] as number;
  const line: LineState = preserveVisibility
    ? { visibleAt: F.visibleAtMillis, receiveCount: F.receiveCount, withReceipts: true, partition }
    : {
        // records.ts delayedUntil
        visibleAt: receiveCount === 0 && visibleAt === availableAt && availableAt > send ? F.availableAtMillis : NONE,
        receiveCount: NONE,
        withReceipts: false,
        partition,
      };
  const body = m.bodyPlain ? undefined : slowBodyJson(m.body);
  const groupLength = m.length(F.messageGroupId);
  const keyLength = encQueue.length + 17 + m.length(F.messageId);
  const room = keyLength + 16 + groupLength + LINE_OVERHEAD + m.value.length + (body === undefined ? 0 : Buffer.byteLength(body, 'utf8'));
  if (holder.buffer.length < room) holder.buffer = Buffer.allocUnsafe(Math.max(room, 2 * holder.buffer.length));
  const out = holder.buffer;
  // Key: queue segment, 0x00, sortable send time, sequence number, message id.
  let o = out.write(encQueue, 0, 'latin1');
  out[o++] = 0x00;
  o = writeU64(out, o, send, true);
  o = writeU64(out, o, nums[F.sequenceNumber] as number, false);
  o = span(m, F.messageId, out, o);
  // Value: generation, partition + 1 (0 for none), group length, group, dump line.
  o = writeU64(out, o, nums[F.queueGeneration] as number, false);
  o = out.writeUInt32BE(partition === undefined ? 0 : partition + 1, o);
  o = out.writeUInt32BE(groupLength, o);
  o = span(m, F.messageGroupId, out, o);
  o = writeDumpLine(m, body, line, out, o);
  return { key: out.subarray(0, keyLength), value: out.subarray(keyLength, o) };
}

/**
 * Writes a safe integer as 8 big-endian bytes: unsigned, or (sortable) as an int64 with its sign bit flipped, as
 * u64be and sortableI64be write the same value.
 */
function writeU64(out: Buffer, at: number, x: number, sortable: boolean): number {
  const hi = Math.floor(x / 0x1_0000_0000);
  const o = out.writeUInt32BE(sortable ? (hi ^ 0x8000_0000) >>> 0 : hi, at);
  return out.writeUInt32BE(x - hi * 0x1_0000_0000, o);
}

/** Writes the messages.jsonl line (with its newline) of a scanned message at `at`, as renderDumpLine does. */
function writeDumpLine(m: LiveMessage, body: string | undefined, s: LineState, out: Buffer, at: number): number {
  let o = copy(LINE_HEAD, out, at);
  o = quoted(m, F.messageId, out, o);
  o = copy(BODY_HEAD, out, o);
  if (body === undefined) {
    out[o++] = QUOTE;
    out.set(m.body, o);
    o += m.body.length;
    out[o++] = QUOTE;
  } else {
    o += out.write(body, o, 'utf8');
  }
  o = optionalString(m, F.md5OfBody, out, o);
  o = optionalString(m, F.md5OfMessageAttributes, out, o);
  o = optionalString(m, F.senderId, out, o);
  const nums = m.numbers;
  o = integer(m, F.sendTimestampMillis, F.sendTimestampMillis, out, o);
  o = integer(m, F.availableAtMillis, F.availableAtMillis, out, o);
  o = integer(m, F.visibleAtMillis, s.visibleAt, out, o);
  o = integer(m, F.receiveCount, s.receiveCount, out, o);
  if (s.withReceipts && nums[F.firstReceiveMillis] !== 0) {
    o = integer(m, F.firstReceiveMillis, F.firstReceiveMillis, out, o);
  }
  if (s.withReceipts && m.token !== undefined && m.token.length > 0) {
    o = nextHead(F.currentReceiptToken, out, o);
    o = quoted(m, F.currentReceiptToken, out, o);
  }
  o = integer(m, F.queueGeneration, F.queueGeneration, out, o);
  o = optionalString(m, F.messageGroupId, out, o);
  o = optionalString(m, F.messageDedupId, out, o);
  if (nums[F.sequenceNumber] !== 0) o = integer(m, F.sequenceNumber, F.sequenceNumber, out, o);
  o = optionalString(m, F.deadLetterSourceArn, out, o);
  if (s.partition !== undefined) {
    o = copy(PARTITION_HEAD, out, o);
    o = digits(s.partition, out, o);
  }
  out[o++] = CLOSE;
  out[o++] = 0x0a;
  return o;
}

function copy(src: Buffer, out: Buffer, at: number): number {
  for (let i = 0; i < src.length; i++) out[at + i] = src[i] as number;
  return at + src.length;
}

/** Writes `,"<name>":` of field f. */
function nextHead(f: number, out: Buffer, at: number): number {
  const start = NEXT_STARTS[f] as number;
  const n = NEXT_LENGTHS[f] as number;
  for (let i = 0; i < n; i++) out[at + i] = NEXT_BYTES[start + i] as number;
  return at + n;
}

function quoted(m: LiveMessage, f: number, out: Buffer, at: number): number {
  out[at] = QUOTE;
  const end = span(m, f, out, at + 1);
  out[end] = QUOTE;
  return end + 1;
}

/** Copies a field's bytes (a loop: the fields are short, and Buffer#copy costs more than a few dozen bytes). */
function span(m: LiveMessage, f: number, out: Buffer, at: number): number {
  const b = m.value;
  const start = m.starts[f] as number;
  const n = (m.ends[f] as number) - start;
  for (let i = 0; i < n; i++) out[at + i] = b[start + i] as number;
  return at + n;
}

function optionalString(m: LiveMessage, f: number, out: Buffer, at: number): number {
  if (m.length(f) === 0) return at;
  return quoted(m, f, out, nextHead(f, out, at));
}

/**
 * Writes integer field f with the digits of field `from` as scanned (canonical, so the same text as the value
 * written in decimal), or 0 when `from` is NONE or was absent or null.
 */
function integer(m: LiveMessage, f: number, from: number, out: Buffer, at: number): number {
  const o = nextHead(f, out, at);
  if (from === NONE || m.length(from) === 0) {
    out[o] = ZERO;
    return o + 1;
  }
  return span(m, from, out, o);
}

/** Writes a non-negative safe integer in decimal. */
function digits(x: number, out: Buffer, at: number): number {
  let width = 1;
  for (let p = 10; p <= x; p *= 10) width++;
  for (let i = at + width - 1; i >= at; i--) {
    out[i] = ZERO + (x % 10);
    x = Math.floor(x / 10);
  }
  return at + width;
}
