// Reads a dump-tree file of concatenated JSON values the way Go's json.Decoder loop does (`for dec.More() { Decode }`):
// values separated by any whitespace, usually one per line. Streams line by line, so memory is bounded by the
// largest value; a value may span lines. Errors name the file and the line the value starts on.

import type { DataErrorCode } from '../error-codes.ts';
import { DataError } from '../errors.ts';
import { JsonSyntaxError, parseJsonValues, type JsonValue } from '../json/go-json-read.ts';
import type { TreeReader } from './reader.ts';

/** Longest single value line accepted (SQS messages are at most 256 KiB before JSON and base64). */
const MAX_JSON_LINE = 64 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8');

/**
 * Gathers the lines of a file into JSON values as Go's json.Decoder reads them: a value may span lines, several may
 * share one.
 */
class JsonLines {
  #pending = '';
  #startLine = 0;

  /** The line the value being gathered (or the last one completed) starts on. */
  get startLine(): number {
    return this.#startLine;
  }

  /** Whether no value is partly gathered: the next line starts afresh. */
  get idle(): boolean {
    return this.#pending === '';
  }

  /**
   * Adds a line: the values it completes (none for a blank line), or undefined while a value is still incomplete.
   * Throws the parser's error for malformed JSON.
   */
  push(line: Uint8Array, lineNo: number): JsonValue[] | undefined {
    if (this.#pending === '') this.#startLine = lineNo;
    this.#pending = this.#pending === '' ? utf8.decode(line) : `${this.#pending}\n${utf8.decode(line)}`;
    let values: JsonValue[];
    try {
      values = parseJsonValues(this.#pending);
    } catch (err) {
      const incomplete = err instanceof JsonSyntaxError && err.message.startsWith('unexpected end of JSON input');
      if (incomplete && this.#pending.length <= MAX_JSON_LINE) return undefined;
      throw err;
    }
    this.#pending = '';
    return values;
  }

  /** Whether the file ended inside a value. */
  get truncated(): boolean {
    return this.#pending.trim() !== '';
  }
}

/** What jsonValues yields with a scan: a value the scan read from its line, or a value parsed. */
export type ScannedOrParsed<T> =
  | { readonly scanned: T; readonly value: undefined; readonly line: number }
  | { readonly scanned: undefined; readonly value: JsonValue; readonly line: number };

/**
 * The JSON values of a file, each with the line it starts on; parse errors are `code` errors naming the file and
 * line. With `scan`, a line met while no value is partly gathered is offered to it first: what it returns (a line in
 * a shape it reads in one pass, which must hold exactly the one value the generic parser would read from it) is
 * yielded as `scanned`, and the line is not parsed; on undefined the line is parsed as usual.
 */
export function jsonValues(
  tree: TreeReader,
  rel: string,
  code: DataErrorCode,
  what: string,
): AsyncGenerator<{ readonly value: JsonValue; readonly line: number }>;
export function jsonValues<T>(
  tree: TreeReader,
  rel: string,
  code: DataErrorCode,
  what: string,
  scan: (line: Buffer) => T | undefined,
): AsyncGenerator<ScannedOrParsed<T>>;
export async function* jsonValues<T>(
  tree: TreeReader,
  rel: string,
  code: DataErrorCode,
  what: string,
  scan?: (line: Buffer) => T | undefined,
): AsyncGenerator<ScannedOrParsed<T> | { readonly value: JsonValue; readonly line: number }> {
  const gather = new JsonLines();
  for await (const { line, lineNo } of tree.lines(rel, MAX_JSON_LINE)) {
    if (scan !== undefined && gather.idle) {
      const scanned = scan(line);
      if (scanned !== undefined) {
        yield { scanned, value: undefined, line: lineNo };
        continue;
      }
    }
    let values: JsonValue[] | undefined;
    try {
      values = gather.push(line, lineNo);
    } catch (err) {
      throw new DataError(code, `${what}: ${(err as Error).message}`, { path: rel, line: gather.startLine });
    }
    if (values !== undefined) for (const value of values) yield { scanned: undefined, value, line: gather.startLine };
  }
  if (gather.truncated) throw new DataError(code, `${what}: unexpected end of JSON input`, { path: rel, line: gather.startLine });
}
