// Adapters this version cannot decode or encode yet. They still own their prefixes (core.md §2.3), so rows are
// counted exactly as the reference counts them; a selected one refuses to run instead of dropping data:
// decoding a row of it, or encoding a tree that has its directory, is a DataError that says how to proceed.

import { DataError } from '../errors.ts';
import type { Adapter, AdapterName, RouteSpec } from './adapter.ts';

function unbuilt(name: AdapterName, prefixes: readonly string[]): Adapter {
  const routes: RouteSpec[] = prefixes.map((prefix) => ({ prefix, kind: 'unbuilt' }));
  return {
    name,
    routes,
    createDecoder: () => ({
      handle(_kind, key) {
        throw new DataError('ADAPTER_NOT_BUILT', `the snapshot has ${name} rows, which this version cannot decode yet; run with --adapter excluding ${name}`, { key });
      },
      finalize: async () => undefined,
    }),
    checkEncodable: () => undefined,
    async encode(ctx) {
      if ((await ctx.tree.kind(name)) === undefined) return;
      if ((await ctx.tree.list(name)).length === 0) return;
      throw new DataError('ADAPTER_NOT_BUILT', `the tree has ${name} data, which this version cannot encode yet; run with --adapter excluding ${name}`, { path: name });
    },
  };
}

export const UNBUILT_ADAPTERS: readonly Adapter[] = [
  unbuilt('s3', ['!s3|bucket|meta|', '!s3|upload|meta|', '!s3|upload|part|', '!s3|chunkblob|', '!s3|obj|head|', '!s3|chunkref|', '!s3|blob|']),
];
