// halt, reboot and suspend. Like the original, halt and reboot close the
// session that asked for them.
import { EXIT_FAILURE, type ShellCommand } from '../command-registry';

export const haltCommand: ShellCommand = {
  name: 'halt',
  summary: 'Stop the appliance',
  usage: 'halt',
  run(_args, session) {
    session.print('Halting the appliance');
    session.exit();
    session.context.halt();
  },
};

export const rebootCommand: ShellCommand = {
  name: 'reboot',
  summary: 'Restart the appliance',
  usage: 'reboot',
  run(_args, session) {
    session.print('Restarting the appliance');
    session.exit();
    session.context.reboot();
  },
};

export const suspendCommand: ShellCommand = {
  name: 'suspend',
  summary: 'Suspend the appliance until it is resumed',
  usage: 'suspend',
  async run(_args, session) {
    try {
      session.print(await session.context.suspend());
    } catch (error) {
      session.print(`Could not suspend: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT_FAILURE;
    }
  },
};
