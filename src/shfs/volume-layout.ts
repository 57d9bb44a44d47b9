// An opened volume below the object level: assembled members, chunk I/O,
// the checked configuration header, and a scan of the hash table. Both the
// mounted (read) side and the volume writer start here.
import { ChunkIO } from './chunk-io';
import { ShfsError } from './errors';
import { parseConfigHeader, type ConfigHeader } from './format/config-header';
import { ENTRY_SLOT_SIZE, isFreeSlot } from './format/entry';
import { entriesPerChunk, metadataChunks, tableChunks } from './format/geometry';
import { hashFunctionByCode, isValidDigestLength, type HashFunctionSpec } from './hash-functions';
import { assembleVolume, type AssembleOptions, type AssembledVolume } from './members';

/** Chunks read per transfer while scanning the hash table. */
const TABLE_SCAN_BATCH_CHUNKS = 64;

export interface VolumeLayout {
  volume: AssembledVolume;
  io: ChunkIO;
  config: ConfigHeader;
  hashFunction: HashFunctionSpec;
  /** Entries in the table: bucket count times entries per bucket. */
  tableEntries: number;
  tableChunks: number;
  metadataChunks: number;
}

function checkConfig(volume: AssembledVolume, config: ConfigHeader): HashFunctionSpec {
  const where = volume.members[0].path;
  const hashFunction = hashFunctionByCode(config.hashFunction);
  if (!hashFunction) {
    throw new ShfsError('EBADCONFIG', `${where}: unknown hash function code ${config.hashFunction} in the configuration header`);
  }
  // Reading needs only a sane length; the function's own lengths matter when adding objects.
  if (config.hashLength < 1 || config.hashLength > 64) {
    throw new ShfsError('EBADCONFIG', `${where}: invalid digest length ${config.hashLength} in the configuration header`);
  }
  if (config.bucketCount < 1 || config.entriesPerBucket < 1) {
    throw new ShfsError(
      'EBADCONFIG',
      `${where}: invalid hash table shape (${config.bucketCount} buckets, ${config.entriesPerBucket} entries per bucket)`,
    );
  }

  const chunks = tableChunks(config.bucketCount, config.entriesPerBucket, volume.chunkSize);
  const tableFits = (ref: number) => Number.isSafeInteger(ref) && ref >= 2 && ref + chunks <= volume.volumeSize;
  if (!tableFits(config.tableRef) || (config.backupTableRef !== 0 && !tableFits(config.backupTableRef))) {
    throw new ShfsError('EBADCONFIG', `${where}: the hash table (${chunks} chunks) does not fit the volume (${volume.volumeSize} chunks)`);
  }
  return hashFunction;
}

/** Opens and checks a volume up to its configuration header. */
export async function openVolumeLayout(paths: readonly string[], options: AssembleOptions = {}): Promise<VolumeLayout> {
  const volume = await assembleVolume(paths, options);
  try {
    const io = new ChunkIO(
      volume.members.map((member) => member.device),
      volume.layout,
      volume.volumeSize,
    );
    const config = parseConfigHeader(await io.readChunks(1, 1));
    const hashFunction = checkConfig(volume, config);
    const chunks = tableChunks(config.bucketCount, config.entriesPerBucket, volume.chunkSize);
    return {
      volume,
      io,
      config,
      hashFunction,
      tableEntries: config.bucketCount * config.entriesPerBucket,
      tableChunks: chunks,
      metadataChunks: metadataChunks(chunks, config.backupTableRef !== 0),
    };
  } catch (error) {
    await closeVolumeLayout(volume);
    throw error;
  }
}

export async function closeVolumeLayout(volume: AssembledVolume): Promise<void> {
  await Promise.all(volume.members.map((member) => member.device.close()));
}

/** Whether `digestLength` is one the volume's function can produce (manual volumes take any). */
export function canComputeDigests(layout: VolumeLayout): boolean {
  return isValidDigestLength(layout.hashFunction, layout.config.hashLength);
}

/**
 * Reads the hash table and calls `onUsedSlot` for every slot whose digest is
 * not all zeros, in table order. The slot view is only valid during the call.
 */
export async function scanTable(layout: VolumeLayout, onUsedSlot: (index: number, slot: Buffer) => void): Promise<void> {
  const { io, config, tableEntries } = layout;
  const perChunk = entriesPerChunk(io.chunkSize);
  for (let done = 0; done < layout.tableChunks; done += TABLE_SCAN_BATCH_CHUNKS) {
    const count = Math.min(TABLE_SCAN_BATCH_CHUNKS, layout.tableChunks - done);
    const chunks = await io.readChunks(config.tableRef + done, count);
    const firstIndex = done * perChunk;
    const lastIndex = Math.min(tableEntries, (done + count) * perChunk);
    for (let index = firstIndex; index < lastIndex; index++) {
      const offset = (index - firstIndex) * ENTRY_SLOT_SIZE;
      const slot = chunks.subarray(offset, offset + ENTRY_SLOT_SIZE);
      if (!isFreeSlot(slot, config.hashLength)) onUsedSlot(index, slot);
    }
  }
}
