// The public library API of elastickv-snapshot: everything a program may import from 'elastickv-snapshot'.
// Anything not re-exported here is internal and may change without notice. Each declaration carries its TSDoc
// where it is defined.

/**
 * Decode and encode whole snapshots: `.fsm` → dump tree and dump tree → `.fsm`, byte-compatible with the
 * reference Go tools.
 */
export {
  decodeSnapshot,
  DEFAULT_MEMORY_BUDGET,
  type DecodeSnapshotOptions,
  type DecodeResult,
  type DecodeCounters,
  type DecodeProgress,
} from './pipeline/decode.ts';
/** `decode --salvage`: where refused rows (one by one, or of a damaged unit) are set apart, and their counts. */
export { QUARANTINE_FILE, type QuarantineSummary } from './pipeline/quarantine.ts';
/** One memory budget shared by the external sorters of a run (`memoryPool` of decode). */
export { MemoryPool, type PoolHolder } from './sort/memory-pool.ts';
export {
  encodeSnapshot,
  planEncode,
  type EncodeSnapshotOptions,
  type EncodeResult,
  type EncodeProgress,
  type EncodePlan,
} from './pipeline/encode.ts';
export {
  inspectSnapshot,
  type InspectOptions,
  type InspectResult,
  type AdapterStats,
  type KindStats,
  type LargestRow,
  type DecodedTreePrediction,
  type AdapterTreePrediction,
} from './pipeline/inspect.ts';
export {
  verifyPath,
  verifyTree,
  verifyFsm,
  type VerifyOptions,
  type VerifyResult,
  type VerifyProblem,
} from './pipeline/verify.ts';

/** The `.fsm` container, row by row: a streaming reader, a streaming writer, the MVCC codec and version policy. */
export {
  SnapshotReader,
  type SnapshotReaderOptions,
  type SnapshotHeader,
  type RuntimeHeader,
  type SnapshotEntry,
  type OperationalRow,
  type SnapshotRecord,
  type ContainerInfo,
  type ContainerKind,
  type DeferValues,
} from './snapshot/reader.ts';
/** A large value left in the snapshot file (SnapshotReaderOptions.deferValues, AdapterDecoder.handle's `rest`). */
export { InputRange, type InputFile } from './snapshot/input-range.ts';
export type { SkippableFile } from './snapshot/input.ts';
export { SnapshotWriter, type ByteSink } from './snapshot/writer.ts';
export { encodeMvccKey, encodeMvccValue, commitTsOf } from './snapshot/mvcc.ts';
export { VersionResolver, type VersionPolicy, type VersionStats } from './snapshot/versions.ts';

/** The adapter set: the four built-in adapters and the contract they fulfil. */
export { ALL_ADAPTERS } from './adapters/registry.ts';
export { redisAdapter } from './adapters/redis/index.ts';
export { dynamodbAdapter } from './adapters/dynamodb/index.ts';
export { s3Adapter } from './adapters/s3/index.ts';
export { sqsAdapter } from './adapters/sqs/index.ts';
export {
  DEFAULT_DECODE_SWITCHES,
  type Adapter,
  type AdapterDecoder,
  type AdapterFlag,
  type AdapterFlagValues,
  type AdapterModes,
  type AdapterOptions,
  type ManifestModes,
  type DecodeContext,
  type DecodeSwitches,
  type EncodeContext,
  type EncodeSwitches,
  type ExpiredPolicy,
  type RouteSpec,
  type WarnSink,
  type KindCounts,
  type TreeCounts,
  type TreePrediction,
} from './adapters/adapter.ts';
export { DECODE_ORDER, ENCODE_ORDER, type AdapterName } from './adapters/registry.ts';

/** The dump tree's MANIFEST.json, as decode writes it and encode reads it. */
export { type Manifest, type AdapterScope, type Exclusions } from './tree/manifest.ts';

/** Restore: an encoded payload → a fresh raft data directory a stopped node boots from (prepare-restore). */
export { prepareRestore, precheckRestoreTarget, type PrepareRestoreOptions, type PrepareRestoreResult } from './restore/prepare.ts';
export { type ClusterChecks } from './restore/validate.ts';
export { parsePeers, type Peer } from './restore/peers.ts';

/**
 * Archives: a dump tree ↔ a tar or tar+zstd stream (`archive pack|unpack`, interoperable with the reference's
 * tool), and decode straight to an archive.
 */
export { packTree, type Compression, type PackOptions, type PackResult } from './archive/pack.ts';
export { unpackArchive, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES, type UnpackOptions, type UnpackResult } from './archive/unpack.ts';
export { decodeToArchive, withUnpackedArchive, type DecodeToArchiveOptions, type DecodeToArchiveResult } from './pipeline/archive-direct.ts';

/** Offload: a node's persisted snapshot → an object store (local or S3) and back (`offload publish|restore`). */
export { publishSnapshot, type PublishOptions, type PublishResult } from './offload/publish.ts';
export { restoreSnapshot, type RestoreOptions, type RestoreResult } from './offload/restore.ts';
export { LocalStore, type ObjectStore, type ObjectInfo, type PutOptions, type PutSource } from './offload/store.ts';
export { S3Store, type S3Options, type S3StoreConfig } from './offload/s3-store.ts';
export { type S3Sse } from './offload/s3-config.ts';
export { type OffloadManifest } from './offload/manifest.ts';

/** Errors: every error thrown on purpose is an EkvError with a stable code and an exit class. */
export { EkvError, DataError, UserError, isEkvError, exitCodeFor, type ErrorContext, type ExitClass } from './errors.ts';
export {
  ERROR_CODES,
  type ErrorCode,
  type ErrorCodeInfo,
  type DataErrorCode,
  type UserErrorCode,
} from './error-codes.ts';

/** This package's version, as written into encode-info sidecars. */
export { PACKAGE_VERSION } from './version.ts';
