// Formatting devices as one SHFS 2.1 volume, as the original shfs_mkfs
// does: labels and configuration with its defaults, the hash table zeroed,
// and the labels written last so that an interrupted format leaves no
// label behind.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { BlockDevice } from '../../blk/block-device';
import { ChunkIO } from '../chunk-io';
import { ShfsError, ioError } from '../errors';
import { ALLOCATOR_FIRST_FIT, DEFAULT_TABLE_REF, emitConfigChunk, type ConfigHeader } from '../format/config-header';
import { chunkSizeOf, metadataChunks, tableChunks, volumeSizeFor, type StripeLayout } from '../format/geometry';
import {
  BYTE_ORDER_LITTLE_ENDIAN,
  LABEL_SIZE,
  MAX_MEMBERS,
  SHFS_MAGIC,
  SHFS_VERSION_MAJOR,
  SHFS_VERSION_MINOR,
  STRIPE_MODE_COMBINED,
  STRIPE_MODE_INDEPENDENT,
  emitLabel,
  type CommonHeader,
} from '../format/label';
import { hashFunctionByName, isValidDigestLength, HASH_FUNCTIONS, type HashFunctionSpec } from '../hash-functions';
import type { MemberDevice } from '../members';
import type { HashFunctionName } from '../types';
import { buildVolumeInfo, type VolumeInfo } from '../volume-report';

export const DEFAULT_VOLUME_NAME = 'unnamed';
export const DEFAULT_STRIPE_SIZE = 16384;
export const MIN_FORMAT_STRIPE_SIZE = 4096;
export const MAX_FORMAT_STRIPE_SIZE = 32768;
export const DEFAULT_BUCKET_COUNT = 2048;
export const DEFAULT_ENTRIES_PER_BUCKET = 8;
/** The table must have fewer entries than a 32-bit count holds. */
export const MAX_TABLE_ENTRIES = 0xffffffff;
/** Chunks zeroed per transfer while erasing. */
const ERASE_BATCH_BYTES = 4 * 1024 * 1024;

export interface FormatOptions {
  name?: string;
  stripeSize?: number;
  /** Combined striping; ignored with one member, as by the original. */
  combined?: boolean;
  bucketCount?: number;
  entriesPerBucket?: number;
  hashFunction?: HashFunctionName;
  /** Digest length in bytes; the function's default when not given. */
  hashLength?: number;
  /** Zero the whole data area, not only the hash table. */
  erase?: boolean;
}

export interface FormatPlan {
  layout: StripeLayout;
  chunkSize: number;
  config: ConfigHeader;
  /** The common header; `memberUuid` is set per member when writing. */
  header: CommonHeader;
  hashFunction: HashFunctionSpec;
  tableChunks: number;
  metadataChunks: number;
  erase: boolean;
  /** The summary the tools print before writing. */
  info: VolumeInfo;
}

export interface FormatProgress {
  /** Description of the step, e.g. "Erasing hash table area". */
  step: string;
  done: number;
  total: number;
}

export interface FormatRun {
  signal?: AbortSignal;
  onStep?: (message: string) => void;
  onProgress?: (progress: FormatProgress) => void;
}

function invalid(message: string): ShfsError {
  return new ShfsError('EINVAL', message);
}

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}

function uuidBytes(): Buffer {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
}

