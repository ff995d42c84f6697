// Routes user keys to adapters by longest matching prefix (spec core.md §2.2-2.3;
// elastickv: internal/backup/decode.go (buildPrefixRoutes, route)).
//
// The route table is the union of every adapter's RouteSpecs, their internal prefixes and the store's, which the
// reference always counts as Internal. A key matching no prefix is Unknown; a key owned by an adapter that is not
// selected is Internal.

import type { Adapter, RouteSpec } from '../adapters/adapter.ts';
import type { AdapterName } from '../adapters/registry.ts';
import { compareBytes } from '../bytes/compare.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

/**
 * The store's own prefixes that are never decoded (encryption, distribution and transaction bookkeeping); an
 * adapter's bookkeeping prefixes come from its `internalPrefixes`.
 */
const STORE_INTERNAL_PREFIXES: readonly RouteSpec[] = [
  { prefix: '!encryption|', kind: 'encryption' },
  { prefix: '!dist|', kind: 'distribution' },
  { prefix: '!txn|', kind: 'transaction' },
];

export interface Route {
  readonly prefix: string;
  /** undefined for the always-internal prefixes. */
  readonly adapter: AdapterName | undefined;
  readonly kind: string;
}

/**
 * Every prefix ends with `|`, so only the key's leading segments ending at a `|` can match: the dispatcher
 * looks those up (longest first) in one map instead of trying every prefix length.
 */
export class Dispatcher {
  /** Prefix lengths present in the table, longest first. */
  readonly #lengths: number[];
  readonly #byLength = new Map<number, Map<string, Route>>();
  readonly #byPrefix = new Map<string, Route>();
  readonly #maxLen: number;
  /** The bytes of every prefix no longer prefix extends: a key starting with one routes there, whatever follows. */
  readonly #leaves = new Map<Route, Buffer>();
  /** The last route found, when it is such a leaf. */
  #last: { readonly route: Route; readonly prefix: Buffer } | undefined;

  constructor(adapters: readonly Adapter[]) {
    const all: Route[] = [];
    for (const a of adapters) for (const r of a.routes) all.push({ prefix: r.prefix, adapter: a.name, kind: r.kind });
    for (const r of [...STORE_INTERNAL_PREFIXES, ...adapters.flatMap((a) => a.internalPrefixes ?? [])])
      all.push({ prefix: r.prefix, adapter: undefined, kind: r.kind });
    for (const r of all) {
      const len = Buffer.byteLength(r.prefix, 'latin1');
      let m = this.#byLength.get(len);
      if (m === undefined) this.#byLength.set(len, (m = new Map<string, Route>()));
      if (m.has(r.prefix)) throw new Error(`route prefix ${r.prefix} claimed twice`);
      if (!r.prefix.endsWith('|')) throw new Error(`route prefix ${r.prefix} must end with "|"`);
      m.set(r.prefix, r);
      this.#byPrefix.set(r.prefix, r);
    }
    for (const r of all) if (!all.some((q) => q.prefix.length > r.prefix.length && q.prefix.startsWith(r.prefix))) this.#leaves.set(r, Buffer.from(r.prefix, 'latin1'));
    this.#lengths = [...this.#byLength.keys()].sort((a, b) => b - a);
    this.#maxLen = this.#lengths[0] ?? 0;
  }

  /** The longest route whose prefix starts `key`, or undefined (Unknown). */
  route(key: Uint8Array): Route | undefined {
    const b = asBuffer(key);
    // Rows come in long runs of one prefix: a key starting with the last route's prefix, when no longer prefix
    // extends it, has that route.
    const last = this.#last;
    if (
      last !== undefined &&
      b.length >= last.prefix.length &&
      compareBytes(b, 0, last.prefix.length, last.prefix, 0, last.prefix.length) === 0
    )
      return last.route;
    const route = this.#lookup(b, Math.min(b.length, this.#maxLen));
    const prefix = route === undefined ? undefined : this.#leaves.get(route);
    this.#last = route === undefined || prefix === undefined ? undefined : { route, prefix };
    return route;
  }

  #lookup(b: Buffer, limit: number): Route | undefined {
    let ends: number[] | undefined;
    for (let i = 0; i < limit; i++) if (b[i] === 0x7c) (ends ??= []).push(i + 1);
    if (ends === undefined) return undefined;
    for (let j = ends.length - 1; j >= 0; j--) {
      const r = this.#byPrefix.get(b.toString('latin1', 0, ends[j]));
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** All routes, longest prefix first (for tests and `inspect`). */
  routes(): Route[] {
    return this.#lengths.flatMap((len) => [...(this.#byLength.get(len)?.values() ?? [])]);
  }
}
