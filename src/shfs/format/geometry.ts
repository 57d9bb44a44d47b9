// Sizes and addresses of an SHFS 2.1 volume: chunk size, volume size, the
// hash table's place and buckets, and where each chunk lies on the members.
import { ENTRY_SLOT_SIZE } from './entry';
import { STRIPE_MODE_COMBINED } from './label';

export interface StripeLayout {
  stripeMode: number;
  /** Bytes per stripe. */
  stripeSize: number;
  memberCount: number;
}

/** One piece of a chunk run on one member: `length` bytes at `position`, landing at `bufferOffset` of the run's buffer. */
export interface StripeExtent {
  member: number;
  position: number;
  length: number;
  bufferOffset: number;
}

/** Chunk size: the stripe size in independent mode, stripe size times member count in combined mode. */
export function chunkSizeOf(layout: StripeLayout): number {
  return layout.stripeMode === STRIPE_MODE_COMBINED ? layout.stripeSize * layout.memberCount : layout.stripeSize;
}

/**
 * Volume size in chunks as mkfs computes it from the smallest member. The
 * result is 0 when the member cannot hold even chunk 0.
 */
export function volumeSizeFor(layout: StripeLayout, smallestMemberBytes: number): number {
  const chunkSize = chunkSizeOf(layout);
  if (smallestMemberBytes < chunkSize) return 0;
  if (layout.stripeMode === STRIPE_MODE_COMBINED) {
    return Math.floor((smallestMemberBytes - chunkSize + layout.stripeSize) / layout.stripeSize);
  }
  return Math.floor((smallestMemberBytes - chunkSize) / chunkSize) * layout.memberCount;
}

export function entriesPerChunk(chunkSize: number): number {
  return Math.floor(chunkSize / ENTRY_SLOT_SIZE);
}

/** Chunks taken by a table of `bucketCount * entriesPerBucket` entries. */
export function tableChunks(bucketCount: number, entriesPerBucket: number, chunkSize: number): number {
  return Math.ceil((bucketCount * entriesPerBucket) / entriesPerChunk(chunkSize));
}

/** Chunks 0 and 1, the table and its backup copy if there is one. */
export function metadataChunks(tableChunkCount: number, hasBackupTable: boolean): number {
  return 2 + tableChunkCount * (hasBackupTable ? 2 : 1);
}

/** Returns the chunk (relative to the table start) and byte offset of entry `index`. */
export function entryLocation(index: number, chunkSize: number): { chunk: number; offset: number } {
  const perChunk = entriesPerChunk(chunkSize);
  return { chunk: Math.floor(index / perChunk), offset: (index % perChunk) * ENTRY_SLOT_SIZE };
}

/**
 * Returns the bucket of a digest. Only the first four bytes count (fewer for
 * shorter digests), read little-endian, because the original stores the
 * bucket number in a 32-bit variable.
 */
export function bucketOf(digest: Uint8Array, hashLength: number, bucketCount: number): number {
  let value: number;
  switch (hashLength) {
    case 0:
      return 0;
    case 1:
      value = digest[0];
      break;
    case 2:
      value = digest[0] | (digest[1] << 8);
      break;
    case 3:
      value = digest[0] | (digest[1] << 8) | (digest[2] << 16);
      break;
    default:
      value = (digest[0] | (digest[1] << 8) | (digest[2] << 16) | (digest[3] << 24)) >>> 0;
  }
  return value % bucketCount;
}

/** Chunks an object of `bytes` bytes starting `offset` bytes into its first chunk occupies. */
export function containerChunks(offset: number, bytes: number, chunkSize: number): number {
  return Math.ceil((offset + bytes) / chunkSize);
}

/**
 * Maps the stripes of chunks [first, first + count) to member positions.
 * Combined mode: chunk c is the stripes at byte c * S of members 0..n-1.
 * Independent mode: chunk c is stripe s = c + n - 1, at byte floor(s / n) * S
 * of member s mod n. Chunk 0 is each member's own label and is not mapped.
 */
export function stripeExtents(layout: StripeLayout, first: number, count: number): StripeExtent[] {
  const { stripeSize, memberCount } = layout;
  const chunkSize = chunkSizeOf(layout);
  const extents: StripeExtent[] = [];
  for (let c = first; c < first + count; c++) {
    const chunkOffset = (c - first) * chunkSize;
    if (layout.stripeMode === STRIPE_MODE_COMBINED) {
      for (let m = 0; m < memberCount; m++) {
        extents.push({ member: m, position: c * stripeSize, length: stripeSize, bufferOffset: chunkOffset + m * stripeSize });
      }
    } else {
      const stripe = c + memberCount - 1;
      extents.push({
        member: stripe % memberCount,
        position: Math.floor(stripe / memberCount) * stripeSize,
        length: stripeSize,
        bufferOffset: chunkOffset,
      });
    }
  }
  return extents;
}

/** Joins extents that are contiguous both on their member and in the buffer, so that each becomes one transfer. */
export function coalesceExtents(extents: StripeExtent[]): StripeExtent[] {
  const sorted = [...extents].sort((a, b) => a.member - b.member || a.position - b.position);
  const joined: StripeExtent[] = [];
  for (const extent of sorted) {
    const last = joined[joined.length - 1];
    if (
      last &&
      last.member === extent.member &&
      last.position + last.length === extent.position &&
      last.bufferOffset + last.length === extent.bufferOffset
    ) {
      last.length += extent.length;
    } else {
      joined.push({ ...extent });
    }
  }
  return joined;
}

/** Bytes each member must have so that every chunk below `volumeSize` lies on it. */
export function requiredMemberBytes(layout: StripeLayout, volumeSize: number): number[] {
  // Chunk 0 takes the first stripe of every member.
  const required = new Array<number>(layout.memberCount).fill(layout.stripeSize);
  const lastChunks = Math.min(volumeSize - 1, layout.memberCount);
  for (let c = volumeSize - lastChunks; c < volumeSize; c++) {
    if (c < 1) continue;
    for (const extent of stripeExtents(layout, c, 1)) {
      required[extent.member] = Math.max(required[extent.member], extent.position + extent.length);
    }
  }
  return required;
}
