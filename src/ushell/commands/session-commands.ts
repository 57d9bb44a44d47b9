// Commands about the session itself: echo, clear, exit, who.
import type { ShellCommand } from '../command-registry';
import { formatDuration } from '../format';

export const echoCommand: ShellCommand = {
  name: 'echo',
  summary: 'Print the arguments',
  usage: 'echo [WORD]...',
  run(args, session) {
    session.print(args.join(' '));
  },
};

/** ANSI: cursor home, then erase to the end of the screen. */
export const CLEAR_SCREEN = '\x1b[H\x1b[J';

export const clearCommand: ShellCommand = {
  name: 'clear',
  summary: 'Clear the screen',
  usage: 'clear',
  run(_args, session) {
    session.write(CLEAR_SCREEN);
  },
};

export const exitCommand: ShellCommand = {
  name: 'exit',
  summary: 'Close this session',
  usage: 'exit',
  run(_args, session) {
    session.exit();
  },
};

export const whoCommand: ShellCommand = {
  name: 'who',
  summary: 'List the open shell sessions',
  usage: 'who',
  run(_args, session) {
    const now = session.context.now().getTime();
    for (const info of session.sessions()) {
      const up = formatDuration((now - info.startedAt.getTime()) / 1000);
      const from = info.peer === undefined ? 'terminal' : info.peer;
      const self = info.name === session.info.name ? ' (this session)' : '';
      session.print(` ${info.name}: up ${up}, ${from}${self}`);
    }
  },
};
