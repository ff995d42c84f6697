// Builds tar archives entry by entry, including the hostile kinds an unpacker must refuse (links, devices,
// FIFOs, absolute and ".." names, duplicates), with node-tar's header encoder.
import { Header, Pax } from 'tar';

export interface TarSpec {
  readonly path: string;
  readonly type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  readonly body?: string | Buffer;
  readonly linkpath?: string;
  /** Size written in the header when it should differ from the body's. */
  readonly size?: number;
}

export function buildTar(entries: readonly TarSpec[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    const size = e.size ?? body.length;
    const h = new Header({ path: e.path, type: e.type ?? 'File', size, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), ...(e.linkpath !== undefined ? { linkpath: e.linkpath } : {}) });
    const block = Buffer.alloc(512);
    if (h.encode(block, 0))
      parts.push(
        new Pax({ path: e.path, size, ...(e.linkpath !== undefined ? { linkpath: e.linkpath } : {}) }).encode(),
      );
    parts.push(block, body);
    if (body.length % 512 !== 0) parts.push(Buffer.alloc(512 - (body.length % 512)));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
