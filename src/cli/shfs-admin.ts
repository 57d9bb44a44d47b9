// shfs-admin (also shfs_admin): changes and inspects an SHFS volume. The
// options are commands run in the order given, as by the original tool:
//   shfs-admin -a index.html -m text/html -a logo.png -l image.img
import { basename } from 'node:path';
import { ShfsError } from '../shfs/errors';
import { formatInfo, formatListing } from '../shfs/report-text';
import { UsageError, parseCommandLine, type OptionSpec, type ParsedOption } from '../shfs/tools/command-line';
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
import type { LinkType } from '../shfs/types';
import { volumeInfo } from '../shfs/volume-report';
import { VolumeWriter } from '../shfs/writer/volume-writer';

const PROGRAM = 'shfs-admin';

/** Files at least this large show a progress bar on a terminal. */
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

const OPTIONS: OptionSpec[] = [
  { long: 'help', short: 'h', takesValue: false },
  { long: 'usage', short: '?', takesValue: false },
  { long: 'version', short: 'V', takesValue: false },
  { long: 'verbose', short: 'v', takesValue: false },
  { long: 'force', short: 'f', takesValue: false },
  { long: 'add-obj', short: 'a', takesValue: true },
  { long: 'add-lnk', short: 'u', takesValue: true },
  { long: 'rm-obj', short: 'r', takesValue: true },
  { long: 'cat-obj', short: 'c', takesValue: true },
  { long: 'set-default', short: 'd', takesValue: true },
  { long: 'clear-default', short: 'C', takesValue: false },
  { long: 'mime', short: 'm', takesValue: true },
  { long: 'name', short: 'n', takesValue: true },
  { long: 'digest', short: 'D', takesValue: true },
  { long: 'type', short: 't', takesValue: true },
  { long: 'ls', short: 'l', takesValue: false },
  { long: 'info', short: 'i', takesValue: false },
];

const LINK_TYPES: readonly LinkType[] = ['redirect', 'raw', 'auto'];

type Command =
  | { kind: 'add-obj'; path: string; mime?: string; name?: string; digest?: string }
  | { kind: 'add-lnk'; url: string; type?: LinkType; name?: string; digest?: string }
  | { kind: 'rm-obj' | 'cat-obj' | 'set-default'; digest: string }
  | { kind: 'clear-default' | 'ls' | 'info' };

interface Invocation {
  help: boolean;
  version: boolean;
  verbose: number;
  commands: Command[];
  devices: string[];
}

function usage(program: string): string {
  return `Usage: ${program} [OPTION]... DEVICE...
Changes and lists an SHFS volume; DEVICE... are its members in any order.
The commands run in the order given.

  -a, --add-obj FILE        add FILE as an object
  -u, --add-lnk URL         add a link to an http:// origin URL
    after -a or -u:
    -n, --name NAME         store the entry under NAME (default: the file's or URL's base name)
    -D, --digest HEX        digest of the entry (volumes with manual digests only)
    after -a:
    -m, --mime TYPE         media type of the object, e.g. text/html
    after -u:
    -t, --type TYPE         redirect (default), raw or auto
  -r, --rm-obj HEX          remove the entry with digest HEX, freeing its chunks
  -c, --cat-obj HEX         write the object with digest HEX to standard output
  -d, --set-default HEX     make the entry with digest HEX the default object
  -C, --clear-default       clear the default object
  -l, --ls                  list the entries
  -i, --info                show the volume's configuration
  -f, --force               accepted for compatibility (no questions are asked)
  -v, --verbose             print the digest of each entry added
  -V, --version             print the version and exit
  -h, --help                print this help and exit

Example: ${program} -a index.html -m text/html -d <digest of index.html> image.img
`;
}

function requireCurrent(current: Command | undefined, kinds: Array<Command['kind']>, option: ParsedOption): Command {
  if (!current || !kinds.includes(current.kind)) {
    const after = kinds.map((kind) => `--${kind}`).join(' or ');
    throw new UsageError(`'${option.written}' must follow ${after}`);
  }
  return current;
}

