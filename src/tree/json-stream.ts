// Reads a dump-tree file of concatenated JSON values the way Go's json.Decoder loop does (`for dec.More() { Decode }`):
// values separated by any whitespace, usually one per line. Streams line by line, so memory is bounded by the
// largest value; a value may span lines. Errors name the file and the line the value starts on.

import type { DataErrorCode } from '../error-codes.ts';
import { DataError } from '../errors.ts';
import { JsonSyntaxError, parseJsonValues, type JsonValue } from '../json/go-json-read.ts';
import type { TreeReader } from './reader.ts';

/** Longest single message line accepted (SQS messages are at most 256 KiB before JSON and base64). */
const MAX_JSON_LINE = 64 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8');

export async function* jsonValues(
  tree: TreeReader,
  rel: string,
  code: DataErrorCode,
  what: string,
): AsyncGenerator<{ readonly value: JsonValue; readonly line: number }> {
  let pending = '';
  let startLine = 0;
  for await (const { line, lineNo } of tree.lines(rel, MAX_JSON_LINE)) {
    if (pending === '') startLine = lineNo;
    pending = pending === '' ? utf8.decode(line) : `${pending}\n${utf8.decode(line)}`;
    let values: JsonValue[];
    try {
      values = parseJsonValues(pending);
    } catch (err) {
      if (
        err instanceof JsonSyntaxError &&
        err.message.startsWith('unexpected end of JSON input') &&
        pending.length <= MAX_JSON_LINE
      )
        continue;
      throw new DataError(code, `${what}: ${(err as Error).message}`, { path: rel, line: startLine });
    }
    pending = '';
    for (const value of values) yield { value, line: startLine };
  }
  if (pending.trim() !== '')
    throw new DataError(code, `${what}: unexpected end of JSON input`, { path: rel, line: startLine });
}
