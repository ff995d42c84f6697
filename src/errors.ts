// The one error hierarchy of the toolchain.
//
// Every error the library throws on purpose is an EkvError: it carries a stable `code` registered in
// error-codes.ts (which also decides its exit class), and optional context (file path, byte offset, key). The CLI
// maps the exit class to a process exit code in exactly one place (exitCodeFor), following the reference
// encoder's convention: 1 for operator input or environment problems, 2 for data-correctness problems.

import { goQuote } from './bytes/go-quote.ts';
import { ERROR_CODES, type DataErrorCode, type ErrorCode, type UserErrorCode } from './error-codes.ts';

/** What kind of failure an error is, which decides the process exit code. */
export type ExitClass = 'user' | 'data';

/** Where an error was found; rendered in front of the reason in `message`. */
export interface ErrorContext {
  /** File the problem was found in (a path as the user gave it, or relative to a tree root). */
  readonly path?: string;
  /** Absolute byte offset in the input stream where the offending record starts. */
  readonly offset?: number | bigint;
  /** The key involved, as raw bytes; rendered safely (Go %q style) in the message. */
  readonly key?: Uint8Array;
  /** 1-based line number in a text file. */
  readonly line?: number;
}

const BRAND = Symbol.for('elastickv-snapshot.error');

/** Base of every error the library throws on purpose: a stable `code`, an `exitClass` and its context. */
export class EkvError extends Error {
  /** The stable code (see ERROR_CODES). */
  readonly code: ErrorCode;
  /** The code's exit class, from the registry. */
  readonly exitClass: ExitClass;
  /** Where the problem was found. */
  readonly context: ErrorContext;
  /** The bare reason, without the path/offset/key decoration of `message`. */
  readonly reason: string;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, reason: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(formatMessage(reason, context), options);
    const exitClass = ERROR_CODES[code].exit;
    this.name = exitClass === 'data' ? 'DataError' : 'UserError';
    this.code = code;
    this.exitClass = exitClass;
    this.context = context;
    this.reason = reason;
  }
}

/** A problem with the input data (snapshot bytes, tree contents): exit code 2. */
export class DataError extends EkvError {
  constructor(code: DataErrorCode, reason: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, reason, context, options);
  }
}

/** A problem with how the tool was invoked or with its environment: exit code 1. */
export class UserError extends EkvError {
  constructor(code: UserErrorCode, reason: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, reason, context, options);
  }
}

/** Brand check that survives two copies of the library in one process. */
export function isEkvError(err: unknown): err is EkvError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** A thrown value as an Error: itself when it is one, else an Error carrying it as the cause. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown), { cause: thrown });
}

/** The single mapping from an error to a process exit code. */
export function exitCodeFor(err: unknown): 0 | 1 | 2 {
  if (err === undefined || err === null) return 0;
  if (isEkvError(err)) return err.exitClass === 'data' ? 2 : 1;
  return 1;
}

function formatMessage(reason: string, ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.path !== undefined) parts.push(ctx.line !== undefined ? `${ctx.path}:${ctx.line}` : ctx.path);
  if (ctx.offset !== undefined) parts.push(`offset ${ctx.offset}`);
  if (ctx.key !== undefined) parts.push(`key ${quoteBytes(ctx.key)}`);
  return quoteControl(parts.length > 0 ? `${parts.join(', ')}: ${reason}` : reason);
}

// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Escapes control characters in message text (a file name holding a newline must not split a one-line error):
 * `\n`, `\r`, `\t` and `\xHH` / `\uHHHH` for the rest. Other text is left as it is.
 */
export function quoteControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Renders bytes like Go's %q (see bytes/go-quote.ts); long keys are shortened so that an error message stays
 * readable.
 */
export function quoteBytes(bytes: Uint8Array, max = 200): string {
  if (bytes.length <= max) return goQuote(bytes);
  return `${goQuote(bytes.subarray(0, max))}…(${bytes.length} bytes)`;
}
