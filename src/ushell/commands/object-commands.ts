// file, cat and df: one object's details, text and bytes.
import type { ShfsEntry } from '../../shfs/types';
import { EXIT_FAILURE, EXIT_SUCCESS, type ShellCommand } from '../command-registry';
import type { CommandSession } from '../command-session';
import { formatSize, hexDumpLines, printable } from '../format';
import { linkUrl } from '../../http/origin-connection';
import type { MountedVolume } from '../../shfs/types';
import { printUsage, requireObject, requireVolume } from './command-helpers';

/** Bytes read from the volume per step of cat and df. */
export const READ_STEP_BYTES = 16 * 1024;

const LINK_DESCRIPTIONS = { redirect: 'redirect', raw: 'relative clone (raw)', auto: 'relative clone (autodetect)' } as const;
const TEXT_MEDIA_TYPES = /^(text\/|application\/(json|xml|javascript|ecmascript|x-sh)|image\/svg\+xml)|\+(json|xml)$/;

export function describeObject(entry: ShfsEntry): string {
  if (entry.link !== undefined) return `remote link: ${printable(linkUrl(entry.link))}, ${LINK_DESCRIPTIONS[entry.link.type]}`;
  return `${entry.mime === '' ? 'application/octet-stream' : printable(entry.mime)}, ${formatSize(entry.size)}`;
}

export const fileCommand: ShellCommand = {
  name: 'file',
  summary: 'Show the media type and size of objects',
  usage: 'file OBJECT...',
  run(args, session) {
    if (args.length === 0) return printUsage(session, this.usage);
    const volume = requireVolume(session);
    if (volume === undefined) return EXIT_FAILURE;
    let status = EXIT_SUCCESS;
    for (const argument of args) {
      const entry = requireObject(session, volume, argument);
      if (entry === undefined) status = EXIT_FAILURE;
      else session.print(`${argument}: ${describeObject(entry)}`);
    }
    return status;
  },
};

export const catCommand: ShellCommand = {
  name: 'cat',
  summary: 'Print text objects',
  usage: 'cat OBJECT...',
  async run(args, session) {
    if (args.length === 0) return printUsage(session, this.usage);
    const volume = requireVolume(session);
    if (volume === undefined) return EXIT_FAILURE;
    for (const argument of args) {
      const entry = requireObject(session, volume, argument);
      if (entry === undefined) return EXIT_FAILURE;
      if (entry.link !== undefined) {
        session.print(`${argument}: is a link to ${linkUrl(entry.link)}, not stored here`);
        return EXIT_FAILURE;
      }
      if (!(await printText(session, volume, entry, argument))) return EXIT_FAILURE;
    }
  },
};

async function printText(session: CommandSession, volume: MountedVolume, entry: ShfsEntry, argument: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8');
  for (let offset = 0; offset < entry.size && !session.signal.aborted; offset += READ_STEP_BYTES) {
    const bytes = await readStep(session, volume, entry, argument, offset);
    if (bytes === undefined) return false;
    // Binary objects would garble the terminal; the check needs the first bytes when the type is unknown.
    if (offset === 0 && !looksLikeText(entry.mime, bytes)) {
      session.print(`${argument}: ${entry.mime === '' ? 'binary data' : entry.mime} is not text; use df for a hex dump`);
      return false;
    }
    if (!session.write(decoder.decode(bytes, { stream: true }))) await session.drained();
  }
  const rest = decoder.decode();
  if (rest !== '') session.write(rest);
  return true;
}

function looksLikeText(mime: string, firstBytes: Buffer): boolean {
  if (mime !== '' && TEXT_MEDIA_TYPES.test(mime)) return true;
  if (mime !== '' && mime !== 'application/octet-stream') return false;
  return !firstBytes.includes(0);
}

export const dfCommand: ShellCommand = {
  name: 'df',
  summary: 'Print a hex dump of an object',
  usage: 'df OBJECT',
  async run(args, session) {
    if (args.length !== 1) return printUsage(session, this.usage);
    const volume = requireVolume(session);
    if (volume === undefined) return EXIT_FAILURE;
    const entry = requireObject(session, volume, args[0]);
    if (entry === undefined) return EXIT_FAILURE;

    for (let offset = 0; offset < entry.size && !session.signal.aborted; offset += READ_STEP_BYTES) {
      const bytes = await readStep(session, volume, entry, args[0], offset);
      if (bytes === undefined) return EXIT_FAILURE;
      if (!session.write(hexDumpLines(bytes, offset).join('\n') + '\n')) await session.drained();
    }
  },
};

async function readStep(session: CommandSession, volume: MountedVolume, entry: ShfsEntry, argument: string, offset: number): Promise<Buffer | undefined> {
  try {
    return await volume.read(entry, offset, Math.min(entry.size, offset + READ_STEP_BYTES));
  } catch (error) {
    session.print(`${argument}: read error at byte ${offset}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
