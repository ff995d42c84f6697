// `verify`: formats what pipeline/verify.ts finds: one line per problem (like `sha256sum -c`), then a count;
// or one JSON document with --json. Exit 2 when there is any problem.

import { DataError, quoteControl, UserError } from '../../errors.ts';
import { goMarshal } from '../../json/go-json.ts';
import { verifyPath, type VerifyProblem, type VerifyResult } from '../../pipeline/verify.ts';
import { commandFlags } from '../command.ts';
import { flagBool, flagString, renderHelp, type FlagSpecs } from '../go-flags.ts';
import type { CliIO } from '../io.ts';
import { humanBytes, startProgress } from '../progress.ts';
import { JSON_FLAG } from '../summary.ts';

const VERIFY_FLAGS: FlagSpecs = {
  input: { type: 'string', value: 'PATH', help: 'dump root (directory) or .fsm file (required)' },
  json: { ...JSON_FLAG, help: 'print the result (every problem, the count) as one JSON document on stdout' },
  quiet: { type: 'bool', help: 'no progress display' },
};

export function verifyHelp(prog: string): string {
  return renderHelp(
    `${prog} --input DIR|FILE.fsm [--json]`,
    'Verifies a dump tree against MANIFEST.json and CHECKSUMS (and finds files CHECKSUMS does not list), or reads a\n.fsm end to end and checks it against its <file>.encode_info.json when present. Reports every problem, one per\nline, then how many; exit 2 when there is any.',
    VERIFY_FLAGS,
  );
}

export async function verifyCommand(args: readonly string[], io: CliIO, prog: string): Promise<number> {
  const flags = commandFlags(args, VERIFY_FLAGS, io, () => verifyHelp(prog));
  if (flags === undefined) return 0;
  const input = flagString(flags, 'input');
  if (input === '') throw new UserError('FLAG_INVALID', '--input is required');
  const progress = startProgress(io, flagBool(flags, 'quiet'), 'verify');
  let result: VerifyResult;
  try {
    result = await verifyPath(input, {
      onProgress: (done, total) => {
        if (total > 0) progress.update('read', done, total, 'bytes');
        else progress.update('checksums', done, 0, 'files');
      },
    });
  } finally {
    progress.stop();
  }
  if (flagBool(flags, 'json')) {
    io.stdout.write(
      `${goMarshal(
        {
          input,
          kind: result.kind,
          ok: result.problemCount === 0,
          checked: BigInt(result.checked),
          sha256: result.sha256,
          sidecar:
            result.sidecar === undefined
              ? undefined
              : { path: result.sidecar.path, self_test: result.sidecar.selfTest },
          problem_count: BigInt(result.problemCount),
          problems: result.problems.map((p) => ({ code: p.code, path: p.path, message: p.message })),
        },
        { escapeHTML: false, indent: true },
      )}\n`,
    );
    return result.problemCount === 0 ? 0 : 2;
  }
  if (result.problemCount === 0) {
    io.stdout.write(
      result.kind === 'tree'
        ? `OK: ${quoteControl(input)}: MANIFEST.json valid, ${result.checked} files match CHECKSUMS, no unlisted files\n`
        : `OK: ${quoteControl(input)}: ${result.container?.kind}, ${result.checked} entries, ${humanBytes(result.container?.totalBytes ?? 0)}, sha256 ${result.sha256}; ${
            result.sidecar === undefined ? 'no encode_info sidecar' : `matches ${result.sidecar.path} (self_test ${result.sidecar.selfTest})`
          }\n`,
    );
    return 0;
  }
  for (const p of result.problems) io.stdout.write(`FAILED [${p.code}]: ${quoteControl(p.message)}\n`);
  if (result.problemCount > result.problems.length) io.stdout.write(`… and ${result.problemCount - result.problems.length} more\n`);
  const what = result.kind === 'tree' ? `${result.checked} files listed in CHECKSUMS` : `${result.checked} entries`;
  const first = result.problems[0] as VerifyProblem;
  throw new DataError(first.code, `${result.problemCount} problem${result.problemCount === 1 ? '' : 's'} found (${what} checked)`, { path: input });
}
