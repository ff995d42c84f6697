// Entry point of every command-line program; the only place that turns errors into exit codes.

import { closest, distance } from 'fastest-levenshtein';
import type { Adapter } from '../adapters/adapter.ts';
import { ALL_ADAPTERS } from '../adapters/registry.ts';
import { exitCodeFor, isEkvError, quoteControl } from '../errors.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { processIO, type CliIO } from './io.ts';
import { markInterrupted, removeTrackedTemps } from '../tree/temp-paths.ts';
import { codedSystemError } from './system-error.ts';

type Command = (args: readonly string[], io: CliIO, prog: string, adapters: readonly Adapter[]) => Promise<number>;
type Help = (prog: string, adapters: readonly Adapter[]) => string;

/**
 * Each command's module is imported when that command runs (or its help is asked for): a command loads only the
 * dependencies it uses (decode and encode of local files load neither the AWS SDK, nor a database client, nor tar).
 */
const SUBCOMMANDS: Readonly<
  Record<string, { load: () => Promise<{ run: Command; help: Help }>; summary: string }>
> = {
  decode: {
    load: async () => {
      const m = await import('./commands/decode.ts');
      return { run: m.decodeCommand, help: m.decodeHelp };
    },
    summary: '.fsm snapshot -> dump tree',
  },
  encode: {
    load: async () => {
      const m = await import('./commands/encode.ts');
      return { run: m.encodeCommand, help: m.encodeHelp };
    },
    summary: 'dump tree -> .fsm snapshot (with --self-test)',
  },
  inspect: {
    load: async () => {
      const m = await import('./commands/inspect.ts');
      return { run: m.inspectCommand, help: m.inspectHelp };
    },
    summary: 'summarise a snapshot without decoding it',
  },
  export: {
    load: async () => {
      const m = await import('./commands/export.ts');
      return { run: m.exportCommand, help: m.exportHelp };
    },
    summary: 'dump tree or .fsm -> a live system or a standard file format',
  },
  verify: {
    load: async () => {
      const m = await import('./commands/verify.ts');
      return { run: m.verifyCommand, help: m.verifyHelp };
    },
    summary: 'check a dump tree against CHECKSUMS, or a .fsm against its sidecar',
  },
  'prepare-restore': {
    load: async () => {
      const m = await import('./commands/prepare-restore.ts');
      return { run: m.prepareRestoreCommand, help: m.prepareRestoreHelp };
    },
    summary: 'encoded .fsm -> fresh raft data directory a stopped node boots from',
  },
  restore: {
    load: async () => {
      const m = await import('./commands/restore.ts');
      return { run: m.restoreCommand, help: m.restoreHelp };
    },
    summary: 'dump tree or encoded .fsm -> raft data directory, in one step',
  },
  archive: {
    load: async () => {
      const m = await import('./commands/archive.ts');
      return { run: m.archiveCommand, help: m.archiveHelp };
    },
    summary: 'pack a dump tree as tar/tar+zstd, or unpack one safely',
  },
  offload: {
    load: async () => {
      const m = await import('./commands/offload.ts');
      return { run: m.offloadCommand, help: m.offloadHelp };
    },
    summary: "publish a node's persisted snapshot to an object store (local or S3), or restore one",
  },
};

function topHelp(prog: string): string {
  const rows = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(17)}${c.summary}`);
  return `elastickv-snapshot ${PACKAGE_VERSION}: take elastickv snapshots apart and put them back together.

Usage: ${prog} <command> [flags]

Commands:
${rows.join('\n')}
  help             show help for a command: ${prog} help decode

Flags: --version prints the version; -h, --help this help.

