// Where each S3 object of a bucket goes in the dump tree, and the KEYMAP record that brings its key back.
//
// An object key is a `/`-separated path written with its raw bytes under `s3/<bucket>/`. Keys that cannot be
// such a path, or that would clash with another key's path, are mapped, deterministically from the bucket's
// set of live keys:
// 1. empty segments: a trailing one (a folder marker, `photos/`) becomes `.elastickv-folder-marker`, any other
//    (`a//b`, `/a`) `.elastickv-empty-segment`, so `photos/` is the file `photos/.elastickv-folder-marker`
//    next to `photos/x`;
// 2. a key ending in the sidecar suffix gets `.user-data` appended (only with --rename-collisions);
// 3. a key whose path is also a directory of other keys gets `.elastickv-leaf-data` appended;
// 4. a segment that would not fit a file name gets the tree's SHA fallback form (see tree/segment.ts: at most
//    226 bytes); the last segment must leave room for the `.elastickv-meta.json` sidecar;
// 5. a path that would not fit the tree's path budget becomes one SHA fallback segment of the whole key at the
//    bucket root.
// Every mapped key gets one KEYMAP record (`encoded` = the tree path, `original` = the key). Its kind is the
// last rule that changed the name: `sha-fallback` (4, 5), `s3-leaf-data` (3), `meta-suffix-rename` (2),
// `s3-empty-segment` or `s3-folder-marker` (1). The mapped names are checked to be distinct and never both a
// file and a directory; a user key that collides with a mapped name is refused (rename it in S3 first).

import { DataError } from '../../errors.ts';
import { KIND_META_COLLISION, KIND_S3_EMPTY_SEGMENT, KIND_S3_FOLDER_MARKER, KIND_S3_LEAF_DATA, KIND_SHA_FALLBACK } from '../../tree/keymap.ts';
import { NAME_MAX_BYTES, shaFallback, TREE_PATH_MAX_BYTES } from '../../tree/segment.ts';

export const META_SUFFIX = '.elastickv-meta.json';
export const LEAF_DATA_SUFFIX = '.elastickv-leaf-data';
const USER_DATA_SUFFIX = '.user-data';
export const FOLDER_MARKER_NAME = '.elastickv-folder-marker';
const EMPTY_SEGMENT_NAME = '.elastickv-empty-segment';

/** The longest last segment: its sidecar `<segment>.elastickv-meta.json` must still be a valid file name. */
const LAST_SEGMENT_MAX_BYTES = NAME_MAX_BYTES - META_SUFFIX.length;

export interface TreeName {
  /** The object's path under the bucket directory. */
  readonly name: Buffer;
  /** The KEYMAP kind when the path is not the key itself. */
  readonly kind: string | undefined;
}

const SLASH = 0x2f;
const FOLDER_MARKER = Buffer.from(FOLDER_MARKER_NAME);
const EMPTY_SEGMENT = Buffer.from(EMPTY_SEGMENT_NAME);
const LEAF_DATA = Buffer.from(LEAF_DATA_SUFFIX);
const USER_DATA = Buffer.from(USER_DATA_SUFFIX);

const show = (b: Buffer): string => JSON.stringify(b.toString('utf8'));
const malformed = (why: string): DataError => new DataError('S3_MALFORMED_KEY', `malformed S3 key: ${why}`);
const collision = (bucket: Buffer, why: string): DataError =>
  new DataError('S3_META_SUFFIX_COLLISION', `user S3 object key collides with reserved sidecar suffix: bucket ${show(bucket)} ${why} (rename in S3 first)`);
const nameCollision = (bucket: Buffer, why: string): DataError =>
  new DataError('S3_TREE_NAME_COLLISION', `two S3 objects map to clashing dump paths: bucket ${show(bucket)} ${why} (rename in S3 first)`);

