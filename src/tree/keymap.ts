// KEYMAP.jsonl: maps an encoded file name back to the original key bytes (spec core.md §3.3;
// elastickv: internal/backup/keymap.go).
//
// One compact JSON object per line, HTML escaping off, fields in the order encoded, original (base64url,
// no padding), kind. The file is created lazily on the first record, so an empty KEYMAP.jsonl never exists.

import { DataError } from '../errors.ts';
import { goEncodeLine } from '../json/go-json.ts';
import { JsonObject, parseJsonBytes, readString } from '../json/go-json-read.ts';
import { decodeBase64UrlRaw } from './segment.ts';
import type { RelPath } from './paths.ts';
import type { TreeReader } from './reader.ts';
import type { FileSink, TreeWriter } from './writer.ts';
import { asBuffer } from '../bytes/as-buffer.ts';

export const KEYMAP_FILE = 'KEYMAP.jsonl';
export const KIND_SHA_FALLBACK = 'sha-fallback';
export const KIND_S3_LEAF_DATA = 's3-leaf-data';
export const KIND_META_COLLISION = 'meta-suffix-rename';
/** An S3 key ending in `/` (a folder marker): its body is `<folder>/.elastickv-folder-marker` (ours). */
export const KIND_S3_FOLDER_MARKER = 's3-folder-marker';
/** An S3 key with an empty segment elsewhere (`a//b`, `/a`): `.elastickv-empty-segment` stands for it (ours). */
export const KIND_S3_EMPTY_SEGMENT = 's3-empty-segment';

/** The reader's line cap (4 MiB), from the reference's bufio.Scanner buffer. */
const KEYMAP_MAX_LINE = 4 * 1024 * 1024;

export interface KeymapRecord {
  readonly encoded: string;
  readonly original: Uint8Array;
  readonly kind: string;
}

export class KeymapWriter {
  readonly #tree: TreeWriter;
  readonly #rel: RelPath;
  #sink: FileSink | undefined;
  #count = 0;

  constructor(tree: TreeWriter, rel: RelPath) {
    this.#tree = tree;
    this.#rel = rel;
  }

  get count(): number {
    return this.#count;
  }

  async write(encoded: string, original: Uint8Array, kind: string): Promise<void> {
    if (encoded === '') throw new Error('keymap record requires non-empty encoded');
    if (kind === '') throw new Error('keymap record requires non-empty kind');
    this.#sink ??= await this.#tree.create(this.#rel);
    const originalB64 = asBuffer(original).toString('base64url');
    await this.#sink.write(
      goEncodeLine({ encoded, original: originalB64, kind }, { escapeHTML: false, indent: false }),
    );
    this.#count++;
  }

  async close(): Promise<void> {
    if (this.#sink !== undefined) await this.#sink.close();
    this.#sink = undefined;
  }
}

/** Parses one KEYMAP line with the reference's presence, null and base64 checks. */
export function parseKeymapLine(line: Uint8Array, where: { path: string; line: number }): KeymapRecord {
  const bad = (why: string): DataError => new DataError('KEYMAP_INVALID', `invalid KEYMAP.jsonl record: ${why}`, where);
  let obj;
  try {
    obj = parseJsonBytes(line);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (!(obj instanceof JsonObject)) throw bad('not a JSON object');
  for (const name of ['encoded', 'original', 'kind']) {
    if (!obj.has(name)) throw bad(`missing field "${name}"`);
    if (obj.get(name) === null) throw bad(`field "${name}" is null`);
  }
  let encoded: string;
  let originalB64: string;
  let kind: string;
  try {
    encoded = readString(obj.field('encoded'), 'encoded');
    originalB64 = readString(obj.field('original'), 'original');
    kind = readString(obj.field('kind'), 'kind');
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (encoded === '' || kind === '') throw bad('missing encoded or kind');
  const original = decodeBase64UrlRaw(originalB64);
  if (original === undefined) throw bad('original is not base64url without padding');
  return { encoded, original, kind };
}

/** Streams the records of a KEYMAP.jsonl file. */
export async function* readKeymap(reader: TreeReader, rel: RelPath): AsyncGenerator<KeymapRecord> {
  const path = typeof rel === 'string' ? rel : Buffer.from(rel).toString('utf8');
  for await (const { line, lineNo } of reader.lines(rel, KEYMAP_MAX_LINE)) {
    yield parseKeymapLine(line, { path, line: lineNo });
  }
}

/** Loads a KEYMAP into a map keyed by `encoded`; the last duplicate wins (LoadKeymap). */
export async function loadKeymap(reader: TreeReader, rel: RelPath): Promise<Map<string, KeymapRecord>> {
  const out = new Map<string, KeymapRecord>();
  if ((await reader.kind(rel)) === undefined) return out;
  for await (const rec of readKeymap(reader, rel)) out.set(rec.encoded, rec);
  return out;
}
