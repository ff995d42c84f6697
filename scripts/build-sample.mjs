// Rebuilds examples/sample.fsm from examples/sample-tree/ with the compiled encoder (run on purpose after
// changing the sample tree: `npm run build && node scripts/build-sample.mjs`). The self-test proves the tree
// is exactly what decoding the new snapshot gives back.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

execFileSync(
  process.execPath,
  ['bin/elastickv-snapshot.js', 'encode', '--input', 'examples/sample-tree', '--output', 'examples/sample.fsm', '--self-test', '--quiet'],
  { stdio: 'inherit' },
);
rmSync('examples/sample.fsm.encode_info.json', { force: true });
