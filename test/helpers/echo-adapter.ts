// A minimal adapter for pipeline tests: owns `!echo|` (pretending to be "redis"); decode writes one file per
// key under redis/echo/<segment>; encode reads them back. Lets the pipelines be tested without a real adapter.

import type { Adapter } from '../../src/adapters/adapter.ts';
import type { AdapterName } from '../../src/adapters/registry.ts';
import { decodeSegment, encodeSegment } from '../../src/tree/segment.ts';

export function echoAdapter(name: AdapterName = 'redis', prefix = '!echo|'): Adapter {
  const dir = `${name}/echo`;
  return {
    name,
    routes: [{ prefix, kind: 'echo' }],
    filter: { scopeField: 'db', keyed: true, rowScope: (_kind, key) => ({ key: key.subarray(prefix.length) }) },
    createDecoder(ctx) {
      return {
        async handle(_kind, userKey, value) {
          await ctx.tree.writeFile(`${dir}/${encodeSegment(userKey.subarray(prefix.length))}`, value);
        },
        async finalize() {},
      };
    },
    checkEncodable() {},
    async encode(ctx) {
      if ((await ctx.tree.kind(dir)) === undefined) return;
      for (const e of await ctx.tree.list(dir)) {
        const key = Buffer.concat([Buffer.from(prefix), decodeSegment(e.name)]);
        await ctx.emit(key, await ctx.tree.readFile(`${dir}/${e.name}`));
      }
    },
  };
}
