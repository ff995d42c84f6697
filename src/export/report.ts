// What an export did, for the final report line and `--json`.

export interface ExportReport {
  /** e.g. `redis`, `resp`, `dynamodb-export`. */
  readonly target: string;
  /** Where it went, without credentials. */
  readonly destination: string;
  readonly dryRun: boolean;
  /** Records written (or that would be written). */
  records: number;
  /** Payload bytes written (keys, values, field names; protocol framing excluded). */
  bytes: number;
  /** Records the filter left out (tree inputs; an `.fsm` input leaves them out while decoding). */
  filtered: number;
  /** Records left out by `--expired skip`. */
  expired: number;
  /** Records the target cannot hold (e.g. an empty Redis collection), with the reason counted once each. */
  unrepresentable: number;
  /** Records the target refused (the export stops at the first one). */
  failures: number;
}

export function newReport(target: string, destination: string, dryRun: boolean): ExportReport {
  return {
    target,
    destination,
    dryRun,
    records: 0,
    bytes: 0,
    filtered: 0,
    expired: 0,
    unrepresentable: 0,
    failures: 0,
  };
}

export function summarizeReport(r: ExportReport, secs: number): string {
  const parts = [`records=${r.records}`, `bytes=${r.bytes}`, `failures=${r.failures}`];
  if (r.filtered > 0) parts.push(`filtered=${r.filtered}`);
  if (r.expired > 0) parts.push(`expired_skipped=${r.expired}`);
  if (r.unrepresentable > 0) parts.push(`unrepresentable=${r.unrepresentable}`);
  return `${r.dryRun ? 'dry run: would export' : 'exported'} to ${r.target} ${r.destination}: ${parts.join(' ')} in ${secs.toFixed(1)}s`;
}
