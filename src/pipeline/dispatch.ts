// Routes user keys to adapters by longest matching prefix (spec core.md §2.2-2.3;
// elastickv: internal/backup/decode.go (buildPrefixRoutes, route)).
//
// The route table is the union of every adapter's RouteSpecs and the prefixes the reference always counts as
// Internal. A key matching no prefix is Unknown; a key owned by an adapter that is not selected is Internal.

import type { Adapter, AdapterName, RouteSpec } from '../adapters/adapter.ts';

/** Prefixes that are never decoded (raft/txn/routing/GC bookkeeping), whatever adapters are selected. */
export const INTERNAL_PREFIXES: readonly string[] = ['!s3|bucket|gen|', '!s3|gc|upload|', '!encryption|', '!s3route|', '!dist|', '!txn|'];

export interface Route {
  readonly prefix: string;
  /** undefined for the always-internal prefixes. */
  readonly adapter: AdapterName | undefined;
  readonly kind: string;
}

export class Dispatcher {
  /** Prefix lengths present in the table, longest first. */
  readonly #lengths: number[];
  readonly #byLength = new Map<number, Map<string, Route>>();

  constructor(adapters: readonly Adapter[]) {
    const all: Route[] = [];
    for (const a of adapters) for (const r of a.routes as readonly RouteSpec[]) all.push({ prefix: r.prefix, adapter: a.name, kind: r.kind });
    for (const p of INTERNAL_PREFIXES) all.push({ prefix: p, adapter: undefined, kind: 'internal' });
    for (const r of all) {
      const len = Buffer.byteLength(r.prefix, 'latin1');
      let m = this.#byLength.get(len);
      if (m === undefined) this.#byLength.set(len, (m = new Map()));
      if (m.has(r.prefix)) throw new Error(`route prefix ${r.prefix} claimed twice`);
      m.set(r.prefix, r);
    }
    this.#lengths = [...this.#byLength.keys()].sort((a, b) => b - a);
  }

  /** The longest route whose prefix starts `key`, or undefined (Unknown). */
  route(key: Uint8Array): Route | undefined {
    const b = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
    for (const len of this.#lengths) {
      if (len > b.length) continue;
      const r = this.#byLength.get(len)!.get(b.toString('latin1', 0, len));
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** All routes, longest prefix first (for tests and `inspect`). */
  routes(): Route[] {
    return this.#lengths.flatMap((len) => [...this.#byLength.get(len)!.values()]);
  }
}
