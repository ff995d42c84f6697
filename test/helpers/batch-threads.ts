// Who takes the small-file writer's batches on the calling thread (DiskTreeWriterOptions.digestHereAt), for tests
// that run once per choice: the writer tests digest batches of files from memory, the input-range tests copy
// batches of ranges of the input file.

/** The calling thread always, never (the writer thread takes every batch), or while the writer thread is behind. */
export const BATCH_THREADS = [
  { name: 'the calling thread', digestHereAt: 0 },
  { name: 'the writer thread', digestHereAt: Infinity },
  { name: 'either thread', digestHereAt: undefined },
] as const;
