// The configuration header at the start of chunk 1 (SHFS 2.1): where the
// hash table lives, its shape, the digest function and the allocator.
import { readU64, writeU64 } from './label';

export const CONFIG_HEADER_SIZE = 27;

/** Offsets of the configuration header fields, relative to the start of chunk 1. */
export const CONFIG_HEADER_FIELDS = {
  tableRef: 0,
  backupTableRef: 8,
  hashFunction: 16,
  hashLength: 17,
  bucketCount: 18,
  entriesPerBucket: 22,
  allocator: 26,
} as const;

export const ALLOCATOR_FIRST_FIT = 0;
export const ALLOCATOR_BEST_FIT = 1;

/** The chunk where mkfs places the hash table. */
export const DEFAULT_TABLE_REF = 2;

export interface ConfigHeader {
  /** First chunk of the hash table. */
  tableRef: number;
  /** First chunk of a backup copy of the table; 0 when there is none. */
  backupTableRef: number;
  /** Function code: 1 manual, 2 SHA, 3 CRC, 4 MD5, 5 HAVAL. */
  hashFunction: number;
  /** Digest length in bytes. */
  hashLength: number;
  bucketCount: number;
  entriesPerBucket: number;
  allocator: number;
}

export function parseConfigHeader(chunk: Uint8Array): ConfigHeader {
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, CONFIG_HEADER_SIZE);
  const f = CONFIG_HEADER_FIELDS;
  return {
    tableRef: readU64(bytes, f.tableRef),
    backupTableRef: readU64(bytes, f.backupTableRef),
    hashFunction: bytes[f.hashFunction],
    hashLength: bytes[f.hashLength],
    bucketCount: bytes.readUInt32LE(f.bucketCount),
    entriesPerBucket: bytes.readUInt32LE(f.entriesPerBucket),
    allocator: bytes[f.allocator],
  };
}

/** Builds a whole chunk 1: the header followed by zeros. */
export function emitConfigChunk(config: ConfigHeader, chunkSize: number): Buffer {
  const chunk = Buffer.alloc(chunkSize);
  const f = CONFIG_HEADER_FIELDS;
  writeU64(chunk, f.tableRef, config.tableRef);
  writeU64(chunk, f.backupTableRef, config.backupTableRef);
  chunk[f.hashFunction] = config.hashFunction;
  chunk[f.hashLength] = config.hashLength;
  chunk.writeUInt32LE(config.bucketCount, f.bucketCount);
  chunk.writeUInt32LE(config.entriesPerBucket, f.entriesPerBucket);
  chunk[f.allocator] = config.allocator;
  return chunk;
}
