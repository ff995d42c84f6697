// The node-side snapshot file `fsm-snap/<index %016x>.fsm` and the token that names it
// (internal/raftengine/etcd/external_snapshot_restore.go writeExternalFSMSnapshotFile,
// copySnapshotPayloadWithPrefixAndFooter; fsm_snapshot_file.go encodeSnapshotToken, fsmSnapPath):
// `EKVTHLC1 ‖ BE64(ceilingMs)`, the payload bytes unchanged, then a BE32 CRC-32C of everything before it.
// Written to a `<random>.fsm.tmp` file, fsynced and renamed; the payload's SHA-256 is computed during the copy.

import { crc32c } from '../bytes/crc32c.ts';
import { createHash, randomInt } from 'node:crypto';
import { constants as fsc, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, isEkvError } from '../errors.ts';
import { fsyncDir } from '../tree/publish.ts';
import { fsError, openRegularInput, readChunks } from './input-file.ts';
import { hex16 } from './wal.ts';
import { writeAll } from '../fs/write-all.ts';

export const FSM_SNAP_DIR = 'fsm-snap';
const RUNTIME_MAGIC_V1 = Buffer.from('EKVTHLC1', 'latin1');
const TOKEN_MAGIC = Buffer.from('EKVT', 'latin1');
const TOKEN_VERSION = 0x01;
const HLC_LOGICAL_BITS = 16n;
const MAX_HLC_PHYSICAL_MS = (1n << 48n) - 1n;
const WRITE_BUFFER = 1 << 20;

function fsmSnapFileName(index: bigint): string {
  return `${hex16(index)}.fsm`;
}

/** The 16-byte runtime header `EKVTHLC1 ‖ BE64(ceilingMs)`. */
function runtimeHeaderV1(ceilingMs: bigint): Buffer {
  const h = Buffer.alloc(16);
  RUNTIME_MAGIC_V1.copy(h, 0);
  h.writeBigUInt64BE(ceilingMs, 8);
  return h;
}

/** The 17-byte raft snapshot data: `EKVT ‖ 0x01 ‖ BE64(index) ‖ BE32(crc32c of the fsm file)`. */
export function snapshotToken(index: bigint, crc: number): Buffer {
  const t = Buffer.alloc(17);
  TOKEN_MAGIC.copy(t, 0);
  t[4] = TOKEN_VERSION;
  t.writeBigUInt64BE(index, 5);
  t.writeUInt32BE(crc >>> 0, 13);
  return t;
}

/**
 * The HLC ceiling a restored node starts above: 0 for last_commit_ts 0, else its physical milliseconds + 1;
 * a physical part at its 48-bit maximum has no successor (data error).
 */
export function hlcCeilingMs(lastCommitTs: bigint): bigint {
  if (lastCommitTs === 0n) return 0n;
  const physical = lastCommitTs >> HLC_LOGICAL_BITS;
  if (physical === MAX_HLC_PHYSICAL_MS) {
    throw new DataError('RESTORE_HLC_CEILING_OVERFLOW', `snapshot restore: HLC ceiling overflow: last_commit_ts ${lastCommitTs} has physical ms ${physical}`);
  }
  return physical + 1n;
}

export interface FsmSnapWritten {
  readonly path: string;
  readonly crc32c: number;
  readonly payloadBytes: number;
  readonly payloadSha256: string;
}

/** Buffered writes to a file handle, counting nothing; flushes at WRITE_BUFFER bytes. */
class BufferedFile {
  readonly #fh: FileHandle;
  #parts: Buffer[] = [];
  #size = 0;

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  async write(b: Buffer): Promise<void> {
    this.#parts.push(b);
    this.#size += b.length;
    if (this.#size >= WRITE_BUFFER) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#size === 0) return;
    const data = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    await writeAll(this.#fh, data);
  }
}

/**
 * Copies the payload at `inputPath` into `dir/<index>.fsm` with the runtime header and CRC-32C footer; with
 * `ceilingMs` undefined (a physical payload, which carries its own header) only the footer is added.
 */
export async function writeFsmSnapFile(
  inputPath: string,
  dir: string,
  index: bigint,
  ceilingMs: bigint | undefined,
): Promise<FsmSnapWritten> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 }).catch((err: unknown) => {
    throw fsError(err, dir, 'create fsm-snap directory');
  });
  const input = await openRegularInput(inputPath, 'payload');
  const tmpPath = join(dir, `${randomInt(0, 2 ** 32)}.fsm.tmp`);
  const finalPath = join(dir, fsmSnapFileName(index));
  let out: FileHandle | undefined;
  try {
    out = await fsp.open(tmpPath, fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL, 0o600).catch((err: unknown) => {
      throw fsError(err, tmpPath, 'create fsm-snap file');
    });
    const w = new BufferedFile(out);
    const header = ceilingMs === undefined ? Buffer.alloc(0) : runtimeHeaderV1(ceilingMs);
    let crc = crc32c(header);
    const sha = createHash('sha256');
    let payloadBytes = 0;
    await w.write(header);
    for await (const chunk of readChunks(input)) {
      crc = crc32c(chunk, crc);
      sha.update(chunk);
      payloadBytes += chunk.length;
      await w.write(chunk);
    }
    const footer = Buffer.alloc(4);
    footer.writeUInt32BE(crc >>> 0, 0);
    await w.write(footer);
    await w.flush();
    await out.sync();
    await out.close();
    out = undefined;
    await fsp.rename(tmpPath, finalPath);
    await fsyncDir(dir);
    return { path: finalPath, crc32c: crc >>> 0, payloadBytes, payloadSha256: sha.digest('hex') };
  } catch (err) {
    if (isEkvError(err)) throw err;
    throw fsError(err, finalPath, 'write fsm-snap file');
  } finally {
    await input.close();
    if (out !== undefined) await out.close();
    await fsp.rm(tmpPath, { force: true });
  }
}
