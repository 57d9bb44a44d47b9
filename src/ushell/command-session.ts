// The part of a session that its commands use.
import type { CommandRegistry } from './command-registry';
import type { ShellContext } from './context';

export type SessionKind = 'telnet' | 'local';

export interface ShellSessionInfo {
  /** "rsh0".."rsh7" for telnet sessions, "lsh0" for the terminal. */
  name: string;
  kind: SessionKind;
  /** "address:port" of a telnet client; absent for the terminal. */
  peer?: string;
  startedAt: Date;
}

export interface CommandSession {
  readonly context: ShellContext;
  readonly registry: CommandRegistry;
  readonly info: ShellSessionInfo;
  /** Aborted when the user presses ^C or the session closes; long commands check it. */
  readonly signal: AbortSignal;
  /** Writes text ("\n" becomes CR LF) or bytes; returns false when the client should be waited for. */
  write(data: string | Buffer): boolean;
  /** Writes one line. */
  print(line?: string): void;
  /** Resolves when the output has room again (or the session closed). */
  drained(): Promise<void>;
  /** Runs another command with its arguments (for time, repeat, xargs); returns its exit status. */
  execute(words: readonly string[]): Promise<number>;
  /** Waits `ms`; resolves false when aborted first. */
  sleep(ms: number): Promise<boolean>;
  /** Ends the session after the current command. */
  exit(): void;
  /** Every open session of the shell. */
  sessions(): ShellSessionInfo[];
}
