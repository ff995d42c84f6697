// Decoding Redis rows into `redis/db_<n>/` (spec redis.md §2; elastickv: internal/backup/redis_*.go).
//
// Strings and HyperLogLogs are written as their rows arrive (`strings/<seg>.bin`, `hll/<seg>.bin`, TTLs from
// inline headers into `strings_ttl.jsonl` / `hll_ttl.jsonl`); collections (hashes, lists, sets, sorted sets,
// streams) go through external sorters and are written at the end (collections.ts). `!redis|ttl|` rows are
// matched with the key types by a merge join once all rows are in: string/HLL TTLs become sidecar lines, hash
// and list TTLs join their documents, TTLs of keys with no type yet are offered to the sets, sorted sets and
// streams of that key. SHA-fallback names go to KEYMAP.jsonl. Meta delta rows keep a hash, list, set or sorted
// set alive on the live node even when they sum to an empty collection, so with resolved versions they make the
// key's (possibly empty) document; with every version (the reference) they are read past, like the other derived
// and transactional rows (list claims, the score index, `!redis|txn-wide-*`).

import { compareBytes } from '../../bytes/compare.ts';
import { DataError } from '../../errors.ts';
import { goEncodeLine } from '../../json/go-json.ts';
import { KeymapWriter, KIND_SHA_FALLBACK } from '../../tree/keymap.ts';
import { encodeSegment, isShaFallback } from '../../tree/segment.ts';
import type { ExternalSorter, SortRecord } from '../../sort/external-sort.ts';
import type { FileSink } from '../../tree/writer.ts';
import { everyKindHandled, type AdapterDecoder, type DecodeContext } from '../adapter.ts';
import { HLL_VERSION, INLINE_HEADER_MAX, InlineValueError, STRING_VERSION, clampMs, parseInlineValue } from './inline-value.ts';
import { InputRange } from '../../snapshot/input-range.ts';
import { hashDelta, hashField, hashMeta, listDelta, listItem, listMeta, setDelta, setMember, setMeta, streamEntry, streamMeta, zsetDelta, zsetLegacyBlob, zsetMember, zsetMeta } from './collection-rows.ts';
import { CollectionCollector, REC } from './collections.ts';
import { HLL_PREFIX, KIND, LIST_ITEM_PREFIX, STRING_PREFIX, TTL_PREFIX, bareKey, listItemKeyEnd, type RedisKind } from './keys.ts';
import { asBuffer } from '../../bytes/as-buffer.ts';


type ScalarKind = 'string' | 'hll';

interface ScalarFamily {
  readonly prefix: string;
  readonly version: number;
  readonly dir: string;
  readonly ttlFile: string;
  readonly invalid: string;
}

const KIND_CODE = { string: 0, hll: 1, hash: 2, list: 3 } as const;
const CODE_KIND: readonly ScalarKind[] = ['string', 'hll'];

async function* emptyRecords(): AsyncGenerator<SortRecord> {}

const FAMILIES: Readonly<Record<ScalarKind, ScalarFamily>> = {
  string: { prefix: STRING_PREFIX, version: STRING_VERSION, dir: 'strings', ttlFile: 'strings_ttl.jsonl', invalid: `invalid ${STRING_PREFIX} value` },
  hll: { prefix: HLL_PREFIX, version: HLL_VERSION, dir: 'hll', ttlFile: 'hll_ttl.jsonl', invalid: `invalid ${HLL_PREFIX} value` },
};

export class RedisDecoder implements AdapterDecoder<RedisKind> {
  readonly #ctx: DecodeContext;
  readonly #db: string;
  readonly #keymap: KeymapWriter;
  /**
   * Every string/HLL key with its type and whether the row was new-format (then its inline header, not a
   * `!redis|ttl|` row, is authoritative for the TTL). A sorter, not a map, so memory stays bounded: TTL rows
   * are matched against it with a merge join once the TTL rows have all arrived.
   */
  #types: ExternalSorter | undefined;
  /** `!redis|ttl|` rows in arrival order: key → sequence number and expiry. */
  #ttls: ExternalSorter | undefined;
  #ttlSeq = 0n;
  #ttlsResolved = false;
  readonly #collections: CollectionCollector;
  #lastRegistered: { code: number; key: Buffer } | undefined;
  #pendingKeys = 0;
  readonly #ttlSinks = new Map<ScalarKind, FileSink>();
  /**
   * With `expired: 'skip'`, legacy (headerless) strings and HLLs wait here, keyed `K ‖ kind`, until the
   * `!redis|ttl|` rows after them have said whether they had expired; `#expiredLegacy` holds those that had.
   */
  #deferred: ExternalSorter | undefined;
  #expiredLegacy: ExternalSorter | undefined;

