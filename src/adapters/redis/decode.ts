// Decoding Redis rows into `redis/db_<n>/` (spec redis.md §2; elastickv: internal/backup/redis_string.go).
//
// Implemented: strings and HyperLogLogs (`strings/<seg>.bin`, `hll/<seg>.bin`), their TTLs from inline headers
// or `!redis|ttl|` rows (`strings_ttl.jsonl`, `hll_ttl.jsonl`), SHA-fallback names in KEYMAP.jsonl, and the
// derived/transactional rows the reference reads past (meta deltas, list claims, the zset score index).
// Collection and stream rows are refused with REDIS_UNSUPPORTED_KIND rather than silently dropped.

import { DataError } from '../../errors.ts';
import { goEncodeLine } from '../../json/go-json.ts';
import { KeymapWriter, KIND_SHA_FALLBACK } from '../../tree/keymap.ts';
import { encodeSegment, isShaFallback } from '../../tree/segment.ts';
import type { FileSink } from '../../tree/writer.ts';
import type { AdapterDecoder, DecodeContext } from '../adapter.ts';
import { HLL_VERSION, InlineValueError, STRING_VERSION, clampMs, parseInlineValue } from './inline-value.ts';
import { HLL_PREFIX, KIND, STRING_PREFIX, TTL_PREFIX } from './keys.ts';

/** Byte budget of TTL rows parked for keys of unknown type (the reference's defaultPendingTTLBytesCap). */
export const PENDING_TTL_BYTES_CAP = 1_073_741_824;

type ScalarKind = 'string' | 'hll';

interface ScalarFamily {
  readonly prefix: string;
  readonly version: number;
  readonly dir: string;
  readonly ttlFile: string;
  readonly invalid: string;
}

const FAMILIES: Readonly<Record<ScalarKind, ScalarFamily>> = {
  string: { prefix: STRING_PREFIX, version: STRING_VERSION, dir: 'strings', ttlFile: 'strings_ttl.jsonl', invalid: 'backup: invalid !redis|str| value' },
  hll: { prefix: HLL_PREFIX, version: HLL_VERSION, dir: 'hll', ttlFile: 'hll_ttl.jsonl', invalid: 'backup: invalid !redis|hll| value' },
};

export class RedisDecoder implements AdapterDecoder {
  readonly #ctx: DecodeContext;
  readonly #db: string;
  readonly #keymap: KeymapWriter;
  /** Type each string/HLL key was last registered as (latin1 of the key bytes). */
  readonly #kinds = new Map<string, ScalarKind>();
  /** Keys with at least one new-format row: their inline header is authoritative for the TTL. */
  readonly #inlineOwned = new Set<string>();
  readonly #pending = new Map<string, bigint>();
  #pendingBytes = 0;
  readonly #ttlSinks = new Map<ScalarKind, FileSink>();

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
    this.#db = `redis/db_${Math.max(0, ctx.switches.redisDbIndex)}`;
    this.#keymap = new KeymapWriter(ctx.tree, `${this.#db}/KEYMAP.jsonl`);
  }

  handle(kind: string, key: Uint8Array, value: Uint8Array): Promise<void> | undefined {
    const v = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    switch (kind) {
      case KIND.string:
        return this.#scalar('string', Buffer.from(key.buffer, key.byteOffset, key.byteLength).subarray(STRING_PREFIX.length), v);
      case KIND.hll:
        return this.#scalar('hll', Buffer.from(key.buffer, key.byteOffset, key.byteLength).subarray(HLL_PREFIX.length), v);
      case KIND.ttl:
        return this.#ttl(Buffer.from(key.buffer, key.byteOffset, key.byteLength).subarray(TTL_PREFIX.length), v);
      case KIND.ignored:
        return undefined;
      default:
        throw new DataError('REDIS_UNSUPPORTED_KIND', 'Redis collections and streams are not decoded by this version yet; use --adapter to leave redis out', { key });
    }
  }

  /** Encoded name of a key, recording a KEYMAP entry first when it is a SHA fallback. */
  async #name(k: Buffer): Promise<string> {
    const seg = encodeSegment(k);
    if (isShaFallback(seg)) await this.#keymap.write(seg, k, KIND_SHA_FALLBACK);
    return seg;
  }

  async #scalar(kind: ScalarKind, k: Buffer, v: Buffer): Promise<void> {
    const fam = FAMILIES[kind];
    const id = k.toString('latin1');
    this.#kinds.set(id, kind);
    let parsed;
    try {
      parsed = parseInlineValue(v, fam.version);
    } catch (err) {
      if (err instanceof InlineValueError) throw new DataError('REDIS_INVALID_VALUE', `${fam.invalid}: ${err.message}`, { key: Buffer.concat([Buffer.from(fam.prefix), k]) });
      throw err;
    }
    const seg = await this.#name(k);
    await this.#ctx.tree.writeFile(`${this.#db}/${fam.dir}/${seg}.bin`, parsed.body);
    if (parsed.inline) this.#inlineOwned.add(id);
    if (parsed.expireAtMs !== 0n) await this.#appendTtl(kind, k, parsed.expireAtMs);
  }

  async #appendTtl(kind: ScalarKind, k: Buffer, ms: bigint): Promise<void> {
    const seg = await this.#name(k);
    let sink = this.#ttlSinks.get(kind);
    if (sink === undefined) {
      sink = await this.#ctx.tree.create(`${this.#db}/${FAMILIES[kind].ttlFile}`);
      this.#ttlSinks.set(kind, sink);
    }
    await sink.write(goEncodeLine({ key: seg, expire_at_ms: ms }, { escapeHTML: false, indent: false }));
  }

  async #ttl(k: Buffer, v: Buffer): Promise<void> {
    if (v.length !== 8) {
      throw new DataError('REDIS_INVALID_TTL', `backup: invalid !redis|ttl| value: length ${v.length} != 8`, { key: Buffer.concat([Buffer.from(TTL_PREFIX), k]) });
    }
    const ms = clampMs(v.readBigUInt64BE(0));
    const id = k.toString('latin1');
    const kind = this.#kinds.get(id);
    if (kind !== undefined) {
      if (!this.#inlineOwned.has(id)) await this.#appendTtl(kind, k, ms);
      return;
    }
    // No type yet: park it. Only collections (not decoded by this version) could claim it later.
    if (!this.#pending.has(id)) {
      const cost = k.length + 8;
      if (this.#pendingBytes + cost > PENDING_TTL_BYTES_CAP) {
        throw new DataError(
          'REDIS_PENDING_TTL_FULL',
          `backup: pendingTTL byte budget exhausted: buffer would exceed byte_cap=${PENDING_TTL_BYTES_CAP} by ${this.#pendingBytes + cost - PENDING_TTL_BYTES_CAP} bytes (user_key_len=${k.length}, in_flight=${this.#pendingBytes})`,
        );
      }
      this.#pendingBytes += cost;
    }
    this.#pending.set(id, ms);
  }

  async finalize(): Promise<void> {
    const errors: unknown[] = [];
    for (const kind of ['string', 'hll'] as const) {
      try {
        await this.#ttlSinks.get(kind)?.close();
      } catch (err) {
        errors.push(err);
      }
    }
    try {
      await this.#keymap.close();
    } catch (err) {
      errors.push(err);
    }
    if (this.#pending.size > 0) {
      this.#ctx.warn('redis_orphan_ttl', { count: this.#pending.size, hint: 'TTL rows whose key has no decodable row were dropped' });
    }
    if (errors.length > 0) throw errors[0];
  }
}
