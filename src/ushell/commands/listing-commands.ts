// ls and lsof: the objects of the mounted volume, and those being served.
import type { ShfsEntry } from '../../shfs/types';
import type { ShellCommand } from '../command-registry';
import { formatDigestColumn, formatListingDate, printable } from '../format';
import { requireVolume } from './command-helpers';

const LINK_TYPE_LABELS = { redirect: 'redir', raw: 'raw', auto: 'auto' } as const;

/**
 * Formats one ls line in the columns of the original: digest, first chunk,
 * size in bytes, flags (L link, D default, H hidden), link type, media type,
 * date added and name. Links have no chunk, size or media type.
 */
export function formatListingLine(entry: ShfsEntry, hashLength: number): string {
  const flags = `${entry.link !== undefined ? 'L' : '-'}${entry.isDefault ? 'D' : '-'}${entry.hidden ? 'H' : '-'}`;
  const location = entry.link !== undefined ? ' '.repeat(25) : `${String(entry.chunk).padStart(12)} ${String(entry.size).padStart(12)}`;
  const linkType = entry.link !== undefined ? LINK_TYPE_LABELS[entry.link.type] : '';
  const mime = entry.link !== undefined ? '' : printable(entry.mime);
  return `${formatDigestColumn(entry.digestHex, hashLength)} ${location}   ${flags} ${linkType.padStart(5)} ${mime.padEnd(24)} ${formatListingDate(entry.createdAt).padEnd(18)} ${printable(entry.name)}`;
}

export const lsCommand: ShellCommand = {
  name: 'ls',
  summary: 'List the objects of the mounted volume',
  usage: 'ls',
  run(_args, session) {
    const volume = requireVolume(session);
    if (volume === undefined) return 1;
    for (const entry of volume.entries()) session.print(formatListingLine(entry, volume.hashLength));
  },
};

export const lsofCommand: ShellCommand = {
  name: 'lsof',
  summary: 'List the objects being served and how many connections use each',
  usage: 'lsof',
  run(_args, session) {
    const volume = session.context.volume();
    if (volume === undefined) return;
    const users = new Map<string, { name: string; count: number }>();
    for (const connection of session.context.httpConnections()) {
      if (connection.object === undefined) continue;
      const user = users.get(connection.object.digestHex) ?? { name: connection.object.name, count: 0 };
      user.count++;
      users.set(connection.object.digestHex, user);
    }
    for (const [digestHex, user] of users) {
      session.print(`${formatDigestColumn(digestHex, volume.hashLength)} ${String(user.count).padStart(12)}  ${printable(user.name)}`);
    }
  },
};
