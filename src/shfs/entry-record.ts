// Turns a raw hash table slot into the `ShfsEntry` record that readers use.
import {
  FLAG_DEFAULT,
  FLAG_HIDDEN,
  HOST_TYPE_IPV4,
  HOST_TYPE_IPV6,
  LINK_TYPE_AUTO,
  LINK_TYPE_RAW,
  parseEntry,
  type RawLinkFields,
} from './format/entry';
import { containerChunks } from './format/geometry';
import { readCharField } from './format/label';
import { dateFromSeconds } from './timestamp';
import type { LinkType, ShfsEntry, ShfsLink } from './types';

/** Link type byte to name; unknown values read as redirect, as the original's listing shows them. */
export function linkTypeName(code: number): LinkType {
  if (code === LINK_TYPE_RAW) return 'raw';
  if (code === LINK_TYPE_AUTO) return 'auto';
  return 'redirect';
}

function formatIpv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function decodeLink(link: RawLinkFields): ShfsLink {
  let host: string;
  let hostType: ShfsLink['hostType'];
  if (link.hostType === HOST_TYPE_IPV4) {
    hostType = 'ipv4';
    host = [...link.host.subarray(0, 4)].join('.');
  } else if (link.hostType === HOST_TYPE_IPV6) {
    hostType = 'ipv6';
    host = formatIpv6(link.host);
  } else {
    hostType = 'name';
    host = readCharField(link.host, 0, link.host.length).toString('utf8');
  }
  return { type: linkTypeName(link.linkType), host, hostType, port: link.port, path: link.path.toString('utf8') };
}

/** Decodes the used slot `index` of a table whose digests are `hashLength` bytes long. */
export function toShfsEntry(index: number, slot: Uint8Array, hashLength: number): ShfsEntry {
  const raw = parseEntry(slot, hashLength);
  const base = {
    slot: index,
    digest: raw.digest,
    digestHex: raw.digest.toString('hex'),
    name: raw.name.toString('utf8'),
    createdAt: dateFromSeconds(raw.createdAt),
    hidden: (raw.flags & FLAG_HIDDEN) !== 0,
    isDefault: (raw.flags & FLAG_DEFAULT) !== 0,
  };

  if (raw.link) {
    return Object.freeze({ ...base, mime: '', encoding: '', size: 0, chunk: 0, offset: 0, link: Object.freeze(decodeLink(raw.link)) });
  }
  const object = raw.object!;
  return Object.freeze({
    ...base,
    mime: object.mime.toString('utf8'),
    encoding: object.encoding.toString('utf8'),
    size: object.length,
    chunk: object.chunk,
    offset: object.offset,
  });
}

/**
 * Returns why the bytes of an object cannot lie on a volume of `volumeSize`
 * chunks, or undefined when its container is inside the volume (chunks 1 to
 * volumeSize - 1; chunk 0 is the label). Links have no container. Readers
 * skip such entries: a damaged length would otherwise make a reader walk
 * far past the end of the volume.
 */
export function containerProblem(entry: ShfsEntry, volumeSize: number, chunkSize: number): string | undefined {
  if (entry.link !== undefined) return undefined;
  const where = `chunk ${entry.chunk}, offset ${entry.offset}, ${entry.size} bytes`;
  if (![entry.chunk, entry.offset, entry.size].every(Number.isSafeInteger)) return `its location (${where}) is out of range`;
  if (entry.chunk < 1) return `its container (${where}) starts in the label chunk`;
  const end = entry.chunk + containerChunks(entry.offset, entry.size, chunkSize);
  if (end > volumeSize) return `its container (${where}) ends beyond the volume's ${volumeSize} chunks`;
  return undefined;
}
