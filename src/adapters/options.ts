// The adapters' options taken together: what the pipelines record in MANIFEST.json for a set of decode
// switches, and the encode and decode switches a manifest means. Each adapter's part is its `options`.

import type { Adapter, DecodeSwitches, EncodeSwitches, ManifestModes } from './adapter.ts';
import type { Manifest } from '../tree/manifest.ts';

/** Encode switches when no adapter says otherwise (a tree decoded with the reference's defaults). */
const DEFAULT_ENCODE_SWITCHES: EncodeSwitches = {
  includeIncompleteUploads: false,
  includeOrphans: false,
  renameS3Collisions: false,
  preserveSqsVisibility: false,
  includeSqsSideRecords: false,
  dynamodbLayout: 'per-item',
};

/** The MANIFEST.json modes recording `switches`; fields no adapter records keep the reference's defaults. */
export function recordedModes(adapters: readonly Adapter[], switches: DecodeSwitches): ManifestModes {
  let modes: ManifestModes = {
    exclusions: {
      includeIncompleteUploads: false,
      includeOrphans: false,
      preserveSqsVisibility: false,
      includeSqsSideRecords: false,
      renameS3Collisions: false,
    },
    dynamodbLayout: 'per-item',
  };
  for (const a of adapters) {
    const own = a.options?.recordModes(switches);
    if (own === undefined) continue;
    modes = { ...modes, ...own, exclusions: { ...modes.exclusions, ...own.exclusions } };
  }
  return modes;
}

/** The encode switches the manifest's recorded modes mean. */
export function encodeSwitchesOf(adapters: readonly Adapter[], m: Manifest): EncodeSwitches {
  return Object.assign(
    { ...DEFAULT_ENCODE_SWITCHES },
    ...adapters.map((a) => a.options?.encodeSwitches(m) ?? {}),
  ) as EncodeSwitches;
}

/** The decode switches that reproduce the manifest's recorded modes. */
export function decodeSwitchesOf(adapters: readonly Adapter[], m: Manifest): Partial<DecodeSwitches> {
  return Object.assign({}, ...adapters.map((a) => a.options?.switchesFromManifest(m) ?? {})) as Partial<DecodeSwitches>;
}