function parseInvocation(argv: readonly string[]): Invocation {
  const { options, positionals } = parseCommandLine(argv, OPTIONS);
  const invocation: Invocation = { help: false, version: false, verbose: 0, commands: [], devices: positionals };
  let current: Command | undefined;
  const start = (command: Command) => {
    invocation.commands.push(command);
    current = command;
  };

  for (const option of options) {
    const value = option.value ?? '';
    switch (option.name) {
      case 'help':
      case 'usage':
        invocation.help = true;
        break;
      case 'version':
        invocation.version = true;
        break;
      case 'verbose':
        invocation.verbose += 1;
        break;
      case 'force':
        break;
      case 'add-obj':
        start({ kind: 'add-obj', path: value });
        break;
      case 'add-lnk':
        start({ kind: 'add-lnk', url: value });
        break;
      case 'rm-obj':
      case 'cat-obj':
      case 'set-default':
        start({ kind: option.name, digest: value });
        break;
      case 'clear-default':
      case 'ls':
      case 'info':
        start({ kind: option.name });
        break;
      case 'mime': {
        const command = requireCurrent(current, ['add-obj'], option) as Extract<Command, { kind: 'add-obj' }>;
        command.mime = value;
        break;
      }
      case 'name':
      case 'digest': {
        const command = requireCurrent(current, ['add-obj', 'add-lnk'], option) as Extract<Command, { kind: 'add-obj' | 'add-lnk' }>;
        if (option.name === 'name') command.name = value;
        else command.digest = value;
        break;
      }
      case 'type': {
        const command = requireCurrent(current, ['add-lnk'], option) as Extract<Command, { kind: 'add-lnk' }>;
        const type = LINK_TYPES.find((candidate) => candidate === value.toLowerCase());
        if (!type) throw new UsageError(`invalid link type '${value}' (use redirect, raw or auto)`);
        command.type = type;
        break;
      }
    }
  }
  return invocation;
}

function changesVolume(command: Command): boolean {
  return command.kind !== 'ls' && command.kind !== 'info' && command.kind !== 'cat-obj';
}

async function runCommand(writer: VolumeWriter, command: Command, io: ToolIO, verbose: number): Promise<void> {
  const common = { signal: io.signal, onWarning: (message: string) => printError(io, `warning: ${message}`) };
  switch (command.kind) {
    case 'add-obj': {
      const bar = new ProgressBar(io.stderr, io.stderrIsTTY, `Adding ${command.path}`);
      try {
        const entry = await writer.addObject(command.path, {
          ...common,
          mime: command.mime,
          name: command.name,
          digest: command.digest,
          onProgress: (done, total) => {
            if (total >= PROGRESS_MIN_BYTES) bar.update(done, total);
          },
        });
        if (verbose > 0) io.stderr.write(`Hash for ${command.path} is: ${entry.digestHex}\n`);
      } finally {
        bar.finish();
      }
      return;
    }
    case 'add-lnk': {
      const entry = await writer.addLink(command.url, { ...common, type: command.type, name: command.name, digest: command.digest });
      if (verbose > 0) io.stderr.write(`Hash for ${command.url} is: ${entry.digestHex}\n`);
      return;
    }
    case 'rm-obj':
      await writer.removeObject(command.digest);
      return;
    case 'cat-obj':
      await writer.catObject(command.digest, io.stdout, common);
      return;
    case 'set-default':
      await writer.setDefault(command.digest);
      return;
    case 'clear-default':
      await writer.clearDefault();
      return;
    case 'ls':
      io.stdout.write(formatListing(writer.report()));
      return;
    case 'info':
      io.stdout.write(formatInfo(volumeInfo(writer.layout)));
      return;
  }
}

/**
 * Runs shfs-admin with `argv` (without the program name) and returns the
 * exit status: 0 when every command succeeded, 1 when any failed (the
 * others still run, as in the original), 130 when interrupted.
 */
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
  if (invocation.devices.length === 0) {
    printError(io, `no volume member given; see '${io.program} --help'`);
    return EXIT_FAILURE;
  }

  let writer: VolumeWriter;
  try {
    writer = await VolumeWriter.open(invocation.devices, { readOnly: !invocation.commands.some(changesVolume) });
  } catch (error) {
    if (!isExpectedError(error)) throw error;
    printError(io, error.message);
    return EXIT_FAILURE;
  }

  let failed = 0;
  let interrupted = false;
  try {
    for (const command of invocation.commands) {
      if (io.signal.aborted) {
        interrupted = true;
        break;
      }
      try {
        await runCommand(writer, command, io, invocation.verbose);
      } catch (error) {
        if (!isExpectedError(error)) throw error;
        printError(io, error.message);
        failed += 1;
        if (error instanceof ShfsError && error.code === 'ECANCELED') {
          interrupted = true;
          break;
        }
      }
    }
  } finally {
    await writer.close();
  }

  if (interrupted) return EXIT_INTERRUPTED;
  return failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

export function run(): void {
  runTool(process.argv[1] ? basename(process.argv[1]) : PROGRAM, main);
}
