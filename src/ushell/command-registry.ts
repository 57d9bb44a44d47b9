// The commands a µShell session can run, by name.
import type { CommandSession } from './command-session';

/** Exit status of a command that succeeded. */
export const EXIT_SUCCESS = 0;
/** Exit status of a command that failed; its message is already printed. */
export const EXIT_FAILURE = 1;

export interface ShellCommand {
  name: string;
  /** One line for `help`. */
  summary: string;
  /** Synopsis, e.g. "cat OBJECT...". */
  usage: string;
  /**
   * Runs the command with the words after its name. Returns the exit status
   * (nothing means success). A thrown error is printed as "name: message".
   */
  run(args: readonly string[], session: CommandSession): number | void | Promise<number | void>;
}

const COMMAND_NAME = /^[a-z][a-z0-9-]*$/;

export class CommandRegistry {
  private readonly commands = new Map<string, ShellCommand>();

  /** Adds a command; throws when the name is invalid or taken. */
  registerCommand(command: ShellCommand): void {
    if (!COMMAND_NAME.test(command.name)) throw new Error(`invalid command name ${JSON.stringify(command.name)}: expected lower-case letters, digits and '-'`);
    if (this.commands.has(command.name)) throw new Error(`command ${command.name} is already registered`);
    this.commands.set(command.name, command);
  }

  unregisterCommand(name: string): void {
    this.commands.delete(name);
  }

  find(name: string): ShellCommand | undefined {
    return this.commands.get(name);
  }

  /** Returns every command, sorted by name. */
  list(): ShellCommand[] {
    return [...this.commands.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
