// date and uptime.
import type { ShellCommand } from '../command-registry';
import { formatDuration, formatFullDate } from '../format';

export const dateCommand: ShellCommand = {
  name: 'date',
  summary: 'Print the current date and time (UTC)',
  usage: 'date',
  run(_args, session) {
    session.print(formatFullDate(session.context.now()));
  },
};

export const uptimeCommand: ShellCommand = {
  name: 'uptime',
  summary: 'Print how long the appliance has been running',
  usage: 'uptime',
  run(_args, session) {
    const { context } = session;
    session.print(`up ${formatDuration((context.now().getTime() - context.startedAt.getTime()) / 1000)}`);
  },
};
