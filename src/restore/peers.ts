// Raft peers of a restored node: the `--peers id=addr,...` list as the reference parses it
// (internal/raftengine/etcd/peers.go ParsePeers, DeriveNodeID; cmd/elastickv-snapshot-prepare-restore parsePeers)
// and the `etcd-raft-peers.bin` file the node reads its membership from (peer_metadata.go, version 3).
//
// The reference parses no suffrage from the list: every peer is a voter. Node ids are the FNV-1a 64-bit hash of
// the peer id (0 becomes 1); peers are sorted by node id.

import { UserError } from '../errors.ts';
import { u32be, u64be } from '../bytes/big-endian.ts';

/** One raft member: its node id (derived from `id`), id and raft address. */
export interface Peer {
  readonly nodeId: bigint;
  readonly id: string;
  readonly address: string;
}

export const PEERS_FILE = 'etcd-raft-peers.bin';
const PEERS_MAGIC = Buffer.from('EKVP', 'latin1');
const PEERS_VERSION = 3;

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const U64 = 0xffff_ffff_ffff_ffffn;

/** DeriveNodeID: FNV-1a 64 over the id's UTF-8 bytes; 0 maps to 1. */
export function deriveNodeId(id: string): bigint {
  let h = FNV64_OFFSET;
  for (const b of Buffer.from(id, 'utf8')) h = ((h ^ BigInt(b)) * FNV64_PRIME) & U64;
  return h === 0n ? 1n : h;
}

// Go's strings.TrimSpace: unicode.IsSpace at both ends (unlike String.prototype.trim: U+0085 yes, U+FEFF no).
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const GO_TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'gu');

export function goTrimSpace(s: string): string {
  return s.replace(GO_TRIM, '');
}

/**
 * Parses `id=addr,id=addr`: parts trimmed, empty parts skipped, each split at its first `=` with both sides
 * non-empty after trimming; then node ids derived, duplicates refused, sorted by node id. Refusals are
 * usage errors (exit 1), as in the reference.
 */
export function parsePeers(raw: string): Peer[] {
  const peers: Peer[] = [];
  const trimmed = goTrimSpace(raw);
  if (trimmed !== '') {
    for (const part0 of trimmed.split(',')) {
      const part = goTrimSpace(part0);
      if (part === '') continue;
      const eq = part.indexOf('=');
      const id = eq < 0 ? '' : goTrimSpace(part.slice(0, eq));
      const address = eq < 0 ? '' : goTrimSpace(part.slice(eq + 1));
      if (id === '' || address === '') {
        throw new UserError('RESTORE_PEERS_INVALID', `parse peers: etcd raft peer format is invalid: ${JSON.stringify(part)} (want id=address)`);
      }
      peers.push({ nodeId: deriveNodeId(id), id, address });
    }
  }
  if (peers.length === 0) throw new UserError('RESTORE_PEERS_INVALID', '--peers selected zero peers');
  const seen = new Set<bigint>();
  for (const p of peers) {
    if (seen.has(p.nodeId)) throw new UserError('RESTORE_PEERS_INVALID', `duplicate peer node id ${p.nodeId} (peer ${JSON.stringify(p.id)})`);
    seen.add(p.nodeId);
  }
  return peers.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

function str(s: string): Buffer[] {
  const b = Buffer.from(s, 'utf8');
  return [u32be(b.length), b];
}

/**
 * `etcd-raft-peers.bin` v3: magic `EKVP`, BE32 version, BE64 index, BE32 count, per peer BE64 node id, a
 * suffrage byte (0 voter), BE32-length-prefixed id and address; then the bootstrap seed block: an active
 * byte (0) and an empty list (BE32 0), as a fresh restore writes it.
 */
export function encodePeersFile(index: bigint, peers: readonly Peer[]): Buffer {
  const parts: Buffer[] = [PEERS_MAGIC, u32be(PEERS_VERSION), u64be(index), u32be(peers.length)];
  for (const p of peers) parts.push(u64be(p.nodeId), Buffer.from([0]), ...str(p.id), ...str(p.address));
  parts.push(Buffer.from([0]), u32be(0));
  return Buffer.concat(parts);
}