/** Checks the options the way the original's argument parsing does and fills in its defaults. */
export function checkFormatOptions(options: FormatOptions): Required<Omit<FormatOptions, 'erase' | 'combined'>> & {
  spec: HashFunctionSpec;
} {
  const stripeSize = options.stripeSize ?? DEFAULT_STRIPE_SIZE;
  if (!isPowerOfTwo(stripeSize) || stripeSize < MIN_FORMAT_STRIPE_SIZE || stripeSize > MAX_FORMAT_STRIPE_SIZE) {
    throw invalid(`invalid stripe size ${stripeSize}: it must be a power of two from ${MIN_FORMAT_STRIPE_SIZE} to ${MAX_FORMAT_STRIPE_SIZE}`);
  }
  const bucketCount = options.bucketCount ?? DEFAULT_BUCKET_COUNT;
  if (!Number.isInteger(bucketCount) || bucketCount < 1) throw invalid(`invalid bucket count ${bucketCount}: at least 1`);
  const entriesPerBucket = options.entriesPerBucket ?? DEFAULT_ENTRIES_PER_BUCKET;
  if (!Number.isInteger(entriesPerBucket) || entriesPerBucket < 1) {
    throw invalid(`invalid number of entries per bucket ${entriesPerBucket}: at least 1`);
  }
  if (bucketCount * entriesPerBucket > MAX_TABLE_ENTRIES) {
    throw invalid(`${bucketCount} buckets of ${entriesPerBucket} entries make a hash table larger than ${MAX_TABLE_ENTRIES} entries`);
  }

  const hashFunction = options.hashFunction ?? 'sha';
  const spec = hashFunctionByName(hashFunction);
  if (!spec) {
    throw invalid(`unknown hash function '${hashFunction}' (use ${HASH_FUNCTIONS.map((candidate) => candidate.name).join(', ')})`);
  }
  const hashLength = options.hashLength ?? spec.defaultLength;
  if (!isValidDigestLength(spec, hashLength)) {
    const allowed = spec.lengths.length > 0 ? spec.lengths.join(', ') : '1 to 64';
    throw invalid(`invalid digest length ${hashLength} for ${spec.label}: it supports ${allowed} bytes`);
  }

  const name = options.name ?? DEFAULT_VOLUME_NAME;
  return { name, stripeSize, bucketCount, entriesPerBucket, hashFunction, hashLength, spec };
}

/**
 * Plans a volume on members of the given sizes: header, configuration and
 * summary. Throws EINVAL for invalid options and for members too small for
 * the metadata.
 */
export function planVolume(members: Array<{ path: string; size: number }>, options: FormatOptions = {}, now = new Date()): FormatPlan {
  if (members.length < 1) throw invalid('no device given');
  if (members.length > MAX_MEMBERS) throw invalid(`${members.length} devices given, but a volume has at most ${MAX_MEMBERS} members`);
  const checked = checkFormatOptions(options);

  const layout: StripeLayout = {
    stripeMode: options.combined && members.length > 1 ? STRIPE_MODE_COMBINED : STRIPE_MODE_INDEPENDENT,
    stripeSize: checked.stripeSize,
    memberCount: members.length,
  };
  const chunkSize = chunkSizeOf(layout);
  const smallest = Math.min(...members.map((member) => member.size));
  const volumeSize = volumeSizeFor(layout, smallest);

  const config: ConfigHeader = {
    tableRef: DEFAULT_TABLE_REF,
    backupTableRef: 0,
    hashFunction: checked.spec.code,
    hashLength: checked.hashLength,
    bucketCount: checked.bucketCount,
    entriesPerBucket: checked.entriesPerBucket,
    allocator: ALLOCATOR_FIRST_FIT,
  };
  const tableChunkCount = tableChunks(config.bucketCount, config.entriesPerBucket, chunkSize);
  const metadata = metadataChunks(tableChunkCount, false);
  if (metadata > volumeSize) {
    const where = members.map((member) => member.path).join(', ');
    throw invalid(
      `${where}: too small for the volume metadata: ${metadata} chunks of ${chunkSize} bytes needed, ` +
        `${volumeSize} available (${smallest} bytes on the smallest member)`,
    );
  }

  const memberUuids = members.map(() => uuidBytes());
  const header: CommonHeader = {
    magic: Buffer.from(SHFS_MAGIC),
    versionMajor: SHFS_VERSION_MAJOR,
    versionMinor: SHFS_VERSION_MINOR,
    volumeUuid: uuidBytes(),
    volumeName: Buffer.from(checked.name, 'utf8').subarray(0, 16),
    byteOrder: BYTE_ORDER_LITTLE_ENDIAN,
    encoding: 0,
    volumeSize,
    createdAt: Math.floor(now.getTime() / 1000),
    stripeMode: layout.stripeMode,
    stripeSize: layout.stripeSize,
    memberUuid: memberUuids[0],
    memberCount: members.length,
    memberUuids,
  };

  const info = buildVolumeInfo({
    header,
    config,
    hashFunction: checked.spec,
    chunkSize,
    tableChunks: tableChunkCount,
    metadataChunks: metadata,
    members: members.map((member, index) => ({ path: member.path, uuid: memberUuids[index] })),
  });
  return {
    layout,
    chunkSize,
    config,
    header,
    hashFunction: checked.spec,
    tableChunks: tableChunkCount,
    metadataChunks: metadata,
    erase: options.erase ?? false,
    info,
  };
}

