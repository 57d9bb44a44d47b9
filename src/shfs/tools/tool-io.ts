// The streams, terminal facts and cancel signal a tool uses, passed in so
// that tests run the tools in-process with buffers and their own signal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ShfsError } from '../errors';
import { UsageError } from './command-line';

export interface ToolIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Aborted when the user interrupts (SIGINT); commands stop at the next safe point. */
  signal: AbortSignal;
  /** Name used in messages, e.g. "shfs_admin". */
  program: string;
}

export const EXIT_SUCCESS = 0;
export const EXIT_FAILURE = 1;
/** 128 + SIGINT, as shells report a command stopped by ^C. */
export const EXIT_INTERRUPTED = 130;

export function processToolIO(program: string, signal: AbortSignal): ToolIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    signal,
    program,
  };
}

/** Fills in process streams and a never-aborted signal for what `io` leaves out. */
export function completeToolIO(program: string, io: Partial<ToolIO> = {}): ToolIO {
  return { ...processToolIO(program, new AbortController().signal), stdinIsTTY: false, stderrIsTTY: false, ...io };
}

export function printError(io: ToolIO, message: string): void {
  io.stderr.write(`${io.program}: ${message}\n`);
}

/** The version line of the tools: the package version and the SHFS format version. */
export function versionText(program: string): string {
  let version = 'unknown';
  try {
    const packageFile = path.resolve(__dirname, '..', '..', '..', '..', 'package.json');
    version = (JSON.parse(fs.readFileSync(packageFile, 'utf8')) as { version: string }).version;
  } catch {
    // A copy of the tools without package.json still prints the format version.
  }
  return `${program} (MiniCache for Linux) ${version}, SHFS format 2.01\n`;
}

/**
 * Prints the help or the version when the command line asks for one and
 * returns the exit status; returns undefined when the tool should go on.
 */
export function printHelpOrVersion(io: ToolIO, invocation: { help: boolean; version: boolean }, usageText: string): number | undefined {
  if (invocation.help) {
    io.stdout.write(usageText);
    return EXIT_SUCCESS;
  }
  if (invocation.version) {
    io.stdout.write(versionText(io.program));
    return EXIT_SUCCESS;
  }
  return undefined;
}

/** Tells whether an error is one the tools report in one line (bad input, device errors) rather than a bug. */
export function isExpectedError(error: unknown): error is Error {
  if (error instanceof ShfsError || error instanceof UsageError) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/**
 * Runs a tool's main() as the process: argv from the command line, ^C
 * turned into a cancel signal, the exit status set, and unexpected errors
 * reported in one line (with the stack only when MINICACHE_DEBUG is set).
 */
export function runTool(program: string, main: (argv: string[], io: ToolIO) => Promise<number>): void {
  const controller = new AbortController();
  const io = processToolIO(program, controller.signal);
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    io.stderr.write(`${program}: interrupted; stopping at the next safe point (press ^C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  main(process.argv.slice(2), io).then(
    (status) => {
      process.exitCode = status;
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      printError(io, isExpectedError(error) ? message : `internal error: ${message}`);
      if (process.env.MINICACHE_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
      process.exitCode = EXIT_FAILURE;
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    },
  );
}
