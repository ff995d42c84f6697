// The registry of error codes: every code an EkvError may carry, its exit class and what it means.
//
// Codes are stable (scripts match on them); `ErrorCode` is the union of this table's keys, so an unregistered code
// fails to compile, and DataError/UserError accept only the codes of their exit class. README.md's error-code table
// is rendered from this table (`npm run docs:error-codes`; test/error-codes.test.ts checks it is current).

import type { ExitClass } from './errors.ts';

/** What the registry says about one code. */
export interface ErrorCodeInfo {
  /** Decides the process exit code: `user` → 1, `data` → 2. */
  readonly exit: ExitClass;
  /** One line: what went wrong. */
  readonly meaning: string;
}

/** Every error code, in documentation order. */
export const ERROR_CODES = {
  // The .fsm container (reader)
  SNAPSHOT_EMPTY: { exit: 'data', meaning: 'the .fsm file is empty (0 bytes)' },
  SNAPSHOT_TRUNCATED: { exit: 'data', meaning: 'the .fsm ends inside its header or inside an entry' },
  SNAPSHOT_BAD_MAGIC: { exit: 'data', meaning: 'the payload does not start with the EKVPBBL1 magic' },
  SNAPSHOT_RUNTIME_HEADER_INVALID: { exit: 'data', meaning: 'an EKVTHLC runtime header is malformed (length out of range)' },
  SNAPSHOT_RUNTIME_HEADER_UNKNOWN: { exit: 'data', meaning: 'the file starts with an EKVTHLC runtime header of an unknown version' },
  SNAPSHOT_KEY_TOO_LARGE: { exit: 'data', meaning: 'an entry declares a key longer than the format allows' },
  SNAPSHOT_VALUE_TOO_LARGE: { exit: 'data', meaning: 'an entry declares a value longer than the format allows' },
  SNAPSHOT_SHORT_KEY: { exit: 'data', meaning: 'an encoded key is shorter than its 8-byte timestamp suffix' },
  SNAPSHOT_SHORT_VALUE: { exit: 'data', meaning: 'an encoded value is shorter than its 9-byte value header' },
  SNAPSHOT_ENCRYPTED_RESERVED: { exit: 'data', meaning: 'a value header carries reserved flag bits or encryption state' },
  SNAPSHOT_ENCRYPTED_ENTRY: { exit: 'data', meaning: 'an entry is encrypted; decryption is not supported' },
  SNAPSHOT_DUPLICATE_KEY: { exit: 'data', meaning: 'a row repeats the previous row\'s key (same user key and commit timestamp)' },
  SNAPSHOT_KEY_ORDER: { exit: 'data', meaning: 'a row is out of the container\'s key order' },
  SNAPSHOT_CRC_MISMATCH: { exit: 'data', meaning: 'the CRC-32C footer does not match the content' },
  DECODE_UNATTRIBUTED_ROW: { exit: 'data', meaning: "a row under an adapter's key prefix matches none of its record layouts (damaged key)" },
  INPUT_DECOMPRESS_FAILED: { exit: 'data', meaning: 'a gzip or zstd compressed .fsm input is corrupt' },
  // The .fsm container (writer)
  ENCODE_KEY_TOO_LARGE: { exit: 'data', meaning: 'an encoded key would exceed the format limit' },
  ENCODE_VALUE_TOO_LARGE: { exit: 'data', meaning: 'an encoded value would exceed the format limit' },
  ENCODE_DUPLICATE_KEY: { exit: 'data', meaning: 'two rows of the tree encode to the same snapshot key' },
  // Inputs, outputs and options (exit 1)
  INPUT_MISSING: { exit: 'user', meaning: 'the input path does not exist' },
  INPUT_NOT_FILE: { exit: 'user', meaning: 'the input .fsm is not a regular file' },
  INPUT_NOT_DIR: { exit: 'user', meaning: 'the input dump root is not a directory' },
  INPUT_CHANGED: { exit: 'user', meaning: 'the input file was replaced or changed size while it was opened or read' },
  INPUT_TOO_LARGE: { exit: 'user', meaning: 'the input file is larger than the limit for its kind' },
  OUTPUT_EXISTS: { exit: 'user', meaning: 'the output path exists and is not a directory' },
  OUTPUT_NOT_REGULAR: { exit: 'user', meaning: 'the output path exists and is not a regular file' },
  OUTPUT_PARENT_MISSING: { exit: 'user', meaning: "the output's parent directory does not exist" },
  OUTPUT_INSIDE_INPUT: { exit: 'user', meaning: 'the output would be written inside the input tree' },
  IO_ERROR: { exit: 'user', meaning: 'a file system operation failed (permissions, space, I/O)' },
  OUTPUT_NOT_EMPTY: { exit: 'user', meaning: 'the output directory is not empty' },
  DECODE_OPTIONS_INVALID: { exit: 'user', meaning: 'decode options are incomplete or contradictory' },
  ARGS_UNEXPECTED: { exit: 'user', meaning: 'a command got positional arguments it does not take' },
  FLAG_INVALID: { exit: 'user', meaning: 'a command-line flag or its value is invalid' },
  FILTER_INVALID: { exit: 'user', meaning: 'an --include/--exclude filter expression is invalid' },
  UNKNOWN_ADAPTER: { exit: 'user', meaning: 'an adapter name is not one this build knows' },
  NO_ADAPTERS: { exit: 'user', meaning: '--adapter selects no adapter' },
  ENCODE_PARTIAL_DUMP: { exit: 'user', meaning: 'the dump was decoded with a filter and holds only part of a snapshot' },
  SIDECAR_FIFO: { exit: 'user', meaning: 'refusing to write the encode_info sidecar into a FIFO' },
  SIDECAR_HARDLINK: { exit: 'user', meaning: 'refusing to overwrite a hard-linked encode_info sidecar' },
  SIDECAR_NOT_REGULAR: { exit: 'user', meaning: 'refusing to write the encode_info sidecar over a non-regular file' },
  SIDECAR_SYMLINK: { exit: 'user', meaning: 'refusing to overwrite a symlink with the encode_info sidecar' },
  SIDECAR_WRITE_FAILED: { exit: 'user', meaning: 'writing the encode_info sidecar failed' },
  // MANIFEST.json, KEYMAP, sidecars and the tree
  MANIFEST_MISSING: { exit: 'user', meaning: 'the input directory has no MANIFEST.json (not a dump root)' },
  MANIFEST_INVALID: { exit: 'data', meaning: 'MANIFEST.json is malformed or inconsistent' },
  MANIFEST_UNSUPPORTED_VERSION: { exit: 'data', meaning: 'MANIFEST.json has a format_version this tool does not read' },
  ADAPTER_NOT_IN_MANIFEST: { exit: 'data', meaning: 'a selected adapter has no scope in MANIFEST.json' },
  LAST_COMMIT_TS_REGRESSION: { exit: 'data', meaning: '--last-commit-ts is below the manifest last_commit_ts' },
  KEYMAP_INVALID: { exit: 'data', meaning: 'a KEYMAP.jsonl record is malformed' },
  ENCODE_INFO_INVALID: { exit: 'data', meaning: 'an .encode_info.json sidecar is malformed' },
  ENCODE_INFO_UNSUPPORTED_VERSION: { exit: 'data', meaning: 'an .encode_info.json sidecar has an unsupported format_version' },
  ENCODE_INFO_MISSING: { exit: 'data', meaning: 'a .fsm has no .encode_info.json sidecar where one is required' },
  ENCODE_INFO_NOT_REGULAR: { exit: 'data', meaning: 'the .encode_info.json beside a .fsm is not a regular file (FIFO, directory, device)' },
  ENCODE_INFO_SYMLINK: { exit: 'data', meaning: 'the .encode_info.json beside a .fsm is a symbolic link' },
  ENCODE_INFO_UNREADABLE: { exit: 'data', meaning: 'the .encode_info.json beside a .fsm exists but cannot be read' },
  ENCODE_INFO_CHANGED: { exit: 'data', meaning: 'the .encode_info.json beside a .fsm changed while it was read' },
  ENCODE_INFO_TOO_LARGE: { exit: 'data', meaning: 'the .encode_info.json beside a .fsm is over its 1 MiB cap' },
  TREE_FILE_CHANGED: { exit: 'data', meaning: 'a file of the tree changed size while it was read' },
  TREE_FILE_TOO_LARGE: { exit: 'data', meaning: 'a file of the tree is larger than the limit for its kind' },
  TREE_HARDLINK: { exit: 'data', meaning: 'a file of the tree is hard-linked' },
  TREE_LINE_TOO_LONG: { exit: 'data', meaning: 'a line of a JSON Lines file is longer than the limit' },
  TREE_NOT_REGULAR: { exit: 'data', meaning: 'an entry of the tree is neither a regular file nor a directory' },
  TREE_UNEXPECTED_ENTRY: { exit: 'data', meaning: 'an entry of the tree has the wrong type for its place (a directory where a record file belongs, a record directory that is empty)' },
  TREE_MISSING: { exit: 'data', meaning: 'a file the tree must hold is absent' },
  TREE_UNREADABLE: { exit: 'data', meaning: 'a file of the tree exists but cannot be read' },
  TREE_PATH_UNSAFE: { exit: 'data', meaning: 'a path inside the tree is empty, absolute or escapes the root' },
  TREE_NAME_TOO_LONG: { exit: 'user', meaning: 'the file system refuses a name or path of the tree as too long' },
  TREE_SYMLINK: { exit: 'data', meaning: 'the tree contains a symbolic link' },
  // CHECKSUMS, verify and the self-test
  CHECKSUMS_MISSING: { exit: 'data', meaning: 'CHECKSUMS cannot be read' },
  CHECKSUMS_EMPTY: { exit: 'data', meaning: 'CHECKSUMS lists no file' },
  CHECKSUMS_MALFORMED: { exit: 'data', meaning: 'a CHECKSUMS line is malformed (or ends in CRLF)' },
  CHECKSUMS_DUPLICATE: { exit: 'data', meaning: 'CHECKSUMS lists a path twice' },
  CHECKSUMS_UNSORTED: { exit: 'data', meaning: 'CHECKSUMS lines are not in path order' },
  CHECKSUMS_PATH_TRAVERSAL: { exit: 'data', meaning: 'a CHECKSUMS path escapes the dump root' },
  CHECKSUMS_SYMLINK_ESCAPE: { exit: 'data', meaning: 'a CHECKSUMS path goes through a symbolic link' },
  CHECKSUMS_UNLISTED_FILE: { exit: 'data', meaning: 'the tree holds files CHECKSUMS does not list' },
  CHECKSUM_MISMATCH: { exit: 'data', meaning: 'a file is missing or its SHA-256 differs from CHECKSUMS' },
  FSM_HEADER_MISMATCH: { exit: 'data', meaning: "a .fsm header's last_commit_ts differs from its encode_info sidecar" },
  FSM_SHA256_MISMATCH: { exit: 'data', meaning: "a .fsm's SHA-256 differs from its encode_info sidecar" },
  SELF_TEST_MISMATCH: { exit: 'data', meaning: 'the encode self-test decoded something other than the input tree' },
  // DynamoDB
  DDB_MALFORMED_KEY: { exit: 'data', meaning: 'a DynamoDB row key is malformed' },
  DDB_INVALID_SCHEMA: { exit: 'data', meaning: 'a DynamoDB table schema row is malformed' },
  DDB_INVALID_ITEM: { exit: 'data', meaning: 'a DynamoDB item row is malformed' },
  DDB_NOT_DIR: { exit: 'data', meaning: 'a DynamoDB path of the tree is not a directory' },
  DDB_ENCODE_NOT_REGULAR: { exit: 'data', meaning: 'a DynamoDB file of the tree is not a regular file' },
  DDB_ENCODE_INVALID_SCHEMA: { exit: 'data', meaning: 'a _schema.json of the tree is invalid' },
  DDB_ENCODE_INVALID_ITEM: { exit: 'data', meaning: 'an item file of the tree is invalid DynamoDB JSON' },
  // Redis
  REDIS_INVALID_KEY: { exit: 'data', meaning: 'a Redis row key is malformed' },
  REDIS_INVALID_META: { exit: 'data', meaning: 'a Redis collection meta row is malformed' },
  REDIS_INVALID_VALUE: { exit: 'data', meaning: 'a Redis string or HyperLogLog value is malformed' },
  REDIS_INVALID_TTL: { exit: 'data', meaning: 'a Redis TTL row is not 8 bytes' },
  REDIS_INVALID_ZSET_MEMBER: { exit: 'data', meaning: 'a sorted-set member row is malformed or has a NaN score' },
  REDIS_INVALID_ZSET_BLOB: { exit: 'data', meaning: 'a legacy sorted-set blob is malformed' },
  REDIS_INVALID_STREAM_ENTRY: { exit: 'data', meaning: 'a stream entry row is malformed' },
  REDIS_NOT_DIR: { exit: 'data', meaning: 'a Redis path of the tree is not a directory' },
  REDIS_BAD_NAME: { exit: 'data', meaning: 'a Redis file name of the tree does not decode to a key' },
  REDIS_MISSING_KEYMAP: { exit: 'data', meaning: 'a shortened Redis file name has no KEYMAP record' },
  REDIS_MULTI_DB_UNSUPPORTED: { exit: 'data', meaning: 'the tree holds a Redis database other than db_0' },
  REDIS_TTL_SIDECAR_INVALID: { exit: 'data', meaning: 'a Redis TTL sidecar file is malformed' },
  REDIS_STREAM_LENGTH_MISMATCH: { exit: 'data', meaning: "a stream's meta row declares another number of entries than the snapshot holds" },
  REDIS_COLLECTION_LENGTH_MISMATCH: { exit: 'data', meaning: "a hash, list, set or sorted set's meta row declares another number of elements than the snapshot holds" },
  REDIS_STREAM_LAST_ID_BEHIND: { exit: 'data', meaning: "a stream's meta row names a last id older than one of its entries" },
  REDIS_ENCODE_INVALID_JSON: { exit: 'data', meaning: 'a Redis collection file of the tree is invalid' },
  // S3
  S3_MALFORMED_KEY: { exit: 'data', meaning: 'an S3 row key is malformed' },
  S3_INVALID_BUCKET_META: { exit: 'data', meaning: 'an S3 bucket metadata row is malformed' },
  S3_INVALID_MANIFEST: { exit: 'data', meaning: 'an S3 object manifest row is malformed' },
  S3_INVALID_CHUNK_REF: { exit: 'data', meaning: 'an S3 chunk reference is malformed' },
  S3_INCOMPLETE_BLOB_CHUNKS: { exit: 'data', meaning: 'an S3 object part is missing chunks or has the wrong size' },
  S3_CHUNKBLOB_HASH_MISMATCH: { exit: 'data', meaning: 'a content-addressed S3 chunk does not match its hash' },
  S3_META_SUFFIX_COLLISION: { exit: 'data', meaning: 'an S3 object key collides with the sidecar suffix (use --rename-collisions)' },
  S3_TREE_NAME_COLLISION: { exit: 'data', meaning: 'two S3 object keys map to clashing dump paths' },
  S3_UNENCODABLE_MODE: { exit: 'data', meaning: 'the S3 dump was made with incomplete uploads, which cannot be encoded' },
  S3_BUCKET_META_MISSING: { exit: 'data', meaning: 'an S3 bucket has objects but no bucket metadata row' },
  S3_NOT_DIR: { exit: 'data', meaning: 'an S3 path of the tree is not a directory' },
  S3_ENCODE_NOT_REGULAR: { exit: 'data', meaning: 'an S3 file of the tree is not a regular file' },
  S3_ENCODE_INVALID_BUCKET: { exit: 'data', meaning: 'a _bucket.json of the tree is invalid' },
  S3_ENCODE_INVALID_MANIFEST: { exit: 'data', meaning: 'an S3 object sidecar of the tree is invalid' },
  S3_ENCODE_INVALID_KEYMAP: { exit: 'data', meaning: 'an S3 KEYMAP record of the tree is invalid' },
  S3_ENCODE_RESERVED_PREFIX_COLLISION: { exit: 'data', meaning: 'an S3 object key collides with a reserved dump directory' },
  // SQS
  SQS_MALFORMED_KEY: { exit: 'data', meaning: 'an SQS row key is malformed' },
  SQS_INVALID_QUEUE_META: { exit: 'data', meaning: 'an SQS queue metadata row is malformed' },
  SQS_INVALID_MESSAGE: { exit: 'data', meaning: 'an SQS message row is malformed' },
  SQS_UNENCODABLE_MODE: { exit: 'data', meaning: 'the SQS dump was made with --preserve-sqs-visibility, which cannot be encoded' },
  SQS_NOT_DIR: { exit: 'data', meaning: 'an SQS path of the tree is not a directory' },
  SQS_INVALID_QUEUE: { exit: 'data', meaning: 'a _queue.json of the tree is invalid' },
  SQS_DUPLICATE_MESSAGE_ID: { exit: 'data', meaning: 'two messages of one queue share a message id' },
  SQS_FIFO_MISSING_GROUP: { exit: 'data', meaning: 'a FIFO queue message has no message group id' },
  SQS_MISSING_PARTITION: { exit: 'data', meaning: 'a partitioned FIFO message has no partition' },
  SQS_PARTITION_OUT_OF_RANGE: { exit: 'data', meaning: "a message's partition is outside the queue's partition count" },
  SQS_PARTITION_HASH_MISMATCH: { exit: 'data', meaning: "a message's partition disagrees with its group id's hash" },
  SQS_PARTITION_ROUTING_MISMATCH: { exit: 'data', meaning: 'a per-queue-throughput FIFO message is not on partition 0' },
  // prepare-restore
  RESTORE_INPUT_INVALID: { exit: 'user', meaning: 'a prepare-restore input is a symlink or not a regular file' },
  RESTORE_IO_FAILED: { exit: 'user', meaning: 'prepare-restore could not read or write a file' },
  RESTORE_PEERS_INVALID: { exit: 'user', meaning: '--peers is malformed, empty or names a node twice' },
  RESTORE_DESTINATION_EXISTS: { exit: 'user', meaning: 'the restore destination (or its temporary directory) already exists' },
  RESTORE_ENCODE_INFO_TOO_LARGE: { exit: 'data', meaning: 'the encode_info sidecar is larger than the limit' },
  RESTORE_COMMIT_TS_ABOVE_HEADER: { exit: 'data', meaning: "an entry's commit_ts is above the header's last_commit_ts" },
  RESTORE_SHA256_MISSING: { exit: 'data', meaning: 'the encode_info sidecar records no output SHA-256' },
  RESTORE_SHA256_MISMATCH: { exit: 'data', meaning: "the .fsm's SHA-256 differs from its encode_info sidecar" },
  RESTORE_KEY_FORMAT_MISMATCH: { exit: 'data', meaning: 'the .fsm was encoded with another key-format version' },
  RESTORE_SELF_TEST_MISSING: { exit: 'data', meaning: 'the .fsm was encoded without a passing self-test' },
  RESTORE_CLUSTER_ID_MISSING: { exit: 'data', meaning: 'the source or target cluster id is missing' },
  RESTORE_CLUSTER_ID_MISMATCH: { exit: 'data', meaning: "the dump's cluster id differs from the target cluster's" },
  RESTORE_HLC_CEILING_OVERFLOW: { exit: 'data', meaning: 'last_commit_ts is too large for the runtime HLC ceiling' },
  RESTORE_PAYLOAD_CHANGED: { exit: 'data', meaning: 'the input changed while it was copied into the restore' },
  // export
  EXPORT_TARGET_URL_INVALID: { exit: 'user', meaning: 'the export target URL is invalid' },
  EXPORT_TARGET_UNREACHABLE: { exit: 'user', meaning: 'the export target cannot be reached or was lost' },
  EXPORT_TARGET_REFUSED: { exit: 'data', meaning: 'the export target refused a record' },
  EXPORT_TARGET_ACCESS_DENIED: { exit: 'user', meaning: 'the export target refused the credentials (standard AWS chain: environment, profile, SSO, instance role)' },
  EXPORT_TARGET_MISSING: { exit: 'user', meaning: 'the bucket, table or queue to export into does not exist (create it, or ask the export to)' },
  // archive
  ARCHIVE_COMPRESSION_UNSUPPORTED: { exit: 'user', meaning: '--compression is neither zstd nor none' },
  ARCHIVE_WRITE_FAILED: { exit: 'user', meaning: 'an archive entry cannot be written to the output (file system error)' },
  ARCHIVE_NON_REGULAR: { exit: 'data', meaning: 'a symlink, hard link, device, FIFO or other non-regular entry in an archive or a tree to pack' },
  ARCHIVE_PATH_UNSAFE: { exit: 'data', meaning: 'an archive entry name is absolute, has a ".." component or names the root as a file' },
  ARCHIVE_NAME_TOO_LONG: { exit: 'data', meaning: 'an archive entry name has a component over 255 bytes or is over 4095 bytes' },
  ARCHIVE_DUPLICATE_ENTRY: { exit: 'data', meaning: 'an archive entry name is used twice, or as both a file and a directory' },
  ARCHIVE_BUDGET_EXCEEDED: { exit: 'data', meaning: 'an archive has more entries or content bytes than --max-entries/--max-bytes' },
  ARCHIVE_CORRUPT: { exit: 'data', meaning: 'the archive is not a valid tar stream (bad header checksum, unrecognised format)' },
  ARCHIVE_TRUNCATED: { exit: 'data', meaning: 'the archive ends inside an entry or without its end-of-archive blocks' },
  ARCHIVE_ZSTD_CORRUPT: { exit: 'data', meaning: 'the archive\'s zstd stream is corrupt' },
  ARCHIVE_ZSTD_TRUNCATED: { exit: 'data', meaning: 'the archive\'s zstd stream ends inside a frame' },
  ARCHIVE_UNCHECKSUMMED_FILE: { exit: 'data', meaning: 'a tree to pack, or an unpacked archive, holds files CHECKSUMS does not list' },
  ARCHIVE_PATH_NOT_UTF8: { exit: 'data', meaning: 'a path of the tree to pack is not valid UTF-8' },
  ARCHIVE_TREE_CHANGED: { exit: 'data', meaning: 'a file of the tree changed while it was being packed' },
  INPUT_UNREADABLE: { exit: 'user', meaning: 'the input cannot be opened' },
  RUN_INTERRUPTED: { exit: 'user', meaning: 'the run was interrupted by a signal; nothing more is published' },
  // offload and S3
  OFFLOAD_KEY_INVALID: { exit: 'user', meaning: 'an object key is empty or escapes the store' },
  OFFLOAD_STORE_IO: { exit: 'user', meaning: 'the local object store cannot be read (file system error, non-regular object)' },
  OFFLOAD_NO_SNAPSHOT: { exit: 'data', meaning: 'the raft data directory holds no persisted snapshot to publish' },
  OFFLOAD_OBJECT_NOT_FOUND: { exit: 'data', meaning: 'a manifest or payload object is not in the store' },
  OFFLOAD_MANIFEST_INVALID: { exit: 'data', meaning: 'a snapshot manifest is malformed, over 1 MiB or fails the reference\'s validation' },
  OFFLOAD_INTEGRITY: { exit: 'data', meaning: 'an object\'s size, SHA-256, checksum, encryption or self-hash does not match' },
  RAFT_DATA_DIR_INVALID: { exit: 'data', meaning: 'the raft data directory\'s WAL, snap or fsm-snap files are inconsistent or damaged' },
  S3_ACCESS_DENIED: { exit: 'user', meaning: 'S3 refused the credentials or the request (check credentials, --s3-profile, bucket policy)' },
  S3_NO_SUCH_BUCKET: { exit: 'user', meaning: 'the S3 bucket does not exist' },
  S3_UNREACHABLE: { exit: 'user', meaning: 'the S3 endpoint cannot be reached' },
  S3_REQUEST_FAILED: { exit: 'user', meaning: 'an S3 request failed for another reason (the message carries the service error)' },
} as const satisfies Readonly<Record<string, ErrorCodeInfo>>;

/** A registered error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

type CodesOf<C extends ExitClass> = { [K in ErrorCode]: (typeof ERROR_CODES)[K]['exit'] extends C ? K : never }[ErrorCode];

/** A registered code of exit class `data` (exit 2): what DataError accepts. */
export type DataErrorCode = CodesOf<'data'>;

/** A registered code of exit class `user` (exit 1): what UserError accepts. */
export type UserErrorCode = CodesOf<'user'>;
