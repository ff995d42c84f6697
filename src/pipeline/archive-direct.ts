// Archives without a tree the user manages: decode straight to an archive (.fsm → tar or tar+zstd stream), and
// encode straight from one.
//
// Decode writes its files through an ArchiveTreeWriter (archive/tree-writer.ts): each file becomes a tar entry
// when it is closed, MANIFEST.json and CHECKSUMS last, so no tree is written to disk; files too large to hold in
// memory until they close wait in spool files under `scratchRoot`, next to the decoders' own scratch (sorter
// runs, object chunks), and are removed as they are packed. The archive unpacks to the tree `decode` writes (the
// same files with the same bytes and modes); its entries are in the order files were completed, not in the
// bytewise order `archive pack` writes, so its bytes are not those of `archive pack`.
//
// Encode reads the tree's files in its adapters' own order, many of them more than once, which a tar stream
// (compressed, read front to back) cannot serve: an archive input is unpacked, with every check of `archive
// unpack` (hostile entries, budgets, MANIFEST.json and CHECKSUMS verified), into a private directory, encoded
// from there and removed.

import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Compression, PackResult } from '../archive/pack.ts';
import { ArchiveTreeWriter } from '../archive/tree-writer.ts';
import { unpackArchive, type UnpackOptions, type UnpackResult } from '../archive/unpack.ts';
import { DigestLedger } from '../tree/digest-ledger.ts';
import { MANIFEST_FILE, renderManifest } from '../tree/manifest.ts';
import { randomHex } from '../tree/publish.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import { DEFAULT_MEMORY_BUDGET, decodeInto, type DecodeResult, type DecodeSnapshotOptions } from './decode.ts';

/** What to decode and how; scratch and spool files go under `scratchRoot` (default: the OS temp directory). */
export interface DecodeToArchiveOptions extends Omit<DecodeSnapshotOptions, 'output'> {
  readonly compression: Compression;
}

/** What a decode to an archive read and wrote. */
export interface DecodeToArchiveResult extends DecodeResult {
  readonly archive: PackResult;
}

/**
 * Decodes `opts.input` and writes its dump tree as an archive to `out` (ended when done; the caller publishes
 * or discards what `out` received; after a failure `out` is destroyed). Unpacked, the archive is the tree
 * `decode` makes.
 */
export async function decodeToArchive(opts: DecodeToArchiveOptions, out: Writable): Promise<DecodeToArchiveResult> {
  const dir = join(opts.scratchRoot ?? tmpdir(), `.ekv-decode-archive-${randomHex()}`);
  const forget = trackTemp(dir);
  try {
    mkdirSync(dir, { mode: 0o700 });
    const ledger = new DigestLedger({ scratchDir: join(dir, 'digests'), memoryBudget: Math.max(4096, Math.floor((opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET) / 4)) });
    const tree = new ArchiveTreeWriter(out, { compression: opts.compression, spoolDir: join(dir, 'spool'), ledger });
    try {
      const result = await decodeInto({ ...opts, manifestSourcePath: opts.manifestSourcePath ?? opts.input }, tree, join(dir, 'scratch'));
      const { onProgress } = opts;
      const report = (files: number): void => {
        onProgress?.({ phase: 'checksums', bytesRead: 0, totalBytes: 0, entries: Number(result.counters.total), files });
      };
      report(0);
      await tree.writeFile(MANIFEST_FILE, renderManifest(result.manifest));
      const archive = await tree.finish();
      report(archive.files - 1);
      return { ...result, archive };
    } catch (err) {
      throw await tree.abort(err);
    } finally {
      await ledger.dispose();
    }
  } finally {
    removeTree(dir);
    forget();
  }
}

/**
 * Unpacks the archive `input` (checked as `archive unpack` checks it) into a private directory under
 * `scratchRoot` (default: the OS temp directory), runs `use` on the tree, and removes the directory afterwards.
 */
export async function withUnpackedArchive<T>(
  input: AsyncIterable<Uint8Array>,
  opts: UnpackOptions & { readonly scratchRoot?: string },
  use: (tree: string, unpacked: UnpackResult) => Promise<T>,
): Promise<T> {
  const dir = join(opts.scratchRoot ?? tmpdir(), `.ekv-archive-input-${randomHex()}`);
  const forget = trackTemp(dir);
  try {
    mkdirSync(dir, { mode: 0o700 });
    const tree = join(dir, 'tree');
    const unpacked = await unpackArchive(input, tree, opts);
    return await use(tree, unpacked);
  } finally {
    removeTree(dir);
    forget();
  }
}
