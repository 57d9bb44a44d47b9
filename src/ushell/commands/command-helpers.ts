// Lookups shared by the commands that work on the mounted volume.
import { describeReference, findObject, parseObjectArgument } from '../../http/object-lookup';
import type { MountedVolume, ShfsEntry } from '../../shfs/types';
import type { CommandSession } from '../command-session';

export const NOT_MOUNTED = 'No SHFS filesystem mounted';

/** Returns the mounted volume, or undefined after printing that none is mounted. */
export function requireVolume(session: CommandSession): MountedVolume | undefined {
  const volume = session.context.volume();
  if (volume === undefined) session.print(NOT_MOUNTED);
  return volume;
}

/**
 * Returns the object an argument names ("?<hex digest>" or a name), or
 * undefined after printing "<argument>: no such object".
 */
export function requireObject(session: CommandSession, volume: MountedVolume, argument: string): ShfsEntry | undefined {
  const reference = parseObjectArgument(argument, volume.hashLength);
  const entry = findObject(volume, reference);
  if (entry === undefined) session.print(`${describeReference(reference)}: no such object`);
  return entry;
}

export function printUsage(session: CommandSession, usage: string): number {
  session.print(`Usage: ${usage}`);
  return 1;
}
