// The one read loop over a snapshot that decode and inspect share: every row from the reader, operational rows
// set apart, MVCC versions resolved, live rows routed by prefix. Callers supply what happens to each row.

import type { OperationalRow, SnapshotEntry, SnapshotReader } from '../snapshot/reader.ts';
import type { VersionResolver } from '../snapshot/versions.ts';
import type { Dispatcher, Route } from './dispatch.ts';

export interface ScanVisitor {
  /** A raw operational row of a live node's database (`_meta_*`, writer registry). */
  operational(rec: OperationalRow): void;
  /** An entry hidden by the version policy: an older version, or a tombstone. */
  hidden(rec: SnapshotEntry): void;
  /** A live entry and its route (undefined: no prefix matches, an unknown row). */
  live(rec: SnapshotEntry, route: Route | undefined): void | Promise<void>;
}

/** Reads every row of `reader` (header already read or not) in file order and hands it to `visit`. */
export async function scanSnapshot(
  reader: SnapshotReader,
  dispatcher: Dispatcher,
  versions: VersionResolver,
  visit: ScanVisitor,
): Promise<void> {
  for await (const batch of reader.batches()) {
    for (const rec of batch) {
      if (rec.type === 'operational') {
        visit.operational(rec);
        continue;
      }
      if (!versions.accept(rec)) {
        visit.hidden(rec);
        continue;
      }
      const pending = visit.live(rec, dispatcher.route(rec.userKey));
      if (pending !== undefined) await pending;
    }
  }
}
