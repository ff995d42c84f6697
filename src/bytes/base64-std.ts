// Go's base64.StdEncoding both ways, as encoding/json uses it for []byte. Encoding is Node's. Decoding: padding is
// mandatory, the url-safe alphabet is refused, `\r` and `\n` anywhere are skipped, non-zero unused trailing bits are
// accepted. Node's Buffer.from(s, 'base64') accepts far more and must not be used to validate.

import { asBuffer } from './as-buffer.ts';

/** Go's base64.StdEncoding.EncodeToString (what encoding/json writes for []byte); nothing is copied. */
export const encodeStdBase64 = (bytes: Uint8Array): string => asBuffer(bytes).toString('base64');

const STD_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The decoded bytes, or undefined when Go would refuse the text. */
export function decodeStdBase64(text: string): Buffer | undefined {
  const s = text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]/g, '') : text;
  // Canonical text (what Go's encoder writes) decodes and re-encodes to itself: no need for the pattern.
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64') === s) return bytes;
  return STD_PADDED.test(s) ? bytes : undefined;
}
