// The summary every command ends with: one line on stderr for people, or with --json one JSON document on
// stdout for scripts (the same facts, phase times included).

import { quoteControl } from '../errors.ts';
import { goMarshal, type GoJson, type GoStruct } from '../json/go-json.ts';
import type { FlagSpec } from './go-flags.ts';
import type { CliIO } from './io.ts';
import { phaseSummary, type PhaseTime } from './progress.ts';

export const JSON_FLAG: FlagSpec = { type: 'bool', help: 'print the summary as one JSON document on stdout instead of a line on stderr' };

/** Phase times as JSON: [{"name": "read", "seconds": 1.25}, …]. */
function phasesJson(phases: readonly PhaseTime[]): GoJson {
  return phases.map((p) => ({ name: p.name, seconds: Math.round(p.seconds * 1000) / 1000 }));
}

/** Writes the summary: `doc` as JSON on stdout when `json`, else `line` and the phase times on stderr. */
export function writeSummary(
  io: CliIO,
  json: boolean,
  line: string,
  doc: GoStruct,
  phases: readonly PhaseTime[],
): void {
  if (json) {
    io.stdout.write(`${goMarshal({ ...doc, phases: phasesJson(phases) }, { escapeHTML: false, indent: true })}\n`);
    return;
  }
  const shown = quoteControl(line); // paths may hold control bytes; the summary stays one line
  io.stderr.write(phases.length > 1 ? `${shown}; phases: ${phaseSummary(phases)}\n` : `${shown}\n`);
}
