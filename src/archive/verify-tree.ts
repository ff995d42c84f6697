// The check both archive directions run on a dump tree: MANIFEST.json parses, every CHECKSUMS row matches,
// and no regular file is missing from CHECKSUMS (the reference's verifyDumpRoot).

import { DataError } from '../errors.ts';
import { readManifestOf } from '../pipeline/encode.ts';
import { verifyChecksums } from '../tree/checksums.ts';

/** Throws a DataError unless the tree at `root` is complete and intact; returns the number of files verified. */
export async function verifyDumpTree(root: string, shownAs: string = root): Promise<number> {
  await readManifestOf(root);
  const res = await verifyChecksums(root);
  if (res.unlistedCount > 0) {
    const shown = res.unlisted.slice(0, 10).map((b) => b.toString('utf8'));
    throw new DataError('ARCHIVE_UNCHECKSUMMED_FILE', `${res.unlistedCount} file(s) not listed in CHECKSUMS: ${shown.join(', ')}${res.unlistedCount > shown.length ? ', …' : ''}`, { path: shownAs });
  }
  return res.verified;
}