Drop-in replacements for the reference tools: elastickv-snapshot-decode, elastickv-snapshot-encode,
elastickv-snapshot-prepare-restore, elastickv-snapshot-archive,
elastickv-snapshot-offload.
Exit codes: 0 success, 1 usage or environment error, 2 data-correctness error.
`;
}

/**
 * Runs a command line; returns the exit code. `tool` is the program name the user invoked; `adapters` defaults
 * to every adapter of this build (tests substitute their own).
 */
export async function run(
  tool: string,
  args: readonly string[],
  io: CliIO = processIO,
  adapters: readonly Adapter[] = ALL_ADAPTERS,
): Promise<number> {
  let prog = tool;
  try {
    if (tool === 'elastickv-snapshot-decode')
      return await (await import('./commands/decode.ts')).decodeCommand(args, io, tool, adapters);
    if (tool === 'elastickv-snapshot-encode')
      return await (await import('./commands/encode.ts')).dropInEncodeCommand(args, io, tool, adapters);
    if (tool === 'elastickv-snapshot-prepare-restore')
      return await (await import('./commands/prepare-restore.ts')).prepareRestoreCommand(args, io, tool);
    if (tool === 'elastickv-snapshot-archive')
      return await (await import('./commands/archive.ts')).archiveCommand(args, io, tool);
    if (tool === 'elastickv-snapshot-offload')
      return await (await import('./commands/offload.ts')).offloadCommand(args, io, tool);
    const [sub, ...rest] = args;
    if (sub === undefined) {
      // No command at all: the help goes to stderr with a usage error; asked for, it goes to stdout.
      io.stderr.write(topHelp(tool));
      return 1;
    }
    if (sub === 'help' || sub === '--help' || sub === '-h' || sub === '-help') {
      const target = sub === 'help' ? rest[0] : undefined;
      if (target === undefined) {
        io.stdout.write(topHelp(tool));
        return 0;
      }
      const cmd = SUBCOMMANDS[target];
      if (cmd === undefined) {
        io.stderr.write(`${tool}: unknown command ${JSON.stringify(target)}\n\n${topHelp(tool)}`);
        return 1;
      }
      io.stdout.write((await cmd.load()).help(`${tool} ${target}`, adapters));
      return 0;
    }
    if (sub === '--version' || sub === '-version' || sub === 'version') {
      io.stdout.write(`${PACKAGE_VERSION}\n`);
      return 0;
    }
    const cmd = SUBCOMMANDS[sub];
    if (cmd === undefined) {
      const near = closest(sub, Object.keys(SUBCOMMANDS));
      const hint = distance(sub, near) <= 2 ? `; did you mean ${near}?` : '';
      io.stderr.write(`${tool}: unknown command ${JSON.stringify(sub)}${hint}\n\n${topHelp(tool)}`);
      return 1;
    }
    prog = `${tool} ${sub}`;
    return await (await cmd.load()).run(rest, io, prog, adapters);
  } catch (thrown) {
    const err = codedSystemError(thrown) ?? thrown;
    const code = exitCodeFor(err);
    // A failure caused by the interrupt's cleanup: the signal handler reports it.
    if (interruptedBy !== undefined) return code === 0 ? 1 : code;
    const label = isEkvError(err) ? ` [${err.code}]` : '';
    const text = quoteControl(err instanceof Error ? err.message : String(err));
    io.stderr.write(`${prog}: error${label}: ${text}\n`);
    if (thrown instanceof Error && io.env['ELASTICKV_SNAPSHOT_DEBUG'] !== undefined)
      io.stderr.write(`${thrown.stack ?? ''}\n`);
    return code === 0 ? 1 : code;
  }
}

/** The signal that interrupted this process, once one has. */
let interruptedBy: NodeJS.Signals | undefined;

/** Delay between the two sweeps of temporary files after an interrupt (see removeTrackedTemps). */
const INTERRUPT_SETTLE_MS = 100;

/**
 * For bin scripts: run, then exit with the code. An interrupt removes the run's temporary files, lets operations
 * already under way settle for a moment, removes them again and ends the process by that signal (exit status
 * 128+signal), whatever the run is doing.
 */
export async function main(tool: string, adapters?: readonly Adapter[]): Promise<never> {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      interruptedBy = signal;
      markInterrupted();
      const removed = removeTrackedTemps();
      setTimeout(() => {
        // The second sweep also counts: a temporary made just before the signal may be tracked only after it.
        const more = removeTrackedTemps();
        process.stderr.write(`\n${tool}: interrupted by ${signal}${removed + more > 0 ? '; temporary files removed' : ''}\n`);
        // Die of the signal itself (the handler is gone, so its default action applies): the parent sees 128+signal,
        // and unlike process.exit this cannot wait on a worker thread stuck in a system call (a pipe with no writer).
        process.kill(process.pid, signal);
        process.exit(code);
      }, INTERRUPT_SETTLE_MS);
    });
  }
  const code = await run(tool, process.argv.slice(2), processIO, adapters);
  if (interruptedBy !== undefined) await new Promise(() => undefined); // the interrupt handler exits
  process.exit(code);
}
