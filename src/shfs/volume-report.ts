// Volume information and listing as plain data: what `shfs-admin -i` and
// `-l` print, and what the appliance's shell shows of a mounted volume.
import { ALLOCATOR_BEST_FIT, type ConfigHeader } from './format/config-header';
import { ENTRY_RAW_SIZE, ENTRY_SLOT_SIZE } from './format/entry';
import { containerChunks } from './format/geometry';
import { STRIPE_MODE_COMBINED, formatUuid, type CommonHeader } from './format/label';
import type { HashFunctionSpec } from './hash-functions';
import { formatVersion } from './members';
import type { HashFunctionName, LinkType, ShfsEntry, StripeMode } from './types';
import { dateFromSeconds } from './timestamp';
import type { ShfsVolume } from './volume';
import type { VolumeLayout } from './volume-layout';

export interface VolumeInfo {
  /** Format version as the original prints it, e.g. "2.01". */
  version: string;
  name: string;
  uuid: string;
  createdAt: Date;
  chunkSize: number;
  /** Volume size in chunks. */
  volumeSize: number;
  hashFunction: HashFunctionName;
  /** "SHA", "CRC", "MD5", "HAVAL" or "Manual". */
  hashFunctionLabel: string;
  /** Digest length in bytes. */
  hashLength: number;
  tableEntries: number;
  bucketCount: number;
  entriesPerBucket: number;
  tableChunks: number;
  backupTable: boolean;
  /** Bytes per table slot, and bytes of the entry inside it. */
  entrySize: number;
  entryRawSize: number;
  metadataChunks: number;
  /** Chunks outside the metadata (free or used). */
  availableChunks: number;
  allocator: 'first-fit' | 'best-fit';
  stripeSize: number;
  stripeMode: StripeMode;
  /** Members in volume order. */
  members: Array<{ path: string; uuid: string }>;
}

export interface ListingEntry {
  digestHex: string;
  name: string;
  mime: string;
  /** Object length in bytes; 0 for links. */
  size: number;
  /** First chunk of the container; undefined for links. */
  chunk?: number;
  /** Chunks of the container; undefined for links. */
  sizeChunks?: number;
  link: boolean;
  linkType?: LinkType;
  isDefault: boolean;
  hidden: boolean;
  createdAt: Date;
}

export interface VolumeReport {
  info: VolumeInfo;
  entries: ListingEntry[];
}

/** The facts a `VolumeInfo` is made of; a volume being planned by mkfs has them too. */
export interface VolumeInfoSource {
  header: CommonHeader;
  config: ConfigHeader;
  hashFunction: HashFunctionSpec;
  chunkSize: number;
  tableChunks: number;
  metadataChunks: number;
  /** Members in volume order. */
  members: Array<{ path: string; uuid: Buffer }>;
}

export function buildVolumeInfo(source: VolumeInfoSource): VolumeInfo {
  const { header, config } = source;
  return {
    version: formatVersion(header.versionMajor, header.versionMinor),
    name: header.volumeName.toString('utf8'),
    uuid: formatUuid(header.volumeUuid),
    createdAt: dateFromSeconds(header.createdAt),
    chunkSize: source.chunkSize,
    volumeSize: header.volumeSize,
    hashFunction: source.hashFunction.name,
    hashFunctionLabel: source.hashFunction.label,
    hashLength: config.hashLength,
    tableEntries: config.bucketCount * config.entriesPerBucket,
    bucketCount: config.bucketCount,
    entriesPerBucket: config.entriesPerBucket,
    tableChunks: source.tableChunks,
    backupTable: config.backupTableRef !== 0,
    entrySize: ENTRY_SLOT_SIZE,
    entryRawSize: ENTRY_RAW_SIZE,
    metadataChunks: source.metadataChunks,
    availableChunks: header.volumeSize - source.metadataChunks,
    allocator: config.allocator === ALLOCATOR_BEST_FIT ? 'best-fit' : 'first-fit',
    stripeSize: header.stripeSize,
    stripeMode: header.stripeMode === STRIPE_MODE_COMBINED ? 'combined' : 'independent',
    members: source.members.map((member) => ({ path: member.path, uuid: formatUuid(member.uuid) })),
  };
}

export function volumeInfo(layout: VolumeLayout): VolumeInfo {
  return buildVolumeInfo({
    header: layout.volume.header,
    config: layout.config,
    hashFunction: layout.hashFunction,
    chunkSize: layout.volume.chunkSize,
    tableChunks: layout.tableChunks,
    metadataChunks: layout.metadataChunks,
    members: layout.volume.members,
  });
}

export function listingEntry(entry: ShfsEntry, chunkSize: number): ListingEntry {
  const row: ListingEntry = {
    digestHex: entry.digestHex,
    name: entry.name,
    mime: entry.mime,
    size: entry.size,
    link: entry.link !== undefined,
    isDefault: entry.isDefault,
    hidden: entry.hidden,
    createdAt: entry.createdAt,
  };
  if (entry.link) {
    row.linkType = entry.link.type;
  } else {
    row.chunk = entry.chunk;
    row.sizeChunks = containerChunks(entry.offset, entry.size, chunkSize);
  }
  return row;
}

/** Builds the report of a layout and its entries, in the order given. */
export function buildVolumeReport(layout: VolumeLayout, entries: readonly ShfsEntry[]): VolumeReport {
  return {
    info: volumeInfo(layout),
    entries: entries.map((entry) => listingEntry(entry, layout.volume.chunkSize)),
  };
}

/** Returns the information and listing of a mounted volume, in table order. */
export function describeVolume(volume: ShfsVolume): VolumeReport {
  return buildVolumeReport(volume.layout, volume.entries());
}
