// The streams a command talks to; injected so commands can be tested without a process.

export interface CliIO {
  /** What an input of `-` reads; absent where there is none (tests). */
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Environment for defaults (e.g. NO_COLOR); commands read nothing else from the process. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const processIO: CliIO = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
};