  constructor(ctx: DecodeContext) {
    this.#ctx = ctx;
    this.#db = `redis/db_${Math.max(0, ctx.switches.redisDbIndex)}`;
    this.#keymap = new KeymapWriter(ctx.tree, `${this.#db}/KEYMAP.jsonl`);
    this.#collections = new CollectionCollector(ctx);
  }

  /** Strings and HLLs: the inline header (FF, version, flags, BE64 expiry) is all the decoder reads of them. */
  valueHeadBytes(kind: RedisKind): number {
    return kind === KIND.string || kind === KIND.hll ? INLINE_HEADER_MAX : 0;
  }

  handle(kind: RedisKind, key: Uint8Array, value: Uint8Array, rest?: InputRange): Promise<void> | undefined {
    // Element rows, the most numerous, and the rows read past without a promise per row.
    switch (kind) {
      case KIND.setMember:
        return setMember(this.#collections, asBuffer(key));
      case KIND.zsetMember:
        return zsetMember(this.#collections, asBuffer(key), asBuffer(value));
      case KIND.streamEntry:
        return streamEntry(this.#collections, asBuffer(key), asBuffer(value));
      case KIND.listItem:
        return this.#listItem(asBuffer(key), asBuffer(value));
      case KIND.ignored:
        return undefined;
      default:
        return this.#handle(kind, key, value, rest);
    }
  }

  /** A list item: its record, then its key registered unless the previous row registered it already. */
  #listItem(k: Buffer, v: Buffer): Promise<void> | undefined {
    const added = listItem(this.#collections, k, v);
    const end = listItemKeyEnd(k);
    const last = this.#lastRegistered;
    if (
      last !== undefined &&
      last.code === KIND_CODE.list &&
      compareBytes(last.key, 0, last.key.length, k, LIST_ITEM_PREFIX.length, end) === 0
    )
      return added;
    const userKey = k.subarray(LIST_ITEM_PREFIX.length, end);
    return added === undefined
      ? this.#registerCollection(KIND_CODE.list, userKey)
      : added.then(() => this.#registerCollection(KIND_CODE.list, userKey));
  }

  async #handle(kind: RedisKind, key: Uint8Array, value: Uint8Array, rest: InputRange | undefined): Promise<void> {
    const v = asBuffer(value);
    const k = asBuffer(key);
    const c = this.#collections;
    switch (kind) {
      case KIND.hashMeta:
        return this.#registerCollection(KIND_CODE.hash, await hashMeta(c, k, v));
      case KIND.hashField:
        return this.#registerCollection(KIND_CODE.hash, await hashField(c, k, v));
      case KIND.listMeta:
        return this.#registerCollection(KIND_CODE.list, await listMeta(c, k, v));
      case KIND.listItem:
        return this.#listItem(k, v);
      case KIND.hashDelta:
        if (this.#ctx.switches.resolvedVersions)
          return this.#registerCollection(KIND_CODE.hash, await hashDelta(c, k, v));
        return;
      case KIND.listDelta:
        if (this.#ctx.switches.resolvedVersions)
          return this.#registerCollection(KIND_CODE.list, await listDelta(c, k, v));
        return;
      case KIND.setDelta:
        if (this.#ctx.switches.resolvedVersions) await setDelta(c, k, v);
        return;
      case KIND.zsetDelta:
        if (this.#ctx.switches.resolvedVersions) await zsetDelta(c, k, v);
        return;
      case KIND.setMeta:
        await setMeta(c, k, v);
        return;
      case KIND.setMember:
        return setMember(c, k);
      case KIND.zsetMeta:
        await zsetMeta(c, k, v);
        return;
      case KIND.zsetMember:
        return zsetMember(c, k, v);
      case KIND.zsetLegacy:
        return zsetLegacyBlob(c, k, v);
      case KIND.streamMeta:
        return streamMeta(c, k, v);
      case KIND.streamEntry:
        return streamEntry(c, k, v);
      case KIND.string:
        return this.#scalar('string', k.subarray(STRING_PREFIX.length), v, rest);
      case KIND.hll:
        return this.#scalar('hll', k.subarray(HLL_PREFIX.length), v, rest);
      case KIND.ttl:
        return this.#ttl(k.subarray(TTL_PREFIX.length), v);
      case KIND.ignored:
        return;
    }
    return everyKindHandled(kind);
  }

  /**
   * Hashes and lists take part in TTL routing like strings: their rows precede the `!redis|ttl|` rows, so a
   * TTL row finds them registered (sets, sorted sets and streams come after and claim parked TTLs instead).
   * Consecutive rows of one key register once.
   */
  async #registerCollection(code: number, userKey: Buffer): Promise<void> {
    if (
      this.#lastRegistered !== undefined &&
      this.#lastRegistered.code === code &&
      this.#lastRegistered.key.equals(userKey)
    )
      return;
    this.#lastRegistered = { code, key: Buffer.from(userKey) };
    this.#types ??= this.#ctx.newSorter();
    await this.#types.add(Buffer.from(userKey), Buffer.from([code, 0]));
  }

  /** Encoded name of a key, recording a KEYMAP entry first when it is a SHA fallback. */
  async #name(k: Buffer): Promise<string> {
    const seg = encodeSegment(k);
    if (isShaFallback(seg)) await this.#keymap.write(seg, k, KIND_SHA_FALLBACK);
    return seg;
  }

  /**
   * True when the expiry has passed at the snapshot's time and expired records are to be left out (the node:
   * !ttl.After(now)).
   */
  #skipExpired(ms: bigint): boolean {
    return this.#ctx.switches.expired === 'skip' && ms !== 0n && ms <= this.#ctx.snapshotTimeMs;
  }

  /**
   * A string or HLL row. With `rest`, the value was left in the snapshot file: `v` holds its first bytes (the inline
   * header), and the body is copied from the file into the tree.
   */
  async #scalar(kind: ScalarKind, k: Buffer, v: Buffer, rest: InputRange | undefined): Promise<void> {
    const fam = FAMILIES[kind];
    let parsed;
    try {
      parsed = parseInlineValue(v, fam.version);
    } catch (err) {
      if (err instanceof InlineValueError)
        throw new DataError('REDIS_INVALID_VALUE', `${fam.invalid}: ${err.message}`, {
          key: bareKey(fam.prefix, k),
        });
      throw err;
    }
    this.#types ??= this.#ctx.newSorter();
    this.#lastRegistered = undefined;
    await this.#types.add(Buffer.from(k), Buffer.from([KIND_CODE[kind], parsed.inline ? 1 : 0]));
    if (parsed.inline && this.#skipExpired(parsed.expireAtMs)) {
      this.#ctx.expiredSkipped();
      return;
    }
    if (!parsed.inline && this.#ctx.switches.expired === 'skip') {
      this.#deferred ??= this.#ctx.newSorter();
      const body = rest === undefined ? parsed.body : await rest.read(); // a legacy value: its body is all of it
      await this.#deferred.add(Buffer.concat([k, Buffer.from([KIND_CODE[kind]])]), body);
      return;
    }
    await this.#writeScalar(kind, k, rest === undefined ? parsed.body : rest.from(v.length - parsed.body.length));
    if (parsed.expireAtMs !== 0n) await this.#appendTtl(kind, k, parsed.expireAtMs);
  }

  /** Writes a string's or HLL's body: bytes, or a range of the snapshot file (read here if the tree cannot copy it). */
  async #writeScalar(kind: ScalarKind, k: Buffer, body: Uint8Array | InputRange): Promise<void> {
    const seg = await this.#name(k);
    const rel = `${this.#db}/${FAMILIES[kind].dir}/${seg}.bin`;
    const tree = this.#ctx.tree;
    if (!(body instanceof InputRange)) await tree.writeFile(rel, body);
    else if (tree.writeFileFromInput !== undefined) await tree.writeFileFromInput(rel, body);
    else await tree.writeFile(rel, await body.read());
  }

  /** The deferred legacy strings and HLLs whose TTL row had not expired them (merge join, both keyed `K ‖ kind`). */
  async #writeDeferred(): Promise<void> {
    const deferred = this.#deferred;
    if (deferred === undefined) return;
    const expiredIt = (this.#expiredLegacy?.sorted() ?? emptyRecords())[Symbol.asyncIterator]();
    let e = await expiredIt.next();
    for await (const { key, value } of deferred.sorted()) {
      while (!e.done && Buffer.compare(e.value.key, key) < 0) e = await expiredIt.next();
      if (!e.done && Buffer.compare(e.value.key, key) === 0) {
        this.#ctx.expiredSkipped();
        continue;
      }
      const k = Buffer.from(key.subarray(0, key.length - 1));
      await this.#writeScalar(CODE_KIND[key[key.length - 1] as number] as ScalarKind, k, value);
    }
    while (!e.done) e = await expiredIt.next();
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
      throw new DataError('REDIS_INVALID_TTL', `invalid ${TTL_PREFIX} value: length ${v.length} != 8`, {
        key: bareKey(TTL_PREFIX, k),
      });
    }
    const rec = Buffer.alloc(16);
    rec.writeBigUInt64BE(this.#ttlSeq++, 0);
    rec.writeBigUInt64BE(clampMs(v.readBigUInt64BE(0)), 8);
    this.#ttls ??= this.#ctx.newSorter();
    await this.#ttls.add(Buffer.from(k), rec);
  }

  /**
   * Matches the TTL rows with the key types (merge join of two sorted streams), then writes the TTL lines of
   * keys that have a type and no new-format row, in arrival order. TTL rows without a type are orphans here:
   * only collections (not decoded by this version) could claim them.
   */
  async #resolveTtls(): Promise<void> {
    this.#ttlsResolved = true;
    const ttls = this.#ttls;
    if (ttls === undefined) return;
    const lines = this.#ctx.newSorter();
    const typeIt = (this.#types?.sorted() ?? emptyRecords())[Symbol.asyncIterator]();
    let t = await typeIt.next();
    let current: { key: Buffer; kind: number; inline: boolean } | undefined;
    let lastOrphan: Buffer | undefined;
    for await (const { key, value } of ttls.sorted()) {
      const k = Buffer.from(key);
      if (current === undefined || !current.key.equals(k)) {
        let found: { key: Buffer; kind: number; inline: boolean } | undefined;
        while (!t.done && Buffer.compare(t.value.key, k) < 0) t = await typeIt.next();
        while (!t.done && Buffer.compare(t.value.key, k) === 0) {
          const code = t.value.value;
          found = { key: k, kind: code[0] as number, inline: (found?.inline ?? false) || code[1] === 1 };
          t = await typeIt.next();
        }
        current = found;
      }
      const ms = Buffer.from(value).subarray(8);
      if (current !== undefined) {
        if (current.kind === KIND_CODE.hash || current.kind === KIND_CODE.list) {
          await this.#collections.add(
            current.kind === KIND_CODE.hash ? 'hash' : 'list',
            k,
            REC.ttl,
            Buffer.alloc(0),
            ms,
          );
        } else if (!current.inline && this.#skipExpired(ms.readBigUInt64BE(0))) {
          this.#expiredLegacy ??= this.#ctx.newSorter();
          await this.#expiredLegacy.add(Buffer.concat([k, Buffer.from([current.kind])]), Buffer.alloc(0));
        } else if (!current.inline) {
          await lines.add(
            Buffer.concat([Buffer.from([current.kind]), Buffer.from(value).subarray(0, 8)]),
            Buffer.concat([ms, k]),
          );
        }
        continue;
      }
      // No type registered: parked, for a set, sorted set or stream of that key to claim.
      if (lastOrphan === undefined || !lastOrphan.equals(k)) {
        lastOrphan = k;
        this.#pendingKeys++;
      }
      await this.#collections.addPending(k, ms.readBigUInt64BE(0));
    }
    while (!t.done) t = await typeIt.next();
    for await (const { key, value } of lines.sorted()) {
      const v = Buffer.from(value);
      await this.#appendTtl(CODE_KIND[key[0] as number] as ScalarKind, v.subarray(8), v.readBigUInt64BE(0));
    }
  }

  async finalize(): Promise<void> {
    const errors: unknown[] = [];
    try {
      if (!this.#ttlsResolved) await this.#resolveTtls();
      await this.#writeDeferred();
      await this.#collections.flush(this.#db, async (seg, k) => {
        if (isShaFallback(seg)) await this.#keymap.write(seg, k, KIND_SHA_FALLBACK);
      });
    } catch (err) {
      errors.push(err);
    }
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
    await this.#types?.dispose();
    const orphans = this.#pendingKeys - this.#collections.claimed;
    // With a filter on, TTL rows (which do not tell their key's type) of keys the filter left out end here.
    if (orphans > 0 && !this.#ctx.filtered)
      this.#ctx.warn('redis_orphan_ttl', {
        count: orphans,
        hint: 'TTL rows whose key has no decodable row were dropped',
      });
    if (errors.length > 0) throw errors[0];
  }
}
