// Record filters: `--include` / `--exclude` clauses over adapter scopes and user keys, used by decode, inspect
// and export. A clause is `ADAPTER[:FIELD=PATTERN,...]`, e.g. `redis:type=hash,key=user:*`,
// `dynamodb:table=orders`, `s3:bucket=photos,key=re:^2026/`, `sqs:queue=*.fifo`. Each adapter names its fields
// (Adapter.filter): its scope field (db, table, bucket or queue), `key` where rows carry a user key, `type`
// where records have types. A record is kept when no include clause is given or one matches, and no exclude
// clause matches. A field a row does not tell (a TTL row's type, a content-addressed chunk's bucket) neither
// includes nor excludes it: such rows go to the adapter, which drops what no kept record references.

import type { Adapter, RowScope } from '../adapters/adapter.ts';
import type { AdapterName } from '../adapters/registry.ts';
import { UserError } from '../errors.ts';
import { parseBytePattern, type BytePattern } from './byte-pattern.ts';

interface FieldTest {
  readonly field: 'scope' | 'type' | 'key';
  readonly pattern: BytePattern;
}

interface Clause {
  readonly adapter: AdapterName;
  readonly tests: readonly FieldTest[];
}

/** What MANIFEST.json records of a filter (extension `filter`). */
export interface FilterDescription {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

const bad = (clause: string, why: string): UserError => new UserError('FILTER_INVALID', `filter ${JSON.stringify(clause)}: ${why}`);

function parseClause(text: string, adapters: readonly Adapter[]): Clause {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const adapter = adapters.find((a) => a.name === name);
  if (adapter === undefined) throw bad(text, `unknown adapter ${JSON.stringify(name)} (one of ${adapters.map((a) => a.name).join(', ')})`);
  const vocab = adapter.filter;
  const fields = [vocab.scopeField, ...(vocab.keyed ? ['key'] : []), ...(vocab.types !== undefined ? ['type'] : [])];
  const tests: FieldTest[] = [];
  if (colon >= 0) {
    // Split before every `<field>=` so that patterns may contain commas (`re:a{1,3}`).
    const body = text.slice(colon + 1);
    const parts = body.split(new RegExp(`,(?=(?:${fields.join('|')})=)`));
    for (const part of parts) {
      const eq = part.indexOf('=');
      const field = eq < 0 ? part : part.slice(0, eq);
      if (eq < 0 || !fields.includes(field)) throw bad(text, `expected ${fields.map((f) => `${f}=PATTERN`).join(', ')} after "${name}:"`);
      const value = part.slice(eq + 1);
      if (field === 'type' && !value.startsWith('re:') && !/[*?[\\]/.test(value) && !(vocab.types ?? []).includes(value)) {
        throw bad(text, `unknown ${name} type ${JSON.stringify(value)} (one of ${(vocab.types ?? []).join(', ')})`);
      }
      tests.push({ field: field === vocab.scopeField ? 'scope' : (field as 'type' | 'key'), pattern: parseBytePattern(value) });
    }
  }
  return { adapter: adapter.name, tests };
}

/**
 * Whether a clause matches a row. A field the row does not tell counts as `unknown`: include clauses let it
 * through, exclude clauses do not take it.
 */
function matches(c: Clause, adapter: AdapterName, row: RowScope | undefined, unknown: boolean): boolean {
  if (c.adapter !== adapter) return false;
  for (const t of c.tests) {
    const v = row === undefined ? undefined : t.field === 'type' ? (row.type === undefined ? undefined : Buffer.from(row.type)) : row[t.field];
    if (v === undefined) {
      if (!unknown) return false;
      continue;
    }
    if (!t.pattern.test(v)) return false;
  }
  return true;
}

export class RecordFilter {
  readonly #include: readonly Clause[];
  readonly #exclude: readonly Clause[];
  readonly description: FilterDescription;

  private constructor(include: readonly Clause[], exclude: readonly Clause[], description: FilterDescription) {
    this.#include = include;
    this.#exclude = exclude;
    this.description = description;
  }

  /** Parses the clauses; undefined when there are none (no filtering). */
  static parse(
    include: readonly string[],
    exclude: readonly string[],
    adapters: readonly Adapter[],
  ): RecordFilter | undefined {
    if (include.length === 0 && exclude.length === 0) return undefined;
    return new RecordFilter(
      include.map((t) => parseClause(t, adapters)),
      exclude.map((t) => parseClause(t, adapters)),
      { include: [...include], exclude: [...exclude] },
    );
  }

  /** Whether any record of `adapter` can be kept (lets callers skip a whole adapter). */
  admitsAdapter(adapter: AdapterName): boolean {
    if (this.#include.length > 0 && !this.#include.some((c) => c.adapter === adapter)) return false;
    return !this.#exclude.some((c) => c.adapter === adapter && c.tests.length === 0);
  }

  /** Whether a row (or a record read from a tree) of `adapter` with this scope is kept. */
  accepts(adapter: AdapterName, row: RowScope | undefined): boolean {
    if (this.#include.length > 0 && !this.#include.some((c) => matches(c, adapter, row, true))) return false;
    return !this.#exclude.some((c) => matches(c, adapter, row, false));
  }
}
