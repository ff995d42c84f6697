// Archives without a tree the user manages: decode straight to an archive (.fsm → tar or tar+zstd stream, the
// same bytes as `decode` then `archive pack`), and encode straight from one.
//
// An archive lists its entries in bytewise path order, and its first entry, CHECKSUMS, holds the digest of every
// other file; adapters write their files in their own order (one adapter after the other, regrouped records at
// finalize). So no entry can be emitted before the whole decode is done. The tree is therefore staged in a
// private directory under `scratchRoot` (default: the OS temp directory), packed from there by the same code as
// `archive pack` (so the bytes are the same), and removed afterwards, also on failure or interrupt. The archive
// is streamed to `out` as it is packed; memory stays bounded as in decode and pack. Packing skips pack's
// verification: the tree was just written by this run in a directory no one else can write to, and its
// CHECKSUMS were computed from the bytes as they were written.
//
// Encode reads the tree's files in its adapters' own order, many of them more than once, which a tar stream
// (compressed, read front to back) cannot serve: an archive input is unpacked, with every check of `archive
// unpack` (hostile entries, budgets, MANIFEST.json and CHECKSUMS verified), into a private directory, encoded
// from there and removed.

import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { packTree, type Compression, type PackResult } from '../archive/pack.ts';
import { unpackArchive, type UnpackOptions, type UnpackResult } from '../archive/unpack.ts';
import { randomHex } from '../tree/publish.ts';
import { removeTree } from '../tree/remove-tree.ts';
import { trackTemp } from '../tree/temp-paths.ts';
import { decodeSnapshot, type DecodeProgress, type DecodeResult, type DecodeSnapshotOptions } from './decode.ts';

/** What to decode and how; the tree is staged under `scratchRoot` (default: the OS temp directory). */
export interface DecodeToArchiveOptions extends Omit<DecodeSnapshotOptions, 'output' | 'onProgress'> {
  readonly compression: Compression;
  /** Decode's phases, then `pack` (files and content bytes packed so far in `files` and `bytesRead`). */
  readonly onProgress?: (p: DecodeProgress | { readonly phase: 'pack'; readonly files: number; readonly bytesRead: number }) => void;
}

/** What a decode to an archive read and wrote. */
export interface DecodeToArchiveResult extends DecodeResult {
  readonly archive: PackResult;
}

/**
 * Decodes `opts.input` and writes its dump tree as an archive to `out` (ended when done; the caller publishes
 * or discards what `out` received). The bytes are those `archive pack` writes for the tree `decode` makes.
 */
export async function decodeToArchive(opts: DecodeToArchiveOptions, out: Writable): Promise<DecodeToArchiveResult> {
  const dir = join(opts.scratchRoot ?? tmpdir(), `.ekv-decode-archive-${randomHex()}`);
  const forget = trackTemp(dir);
  try {
    mkdirSync(dir, { mode: 0o700 });
    const tree = join(dir, 'tree');
    const { onProgress } = opts;
    const result = await decodeSnapshot({
      ...opts,
      output: tree,
      scratchRoot: dir,
      manifestSourcePath: opts.manifestSourcePath ?? opts.input,
      ...(onProgress !== undefined ? { onProgress } : {}),
    });
    onProgress?.({ phase: 'pack', files: 0, bytesRead: 0 });
    const archive = await packTree(tree, out, opts.compression, {
      verify: false,
      ...(onProgress !== undefined ? { onProgress: (files: number, bytes: number) => { onProgress({ phase: 'pack', files, bytesRead: bytes }); } } : {}),
    });
    return { ...result, archive };
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
