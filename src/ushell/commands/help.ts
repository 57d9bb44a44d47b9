// help: the list of commands, or the usage of one.
import { EXIT_FAILURE, type ShellCommand } from '../command-registry';

export const helpCommand: ShellCommand = {
  name: 'help',
  summary: 'List the commands, or show how to use one',
  usage: 'help [COMMAND]',
  run(args, session) {
    if (args.length > 0) {
      const command = session.registry.find(args[0]);
      if (command === undefined) {
        session.print(`Unknown command: ${args[0]}. Type 'help' for the list of commands.`);
        return EXIT_FAILURE;
      }
      session.print(`Usage: ${command.usage}`);
      session.print(`  ${command.summary}`);
      return;
    }
    const commands = session.registry.list();
    const width = Math.max(...commands.map((command) => command.name.length));
    for (const command of commands) session.print(` ${command.name.padEnd(width)}  ${command.summary}`);
  },
};
