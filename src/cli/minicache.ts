// Entry point of `minicache`: parses the command line, runs the appliance
// until SIGINT, SIGTERM or `halt`, and starts it again in place on `reboot`.
import { Appliance, type StopReason } from '../appliance/appliance';
import { parseCommandLine, USAGE, UsageError, type ApplianceOptions } from '../appliance/options';
import { VERSION } from '../appliance/version';
import { createLogger, setLogLevel } from '../log';

const logger = createLogger('minicache');

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`minicache: ${error.message}\nTry 'minicache --help' for more information.\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`minicache ${VERSION}\n`);
    return 0;
  }
  const options = parsed.options;
  if (options.verbose) setLogLevel('debug');

  if (options.startupDelaySeconds > 0) {
    logger.info(`start-up delay: ${options.startupDelaySeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, options.startupDelaySeconds * 1000));
  }
  return runUntilHalted(options);
}

async function runUntilHalted(initial: ApplianceOptions): Promise<number> {
  let options = initial;
  for (;;) {
    const appliance = new Appliance(options, logger);
    // A reboot keeps the MAC, as a rebooted machine keeps its NIC.
    options = { ...options, mac: appliance.mac };
    const stopped = new Promise<StopReason>((resolve) => appliance.onStop(resolve));
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info(`${signal} received, stopping`);
      void appliance.stop('signal');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const onContinue = (): void => {
      logger.info('resumed after suspend');
      const config = appliance.stack?.iface.config;
      if (config !== undefined) appliance.stack?.configure(config);
    };
    process.on('SIGCONT', onContinue);
    try {
      await appliance.start();
    } catch (error) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGCONT', onContinue);
      process.stderr.write(`minicache: ${describeStartError(error as NodeJS.ErrnoException)}\n`);
      return 1;
    }
    startLocalShell(appliance);

    const reason = await stopped;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGCONT', onContinue);
    if (reason !== 'reboot') {
      logger.info('stopped');
      return 0;
    }
    logger.info('rebooting');
  }
}

/**
 * Runs a µShell session on the terminal when stdin is one. The terminal
 * stays in line mode, so it echoes and edits lines itself and ^C still
 * stops the appliance.
 */
function startLocalShell(appliance: Appliance): void {
  const shell = appliance.shellService;
  if (shell === undefined || process.stdin.isTTY !== true) return;
  shell.startLocalSession({ input: process.stdin, output: process.stdout, echo: false });
}

function describeStartError(error: NodeJS.ErrnoException): string {
  const message = error.message ?? String(error);
  if (error.code === 'EPERM' || error.code === 'EACCES') {
    if (/TUNSETIFF|tun|bridge|interface/i.test(message)) return `${message} (run as root or with CAP_NET_ADMIN)`;
  }
  return message;
}

/** Runs main with the process's arguments and sets the exit status. */
export function run(): void {
  process.on('uncaughtException', (error) => {
    logger.error(`internal error: ${error.stack ?? error.message}`);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error(`internal error (unhandled rejection): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
      // Timers of a stopped stack are unref'd; anything else still open
      // (a terminal on stdin) must not keep a halted appliance alive.
      if (process.stdin.isTTY === true) process.stdin.destroy();
      setImmediate(() => process.exit(status));
    },
    (error: Error) => {
      process.stderr.write(`minicache: ${error.message}\n`);
      process.exit(1);
    },
  );
}
