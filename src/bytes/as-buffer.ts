// A Buffer over the same bytes as a Uint8Array (rows, sorted records, buffers handed back by a worker thread arrive
// as plain Uint8Arrays): the array itself when it is a Buffer already, else a view; nothing is copied.

/** A Buffer over `b`'s bytes: `b` itself when it is one, else a view of the same memory. */
export const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