function splitSegments(key: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= key.length; i++) {
    if (i === key.length || key[i] === SLASH) {
      out.push(key.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

const joinSegments = (segs: readonly Buffer[]): Buffer => Buffer.concat(segs.flatMap((s, i) => (i === 0 ? [s] : [Buffer.from('/'), s])));

/** safeJoinUnderRoot's checks that no mapping can repair: NUL, backslash, `.` and `..` segments. */
function checkKey(key: Buffer): void {
  if (key.length === 0) throw malformed('empty object name');
  if (key.includes(0)) throw malformed(`object name contains NUL: ${show(key)}`);
  if (key.includes(0x5c)) throw malformed(`object name contains backslash ${show(key)} (treated as a separator on Windows; rename in S3 first)`);
  for (const seg of splitSegments(key)) {
    const s = seg.toString('latin1');
    if (s === '.' || s === '..') throw malformed(`object name has dot segment ${show(key)} (S3 treats it literally; rename in S3 first)`);
  }
}

/** Rule 1: empty segments replaced by reserved names; the kind says which. */
function fillEmptySegments(key: Buffer): { segs: Buffer[]; kind: string | undefined } {
  const segs = splitSegments(key);
  let kind: string | undefined;
  for (let i = 0; i < segs.length; i++) {
    if ((segs[i] as Buffer).length > 0) continue;
    if (i === segs.length - 1) {
      segs[i] = FOLDER_MARKER;
      kind ??= KIND_S3_FOLDER_MARKER;
    } else {
      segs[i] = EMPTY_SEGMENT;
      kind = KIND_S3_EMPTY_SEGMENT;
    }
  }
  return { segs, kind };
}

/** Every directory a path implies, as latin1 strings. */
function addDirPrefixes(name: Buffer, into: Set<string>): void {
  for (let i = name.indexOf(SLASH); i >= 0; i = name.indexOf(SLASH, i + 1)) into.add(name.subarray(0, i).toString('latin1'));
}

/**
 * The tree path of every placed key of a bucket (`placed`: live objects with a manifest, any order). Unlike the
 * reference, keys of chunks without a manifest do not count as directories: they are not in the tree proper.
 * Throws on keys no mapping can place and on collisions. `bucketDir` is the bucket's directory inside the tree
 * (path budget).
 */
export function planTreeNames(
  bucket: Buffer,
  bucketDir: string,
  placed: readonly Buffer[],
  renameCollisions: boolean,
): Map<string, TreeName> {
  const staged: Array<{ key: Buffer; segs: Buffer[]; kind: string | undefined }> = [];
  const dirs = new Set<string>();
  for (const key of placed) {
    checkKey(key);
    const { segs, kind: emptyKind } = fillEmptySegments(key);
    let kind = emptyKind;
    if (key.toString('latin1').endsWith(META_SUFFIX)) {
      if (!renameCollisions) throw collision(bucket, `object ${show(key)}`);
      segs[segs.length - 1] = Buffer.concat([segs[segs.length - 1] as Buffer, USER_DATA]);
      kind = KIND_META_COLLISION;
    }
    staged.push({ key, segs, kind });
    addDirPrefixes(joinSegments(segs), dirs);
  }
  const budget = TREE_PATH_MAX_BYTES - Buffer.byteLength(`${bucketDir}/`) - META_SUFFIX.length;
  const out = new Map<string, TreeName>();
  const files = new Map<string, TreeName>();
  const finalDirs = new Set<string>();
  for (const { key, segs, kind: stagedKind } of staged) {
    let kind = stagedKind;
    if (dirs.has(joinSegments(segs).toString('latin1'))) {
      segs[segs.length - 1] = Buffer.concat([segs[segs.length - 1] as Buffer, LEAF_DATA]);
      kind = KIND_S3_LEAF_DATA;
    }
    for (let i = 0; i < segs.length; i++) {
      const limit = i === segs.length - 1 ? LAST_SEGMENT_MAX_BYTES : NAME_MAX_BYTES;
      if ((segs[i] as Buffer).length <= limit) continue;
      segs[i] = Buffer.from(shaFallback(segs[i] as Buffer), 'latin1');
      kind = KIND_SHA_FALLBACK;
    }
    let name = joinSegments(segs);
    if (name.length > budget) {
      name = Buffer.from(shaFallback(key), 'latin1');
      kind = KIND_SHA_FALLBACK;
    }
    const id = name.toString('latin1');
    const other = files.get(id);
    if (other !== undefined) {
      const renamed = [kind, other.kind].find((k) => k === KIND_META_COLLISION || k === KIND_S3_LEAF_DATA);
      if (renamed !== undefined)
        throw collision(
          bucket,
          `object ${show(key)} ${renamed === KIND_S3_LEAF_DATA ? 'leaf-data ' : ''}rename target is also a real object key`,
        );
      throw nameCollision(bucket, `two objects map to ${show(name)} (one of them ${show(key)})`);
    }
    const planned = { name, kind };
    files.set(id, planned);
    addDirPrefixes(name, finalDirs);
    out.set(key.toString('latin1'), planned);
  }
  for (const id of files.keys()) {
    if (finalDirs.has(id))
      throw nameCollision(
        bucket,
        `${show(Buffer.from(id, 'latin1'))} would be both an object file and a directory of other objects`,
      );
  }
  return out;
}
