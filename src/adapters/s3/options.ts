// The S3 adapter's decode flags: what else to dump (uploads in flight, stale generations) and collision renames,
// recorded in MANIFEST.json's exclusions.

import type { AdapterOptions } from '../adapter.ts';

export const S3_OPTIONS: AdapterOptions = {
  flags: {
    'include-incomplete-uploads': {
      type: 'bool',
      help: 'S3: also dump in-flight multipart uploads under _incomplete_uploads/',
    },
    'include-orphans': { type: 'bool', help: 'S3: also dump objects of stale bucket generations under _orphans/' },
    'rename-collisions': {
      type: 'bool',
      help: 'S3: rename objects whose key ends in the reserved .elastickv-meta.json suffix',
    },
  },
  switchesFromFlags: (v) => ({
    includeIncompleteUploads: v.bool('include-incomplete-uploads'),
    includeOrphans: v.bool('include-orphans'),
    renameCollisions: v.bool('rename-collisions'),
  }),
  recordModes: (s) => ({
    exclusions: {
      includeIncompleteUploads: s.includeIncompleteUploads,
      includeOrphans: s.includeOrphans,
      renameS3Collisions: s.renameCollisions,
    },
  }),
  encodeSwitches: (m) => ({
    includeIncompleteUploads: m.exclusions?.includeIncompleteUploads ?? false,
    includeOrphans: m.exclusions?.includeOrphans ?? false,
    renameS3Collisions: m.exclusions?.renameS3Collisions ?? false,
  }),
  switchesFromManifest: (m) => ({
    includeIncompleteUploads: m.exclusions?.includeIncompleteUploads ?? false,
    includeOrphans: m.exclusions?.includeOrphans ?? false,
    renameCollisions: m.exclusions?.renameS3Collisions ?? false,
  }),
};
