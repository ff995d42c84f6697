// Constants of the `.fsm` container (spec core.md §1; elastickv: internal/backup/snapshot_reader.go,
// store/lsm_store.go, kv/snapshot.go).
//
// Native payload: `EKVPBBL1` | LE64 lastCommitTS | entries, each
//   LE64 keyLen | userKey ‖ BE64(~commitTS) | LE64 valLen | flags(1) ‖ LE64 expireAt ‖ body
// Runtime file (fsm-snap/<index hex>.fsm): `EKVTHLC1` | BE64 ceilingMs, or
//   `EKVTHLC2` | BE16 len | BE64 ceilingMs | BE64 cutoverIndex | (len-16) extension bytes,
// then the native payload, then a BE32 CRC-32C footer over everything before it.

export const MAGIC = Buffer.from('EKVPBBL1', 'latin1');
export const HEADER_SIZE = 16;
export const TS_SUFFIX_SIZE = 8;
export const VALUE_HEADER_SIZE = 9;

/** 1 MiB user key + 8-byte suffix; a length equal to the cap is accepted. */
export const MAX_ENCODED_KEY = 1_048_584;
/** 256 MiB + 9-byte value header + 34-byte encryption envelope overhead. */
export const MAX_ENCODED_VALUE = 268_435_499;

export const FLAG_TOMBSTONE = 0x01;
export const FLAG_ENC_MASK = 0x06;
export const FLAG_ENC_SHIFT = 1;
export const FLAG_RESERVED_MASK = 0xf8;

export const RUNTIME_MAGIC_V1 = Buffer.from('EKVTHLC1', 'latin1');
export const RUNTIME_MAGIC_V2 = Buffer.from('EKVTHLC2', 'latin1');
export const RUNTIME_MAGIC_PREFIX = Buffer.from('EKVTHLC', 'latin1');
export const RUNTIME_V1_HEADER = 16;
export const RUNTIME_V2_MIN_LEN = 16;
export const RUNTIME_V2_MAX_LEN = 1024;
export const RUNTIME_FOOTER = 4;

export const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * Raw (non-MVCC) operational rows a live node keeps in the same Pebble database and therefore writes into
 * its snapshots (store/lsm_store.go). Each value is an LE64.
 */
export const OPERATIONAL_META_KEYS: ReadonlyMap<string, string> = new Map([
  ['_meta_last_commit_ts', 'last_commit_ts'],
  ['_meta_min_retained_ts', 'min_retained_ts'],
  ['_meta_pending_min_retained_ts', 'pending_min_retained_ts'],
  ['_meta_applied_index', 'applied_index'],
]);

/** Encryption writer-registry rows: `!encryption|writers|` BE32(dekID) `|` BE16(nodeID), 12-byte value. */
export const WRITER_REGISTRY_PREFIX = Buffer.from('!encryption|writers|', 'latin1');
export const WRITER_REGISTRY_KEY_SIZE = 27;
export const WRITER_REGISTRY_VALUE_SIZE = 12;
