// The raft index a snapshot file name carries (spec core.md §2.8; elastickv: internal/backup/source.go).
//
// The reference parses `<stem>.fsm` as decimal (strconv.ParseUint base 10). A node names its runtime files
// `fsm-snap/<index as 16 hex digits>.fsm`, so for a file with a runtime (EKVTHLC) header the stem is read as
// hex instead; a native payload keeps the reference's decimal reading so both tools record the same index.
// A name that does not parse leaves the index at 0 (omitted from MANIFEST.json).

import { basename } from 'node:path';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

export function snapshotIndexFromPath(path: string, runtimeNamed: boolean): bigint {
  const base = basename(path);
  if (!base.endsWith('.fsm')) return 0n;
  const stem = base.slice(0, -4);
  const pattern = runtimeNamed ? /^[0-9a-f]{16}$/ : /^[0-9]+$/;
  if (!pattern.test(stem)) return 0n;
  const n = BigInt(runtimeNamed ? `0x${stem}` : stem);
  return n > U64_MAX ? 0n : n;
}