function checkCancel(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ShfsError('ECANCELED', 'formatting interrupted; the devices carry no SHFS label now');
}

/** Opens each path for writing, rejecting a device given twice. */
export async function openFormatTargets(paths: readonly string[]): Promise<MemberDevice[]> {
  const seen = new Map<string, string>();
  const devices: MemberDevice[] = [];
  try {
    for (const path of paths) {
      const device = BlockDevice.open(path, { writable: true, direct: false });
      devices.push(device);
      const stat = fs.statSync(path);
      const identity = stat.isBlockDevice() ? `rdev:${stat.rdev}` : `file:${stat.dev}:${stat.ino}`;
      const earlier = seen.get(identity);
      if (earlier !== undefined) throw invalid(`${path} is the same device as ${earlier} (given twice)`);
      seen.set(identity, path);
    }
    return devices;
  } catch (error) {
    await Promise.all(devices.map((device) => device.close()));
    throw error;
  }
}

async function zeroChunks(io: ChunkIO, first: number, count: number, step: string, run: FormatRun): Promise<void> {
  const batch = Math.max(1, Math.floor(ERASE_BATCH_BYTES / io.chunkSize));
  const zeros = Buffer.alloc(Math.min(batch, Math.max(count, 1)) * io.chunkSize);
  for (let done = 0; done < count; done += batch) {
    checkCancel(run.signal);
    const chunks = Math.min(batch, count - done);
    await io.writeChunks(first + done, chunks === batch ? zeros : zeros.subarray(0, chunks * io.chunkSize));
    run.onProgress?.({ step, done: done + chunks, total: count });
  }
}

/**
 * Writes the planned volume to the devices (given in member order). The
 * order follows the original: erase every label first, zero the table (or
 * with `erase` the whole data area), write the configuration, then the
 * labels. So a cancelled or failed format leaves devices without a label.
 */
export async function writeVolume(devices: readonly MemberDevice[], plan: FormatPlan, run: FormatRun = {}): Promise<void> {
  const io = new ChunkIO(devices, plan.layout, plan.header.volumeSize);
  const zeroLabel = Buffer.alloc(LABEL_SIZE);
  try {
    checkCancel(run.signal);
    for (const [index, device] of devices.entries()) {
      run.onStep?.(`Erasing common header area of member ${index + 1}/${devices.length}...`);
      await device.write(0, zeroLabel);
    }
    await io.sync();

    if (plan.erase) {
      run.onStep?.('Erasing volume area...');
      await zeroChunks(io, 2, plan.header.volumeSize - 2, 'Erasing volume area', run);
    } else {
      run.onStep?.('Erasing hash table area...');
      await zeroChunks(io, plan.config.tableRef, plan.tableChunks, 'Erasing hash table area', run);
    }

    checkCancel(run.signal);
    run.onStep?.('Writing config header...');
    await io.writeChunks(1, emitConfigChunk(plan.config, plan.chunkSize));
    await io.sync();

    checkCancel(run.signal);
    for (const [index, device] of devices.entries()) {
      run.onStep?.(`Writing common header area to member ${index + 1}/${devices.length}...`);
      await device.write(0, emitLabel({ ...plan.header, memberUuid: plan.header.memberUuids[index] }));
    }
    await io.sync();
  } catch (error) {
    throw ioError(error);
  }
}

/** Plans and writes a volume on `paths`; the library form of `shfs-mkfs -f`. */
export async function formatVolume(paths: readonly string[], options: FormatOptions = {}, run: FormatRun = {}): Promise<FormatPlan> {
  const devices = await openFormatTargets(paths);
  try {
    const plan = planVolume(
      devices.map((device) => ({ path: device.path, size: device.size })),
      options,
    );
    await writeVolume(devices, plan, run);
    return plan;
  } finally {
    await Promise.all(devices.map((device) => device.close()));
  }
}
