// Discovery of conformance cases: snapshots and trees produced by the reference tools, in either
// `../shared/conformance/` (next to the repository, when present) or `test/fixtures/conformance/`.
//
// A case is a directory. Inside it, every `<stem>.fsm` that has a sibling directory `<stem>/` holding a
// MANIFEST.json forms a pair: decoding `<stem>.fsm` must give `<stem>/`, and encoding `<stem>/` must give
// `<stem>.fsm` (the encode check runs when the case says the snapshot came from the reference encoder, see
// below). An optional `case.json` in the case directory overrides this:
//   {"pairs": [{"fsm": "a.fsm", "tree": "a", "decode": true, "encode": false, "decode_args": ["--include-orphans"]}]}
// Without case.json, a pair is checked in both directions when `<stem>.fsm.encode_info.json` exists (the
// reference encoder wrote it) and for decode only otherwise.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface ConformancePair {
  readonly caseName: string;
  readonly fsm: string;
  readonly tree: string;
  readonly decode: boolean;
  readonly encode: boolean;
  /** Extra decode flags; the rest are derived from the expected MANIFEST.json. */
  readonly decodeArgs: readonly string[];
}

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);

const CONFORMANCE_ROOTS: readonly string[] = [
  resolve(repoRoot, '..', 'shared', 'conformance'),
  join(repoRoot, 'test', 'fixtures', 'conformance'),
];

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function pairsOfCase(root: string, caseName: string): ConformancePair[] {
  const dir = join(root, caseName);
  const spec = join(dir, 'case.json');
  if (existsSync(spec)) {
    const parsed = JSON.parse(readFileSync(spec, 'utf8')) as { pairs: Array<{ fsm: string; tree: string; decode?: boolean; encode?: boolean; decode_args?: string[] }> };
    return parsed.pairs.map((p) => ({
      caseName,
      fsm: join(dir, p.fsm),
      tree: join(dir, p.tree),
      decode: p.decode ?? true,
      encode: p.encode ?? true,
      decodeArgs: p.decode_args ?? [],
    }));
  }
  const out: ConformancePair[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.fsm')) continue;
    const stem = name.slice(0, -'.fsm'.length);
    const tree = join(dir, stem);
    if (!isDir(tree) || !existsSync(join(tree, 'MANIFEST.json'))) continue;
    out.push({ caseName, fsm: join(dir, name), tree, decode: true, encode: existsSync(join(dir, `${name}.encode_info.json`)), decodeArgs: [] });
  }
  return out;
}

/** Every pair under every conformance root that exists, with the root it came from. */
export function discoverPairs(): Array<{ root: string; pairs: ConformancePair[] }> {
  const found: Array<{ root: string; pairs: ConformancePair[] }> = [];
  for (const root of CONFORMANCE_ROOTS) {
    if (!isDir(root)) continue;
    const pairs = readdirSync(root)
      .sort()
      .filter((c) => isDir(join(root, c)))
      .flatMap((c) => pairsOfCase(root, c));
    found.push({ root, pairs });
  }
  return found;
}
