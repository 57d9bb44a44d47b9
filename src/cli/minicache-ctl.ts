// Entry point of `minicache-ctl`: sends one action to a running appliance
// over its control socket and prints the response.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CONTROL_ACTIONS } from '../appliance/control-actions';
import { sendControlRequest } from '../appliance/control-channel';
import { VERSION } from '../appliance/version';

const CONTROL_SOCKET_DIR = '/run/minicache';

const USAGE = `Usage: minicache-ctl [--ctl PATH | --tap NAME] ACTION [ARG]...
Triggers an action on a running MiniCache appliance through its control socket.
Everything after ACTION belongs to the action (add-obj takes shfs-admin's -m,
-n and -D options, e.g. add-obj style.css -m text/css).

Options:
  --ctl PATH   control socket of the appliance (its --ctl option)
  --tap NAME   the appliance on this TAP (socket ${CONTROL_SOCKET_DIR}/NAME.sock)
  --help       print this help and exit
  --version    print the version and exit
Without --ctl or --tap, the only socket in ${CONTROL_SOCKET_DIR} is used.

Actions:
${Object.values(CONTROL_ACTIONS)
  .map((line) => `  ${line}`)
  .join('\n')}
`;

/** Options of minicache-ctl itself that take a value. */
const OPTIONS_WITH_VALUE = new Set(['--ctl', '--tap']);

/**
 * Splits the command line at the action: options before it belong to
 * minicache-ctl, everything after it (shfs-admin options included) to the
 * action.
 */
function splitAtAction(argv: readonly string[]): { own: string[]; action: string[] } {
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-')) {
    if (argv[i] === '--') return { own: argv.slice(0, i), action: argv.slice(i + 1) };
    i += OPTIONS_WITH_VALUE.has(argv[i]) ? 2 : 1;
  }
  return { own: argv.slice(0, i), action: argv.slice(i) };
}

export async function main(argv: readonly string[]): Promise<number> {
  const split = splitAtAction(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: split.own,
      allowPositionals: false,
      strict: true,
      options: { ctl: { type: 'string' }, tap: { type: 'string' }, help: { type: 'boolean' }, version: { type: 'boolean' } },
    });
  } catch (error) {
    return usageError((error as Error).message.split('\n')[0]);
  }
  if (parsed.values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.values.version === true) {
    process.stdout.write(`minicache-ctl ${VERSION}\n`);
    return 0;
  }
  const [action, ...rawArgs] = split.action;
  if (action === undefined) return usageError('missing ACTION');
  // The appliance runs in another working directory: files are passed as absolute paths.
  const args = action === 'add-obj' && rawArgs.length > 0 ? [path.resolve(rawArgs[0]), ...rawArgs.slice(1)] : action === 'mount' ? rawArgs.map((arg) => path.resolve(arg)) : rawArgs;
  if (!Object.hasOwn(CONTROL_ACTIONS, action)) return usageError(`unknown action '${action}'`);
  if (parsed.values.ctl !== undefined && parsed.values.tap !== undefined) return usageError('--ctl and --tap exclude each other');

  const socketPath = parsed.values.ctl ?? (parsed.values.tap !== undefined ? path.join(CONTROL_SOCKET_DIR, `${parsed.values.tap}.sock`) : findOnlySocket());
  if (typeof socketPath !== 'string') {
    process.stderr.write(`minicache-ctl: ${socketPath.error}\n`);
    return 1;
  }
  try {
    const response = await sendControlRequest(socketPath, { action, args });
    if (!response.ok) {
      process.stderr.write(`minicache-ctl: ${action}: ${response.error}\n`);
      return 1;
    }
    if (response.output.length > 0) process.stdout.write(`${response.output}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`minicache-ctl: ${(error as Error).message}\n`);
    return 1;
  }
}

function findOnlySocket(): string | { error: string } {
  let names: string[] = [];
  try {
    names = fs.readdirSync(CONTROL_SOCKET_DIR).filter((name) => name.endsWith('.sock'));
  } catch {
    // No folder: no appliance with a default socket is running.
  }
  if (names.length === 1) return path.join(CONTROL_SOCKET_DIR, names[0]);
  if (names.length === 0) return { error: `no control socket in ${CONTROL_SOCKET_DIR}: is an appliance running? (pass --ctl PATH)` };
  return { error: `several appliances are running (${names.map((name) => name.slice(0, -5)).join(', ')}): choose one with --tap NAME` };
}

function usageError(message: string): number {
  process.stderr.write(`minicache-ctl: ${message}\nTry 'minicache-ctl --help' for more information.\n`);
  return 2;
}

export function run(): void {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (error: Error) => {
      process.stderr.write(`minicache-ctl: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
