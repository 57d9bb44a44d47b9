// Commands that run other commands: time, repeat, xargs.
import { EXIT_FAILURE, EXIT_SUCCESS, type ShellCommand } from '../command-registry';
import { printUsage } from './command-helpers';

const WHOLE_NUMBER = /^\d+$/;
/** Maximum pause of repeat, in ms: Node's timers take at most a signed 32-bit delay and fire at once beyond it. */
export const REPEAT_DELAY_MAX_MS = 2 ** 31 - 1;

export const timeCommand: ShellCommand = {
  name: 'time',
  summary: 'Run a command and print how long it took',
  usage: 'time COMMAND [ARG]...',
  async run(args, session) {
    if (args.length === 0) return printUsage(session, this.usage);
    const started = process.hrtime.bigint();
    const status = await session.execute(args);
    const micros = Number((process.hrtime.bigint() - started) / 1000n);
    const minutes = Math.floor(micros / 60_000_000);
    const seconds = Math.floor((micros % 60_000_000) / 1_000_000);
    const fraction = String(micros % 1_000_000).padStart(6, '0');
    session.print(`${args[0]}: command runtime ${minutes}m${seconds}.${fraction}s`);
    return status;
  },
};

export const repeatCommand: ShellCommand = {
  name: 'repeat',
  summary: 'Run a command several times with a pause in between (^C stops)',
  usage: 'repeat TIMES DELAY-MS COMMAND [ARG]...',
  async run(args, session) {
    if (args.length < 3 || !WHOLE_NUMBER.test(args[0]) || !WHOLE_NUMBER.test(args[1])) return printUsage(session, this.usage);
    const times = Number(args[0]);
    const delayMs = Number(args[1]);
    if (delayMs > REPEAT_DELAY_MAX_MS) {
      session.print(`repeat: invalid delay ${args[1]} ms: at most ${REPEAT_DELAY_MAX_MS} ms (about 24 days)`);
      return EXIT_FAILURE;
    }
    const words = args.slice(2);
    if (session.registry.find(words[0]) === undefined) {
      session.print(`Unknown command: ${words[0]}. Type 'help' for the list of commands.`);
      return EXIT_FAILURE;
    }

    let status = EXIT_SUCCESS;
    for (let run = 0; run < times; run++) {
      if (run > 0 && !(await session.sleep(delayMs))) break;
      status = await session.execute(words);
      // Like the original, the first failing run ends the repetition.
      if (status !== EXIT_SUCCESS || session.signal.aborted) break;
    }
    return status;
  },
};

export const xargsCommand: ShellCommand = {
  name: 'xargs',
  summary: 'Run a command once for each argument',
  usage: 'xargs COMMAND [ARG]...',
  async run(args, session) {
    if (args.length === 0) return printUsage(session, this.usage);
    const [name, ...items] = args;
    if (session.registry.find(name) === undefined) {
      session.print(`Unknown command: ${name}. Type 'help' for the list of commands.`);
      return EXIT_FAILURE;
    }
    if (items.length === 0) return session.execute([name]);

    let status = EXIT_SUCCESS;
    for (const item of items) {
      status = await session.execute([name, item]);
      if (status !== EXIT_SUCCESS || session.signal.aborted) break;
    }
    return status;
  },
};
