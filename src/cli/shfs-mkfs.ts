// shfs-mkfs (also shfs_mkfs): formats one to 16 devices as an SHFS volume,
// with the original tool's options and defaults.
import { basename } from 'node:path';
import * as readline from 'node:readline';
import { setLogLevel } from '../log';
import { ShfsError } from '../shfs/errors';
import { formatInfo } from '../shfs/report-text';
import { UsageError, parseCommandLine, parseCount, type OptionSpec } from '../shfs/tools/command-line';
import { ProgressBar } from '../shfs/tools/progress-bar';
import {
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_SUCCESS,
  completeToolIO,
  isExpectedError,
  printError,
  runTool,
  printHelpOrVersion,
  type ToolIO,
} from '../shfs/tools/tool-io';
import type { HashFunctionName } from '../shfs/types';
import { checkFormatOptions, openFormatTargets, planVolume, writeVolume, type FormatOptions } from '../shfs/writer/format-volume';

const PROGRAM = 'shfs-mkfs';

const OPTIONS: OptionSpec[] = [
  { long: 'help', short: 'h', takesValue: false },
  { long: 'usage', short: '?', takesValue: false },
  { long: 'version', short: 'V', takesValue: false },
  { long: 'verbose', short: 'v', takesValue: false },
  { long: 'force', short: 'f', takesValue: false },
  { long: 'erase', short: 'x', takesValue: false },
  { long: 'name', short: 'n', takesValue: true },
  { long: 'stripesize', short: 's', takesValue: true },
  { long: 'combined-striping', short: 'c', takesValue: false },
  { long: 'bucket-count', short: 'b', takesValue: true },
  { long: 'entries-per-bucket', short: 'e', takesValue: true },
  { long: 'hash-function', short: 'F', takesValue: true },
  { long: 'hash-length', short: 'l', takesValue: true },
];

function usage(program: string): string {
  return `Usage: ${program} [OPTION]... DEVICE...
Formats the devices (image files or block devices, 1 to 16) as one SHFS volume.

General options:
  -h, --help                       print this help and exit
  -V, --version                    print the version and exit
  -v, --verbose                    print more details
  -f, --force                      format without asking for confirmation
  -x, --erase                      zero the whole volume, not only the hash table

Volume settings:
  -n, --name NAME                  volume name, at most 16 bytes (default: unnamed)
  -s, --stripesize BYTES           stripe size per member: a power of two from
                                   4096 to 32768 (default: 16384)
  -c, --combined-striping          stripe each chunk over all members

Hash table settings:
  -b, --bucket-count COUNT         number of buckets (default: 2048)
  -e, --entries-per-bucket COUNT   entries in each bucket (default: 8)
  -F, --hash-function FUNCTION     digest of the objects: sha (default), crc,
                                   md5, haval or manual
  -l, --hash-length BYTES          digest length: sha 20, 28, 32 (default), 48, 64;
                                   crc 4; md5 16; haval 16 to 32 (default 32);
                                   manual 1 to 64 (default 16)
`;
}

interface Invocation {
  help: boolean;
  version: boolean;
  verbose: boolean;
  force: boolean;
  options: FormatOptions;
  devices: string[];
}

function parseInvocation(argv: readonly string[]): Invocation {
  const { options, positionals } = parseCommandLine(argv, OPTIONS);
  const invocation: Invocation = { help: false, version: false, verbose: false, force: false, options: {}, devices: positionals };
  for (const option of options) {
    switch (option.name) {
      case 'help':
      case 'usage':
        invocation.help = true;
        break;
      case 'version':
        invocation.version = true;
        break;
      case 'verbose':
        invocation.verbose = true;
        break;
      case 'force':
        invocation.force = true;
        break;
      case 'erase':
        invocation.options.erase = true;
        break;
      case 'combined-striping':
        invocation.options.combined = true;
        break;
      case 'name':
        invocation.options.name = option.value;
        break;
      case 'stripesize':
        invocation.options.stripeSize = parseCount(option);
        break;
      case 'bucket-count':
        invocation.options.bucketCount = parseCount(option);
        break;
      case 'entries-per-bucket':
        invocation.options.entriesPerBucket = parseCount(option);
        break;
      case 'hash-function':
        invocation.options.hashFunction = option.value as HashFunctionName;
        break;
      case 'hash-length':
        invocation.options.hashLength = parseCount(option);
        break;
    }
  }
  return invocation;
}

/** Asks on the terminal and resolves true only for a reply starting with y or Y. */
function confirm(io: ToolIO): Promise<boolean> {
  return new Promise((resolve) => {
    const prompt = readline.createInterface({ input: io.stdin, output: io.stdout, terminal: false });
    let answer: string | undefined;
    prompt.once('line', (line) => {
      answer = line;
      prompt.close();
    });
    // End of input without a reply counts as no.
    prompt.on('close', () => {
      if (answer === undefined) io.stdout.write('\n');
      resolve(answer !== undefined && /^[yY]/.test(answer));
    });
    io.stdout.write('\nShall this label be written to the device?\nBe warned that all existing data will be lost!\nContinue? [yN] ');
  });
}

/** Runs shfs-mkfs with `argv` (without the program name) and returns the exit status. */
export async function main(argv: string[], ioOverrides: Partial<ToolIO> = {}): Promise<number> {
  const io = completeToolIO(PROGRAM, ioOverrides);

  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv);
    if (!invocation.help && !invocation.version) checkFormatOptions(invocation.options);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(io, `${error.message}; see '${io.program} --help'`);
      return EXIT_FAILURE;
    }
    if (error instanceof ShfsError) {
      printError(io, error.message);
      return EXIT_FAILURE;
    }
    throw error;
  }
  const answered = printHelpOrVersion(io, invocation, usage(io.program));
  if (answered !== undefined) return answered;
  if (invocation.devices.length === 0) {
    printError(io, `no device given; see '${io.program} --help'`);
    return EXIT_FAILURE;
  }
  if (invocation.verbose) setLogLevel('debug');

  let devices;
  try {
    devices = await openFormatTargets(invocation.devices);
  } catch (error) {
    if (!isExpectedError(error)) throw error;
    printError(io, error.message);
    return EXIT_FAILURE;
  }

  const bar = new ProgressBar(io.stderr, io.stderrIsTTY, 'Erasing');
  try {
    const plan = planVolume(
      devices.map((device) => ({ path: device.path, size: device.size })),
      invocation.options,
    );
    io.stdout.write(formatInfo(plan.info));

    if (!invocation.force) {
      if (!io.stdinIsTTY) {
        printError(io, 'not formatting: confirmation needs a terminal on standard input; use -f to format without asking');
        return EXIT_FAILURE;
      }
      if (!(await confirm(io))) {
        io.stdout.write('Aborted\n');
        return EXIT_FAILURE;
      }
    }
    io.stdout.write('\n');

    await writeVolume(devices, plan, {
      signal: io.signal,
      onStep: (message) => {
        bar.finish();
        io.stdout.write(`${message}\n`);
      },
      onProgress: (progress) => bar.update(progress.done, progress.total),
    });
    bar.finish();
    return EXIT_SUCCESS;
  } catch (error) {
    bar.finish();
    if (!isExpectedError(error)) throw error;
    printError(io, error.message);
    return error instanceof ShfsError && error.code === 'ECANCELED' ? EXIT_INTERRUPTED : EXIT_FAILURE;
  } finally {
    await Promise.all(devices.map((device) => device.close()));
  }
}

export function run(): void {
  runTool(process.argv[1] ? basename(process.argv[1]) : PROGRAM, main);
}
