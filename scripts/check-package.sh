#!/usr/bin/env bash
# Packaging check: what `npm publish` would ship works for a consumer.
# Packs the package (prepack compiles dist/src/ and bundles dist/cli/), installs the tarball into a fresh project,
# imports it by name from JavaScript (decoding and re-encoding the bundled sample) and from strict TypeScript
# (type-checked against the shipped .d.ts, then run), runs the installed program on the sample, and checks the
# exports map and types with @arethetypeswrong/cli.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ekv-package-XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$repo"
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
npx --no-install attw "$tarball" --profile esm-only

mkdir "$work/consumer"
cd "$work/consumer"
cat > package.json <<'EOF'
{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }
EOF
install_log="$(npm install --no-audit --no-fund --prefer-offline "$tarball" 2>&1)"
printf '%s\n' "$install_log"
if grep -q 'install-scripts' <<<"$install_log"; then
  echo "check-package: installing the tarball asks the consumer to approve install scripts" >&2
  exit 1
fi

cat > consumer.mjs <<EOF
import { readFileSync } from 'node:fs';
import { decodeSnapshot, encodeSnapshot, isEkvError } from 'elastickv-snapshot';
const sample = '$repo/examples/sample.fsm';
const decoded = await decodeSnapshot({ input: sample, output: 'tree' });
const encoded = await encodeSnapshot({ input: 'tree', output: 'out.fsm' });
if (!readFileSync('out.fsm').equals(readFileSync(sample))) throw new Error('JS consumer: re-encoded sample differs');
if (typeof isEkvError !== 'function') throw new Error('JS consumer: isEkvError missing');
console.log('JS consumer: decoded', decoded.counters.total, 'rows, encoded', encoded.rows, 'rows, byte-identical');
EOF
node consumer.mjs
# The installed program runs the bundle in dist/cli/ (packages resolved from the consumer's node_modules).
node_modules/.bin/elastickv-snapshot decode --quiet --input "$repo/examples/sample.fsm" --output bin-tree
node_modules/.bin/elastickv-snapshot verify --quiet --input bin-tree
echo "bin: the installed elastickv-snapshot decoded the sample and verified the tree"

cat > tsconfig.json <<EOF
{
  "compilerOptions": {
    "target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext", "strict": true,
    "exactOptionalPropertyTypes": true, "noUncheckedIndexedAccess": true, "outDir": "ts-out",
    "types": ["node"], "typeRoots": ["$repo/node_modules/@types"]
  },
  "files": ["consumer.ts"]
}
EOF
cat > consumer.ts <<EOF
import { createReadStream } from 'node:fs';
import { SnapshotReader, ALL_ADAPTERS, type AdapterName, type SnapshotRecord, DataError, exitCodeFor } from 'elastickv-snapshot';
const names: AdapterName[] = ALL_ADAPTERS.map((a) => a.name);
const reader = new SnapshotReader(createReadStream('$repo/examples/sample.fsm'));
const header = await reader.header();
let rows = 0;
for await (const r of reader.records()) {
  const rec: SnapshotRecord = r;
  if (rec.type === 'entry') rows++;
}
const code: 0 | 1 | 2 = exitCodeFor(new DataError('SNAPSHOT_TRUNCATED', 'example'));
console.log('TS consumer:', names.join(','), 'last commit', header.lastCommitTs, rows, 'entries, exit class', code);
EOF
"$repo/node_modules/.bin/tsc" -p tsconfig.json
node ts-out/consumer.js
echo "check-package: ok"
