// mkwebfs: builds an SHFS volume from a folder of web files.
//   mkwebfs ./site site.img
import { basename } from 'node:path';
import { ShfsError } from '../shfs/errors';
import { UsageError, parseByteSize, parseCommandLine, parseCount, type OptionSpec } from '../shfs/tools/command-line';
import { ProgressBar, formatBytes } from '../shfs/tools/progress-bar';
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
import { WEB_VOLUME_DEFAULTS, buildWebVolume, type WebVolumeOptions } from '../shfs/web-volume';

const PROGRAM = 'mkwebfs';

/** Trees with at least this many files show a progress bar on a terminal. */
const PROGRESS_MIN_FILES = 20;

const OPTIONS: OptionSpec[] = [
  { long: 'help', short: 'h', takesValue: false },
  { long: 'version', short: 'V', takesValue: false },
  { long: 'verbose', short: 'v', takesValue: false },
  { long: 'force', short: 'f', takesValue: false },
  { long: 'name', short: 'n', takesValue: true },
  { long: 'stripesize', short: 's', takesValue: true },
  { long: 'bucket-count', short: 'b', takesValue: true },
  { long: 'entries-per-bucket', short: 'e', takesValue: true },
  { long: 'size', short: 'S', takesValue: true },
];

function usage(program: string): string {
  return `Usage: ${program} [OPTION]... DIR IMAGE
Builds an SHFS volume in IMAGE from every regular file under DIR. Each file
is stored under its path relative to DIR (e.g. img/logo.png) with a media
type guessed from its extension, and found by the SHA-1 of that name;
DIR/index.html becomes the default object. IMAGE is created with the size
it needs when it does not exist; an existing block device is used as it is.

  -n, --name NAME                 volume name (default: ${WEB_VOLUME_DEFAULTS.name})
  -s, --stripesize BYTES          chunk size: a power of two from 4096 to 32768
                                  (default: ${WEB_VOLUME_DEFAULTS.stripeSize})
  -b, --bucket-count COUNT        hash table buckets (default: ${WEB_VOLUME_DEFAULTS.bucketCount})
  -e, --entries-per-bucket COUNT  entries per bucket (default: ${WEB_VOLUME_DEFAULTS.entriesPerBucket})
  -S, --size BYTES                size of the image file to create, e.g. 64M
  -f, --force                     overwrite IMAGE when it is an existing file
  -v, --verbose                   list the files as they are added
  -V, --version                   print the version and exit
  -h, --help                      print this help and exit
`;
}

interface Invocation {
  help: boolean;
  version: boolean;
  verbose: boolean;
  options: WebVolumeOptions;
  positionals: string[];
}

function parseInvocation(argv: readonly string[]): Invocation {
  const { options, positionals } = parseCommandLine(argv, OPTIONS);
  const invocation: Invocation = { help: false, version: false, verbose: false, options: {}, positionals };
  for (const option of options) {
    switch (option.name) {
      case 'help':
        invocation.help = true;
        break;
      case 'version':
        invocation.version = true;
        break;
      case 'verbose':
        invocation.verbose = true;
        break;
      case 'force':
        invocation.options.overwrite = true;
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
      case 'size':
        invocation.options.imageSize = parseByteSize(option);
        break;
    }
  }
  return invocation;
}

/** Runs mkwebfs with `argv` (without the program name) and returns the exit status. */
export async function main(argv: string[], ioOverrides: Partial<ToolIO> = {}): Promise<number> {
  const io = completeToolIO(PROGRAM, ioOverrides);

  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(io, `${error.message}; see '${io.program} --help'`);
    return EXIT_FAILURE;
  }
  const answered = printHelpOrVersion(io, invocation, usage(io.program));
  if (answered !== undefined) return answered;
  if (invocation.positionals.length !== 2) {
    printError(io, `expected a folder and an image, got ${invocation.positionals.length} arguments; see '${io.program} --help'`);
    return EXIT_FAILURE;
  }

  const [dir, image] = invocation.positionals;
  const bar = new ProgressBar(io.stderr, io.stderrIsTTY, 'Adding files', (done, total) => `${done}/${total}`);
  try {
    const result = await buildWebVolume(dir, image, {
      ...invocation.options,
      signal: io.signal,
      onWarning: (message) => printError(io, `warning: ${message}`),
      onProgress: (done, total, name) => {
        if (invocation.verbose) io.stdout.write(`  ${name}\n`);
        else if (total >= PROGRESS_MIN_FILES) bar.update(done, total);
      },
    });
    bar.finish();

    const bytes = result.entries.reduce((sum, entry) => sum + entry.size, 0);
    const count = result.entries.length;
    io.stdout.write(`${image}: ${count} ${count === 1 ? 'entry' : 'entries'}, ${formatBytes(bytes)}`);
    io.stdout.write(result.defaultName ? `, default object ${result.defaultName}\n` : ', no default object (no index.html)\n');
    return EXIT_SUCCESS;
  } catch (error) {
    bar.finish();
    if (!isExpectedError(error)) throw error;
    printError(io, error.message);
    return error instanceof ShfsError && error.code === 'ECANCELED' ? EXIT_INTERRUPTED : EXIT_FAILURE;
  }
}

export function run(): void {
  runTool(process.argv[1] ? basename(process.argv[1]) : PROGRAM, main);
}
