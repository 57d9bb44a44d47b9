// The read side of a mounted SHFS volume, as the HTTP server and µShell see
// it. src/shfs/volume.ts implements it.
import type { Readable } from 'node:stream';

export type HashFunctionName = 'manual' | 'sha' | 'crc' | 'md5' | 'haval';
export type StripeMode = 'independent' | 'combined';
export type LinkType = 'redirect' | 'raw' | 'auto';

/** The origin of a link entry (flag L). */
export interface ShfsLink {
  type: LinkType;
  /** Host name text, or the dotted quad when the entry stores an IPv4 address. */
  host: string;
  hostType: 'name' | 'ipv4' | 'ipv6';
  port: number;
  /** Path without the leading '/'. */
  path: string;
}

/** One used slot of the hash table. */
export interface ShfsEntry {
  /** Index of the slot in the hash table. */
  readonly slot: number;
  /** The first `hlen` bytes of the stored digest. */
  readonly digest: Buffer;
  /** Lower-case hex of `digest`. */
  readonly digestHex: string;
  readonly name: string;
  /** Media type; empty when none was stored. */
  readonly mime: string;
  readonly encoding: string;
  /** Object length in bytes (0 for links). */
  readonly size: number;
  /** First chunk of the container (0 for links). */
  readonly chunk: number;
  /** Byte offset of the object inside its first chunk. */
  readonly offset: number;
  readonly createdAt: Date;
  readonly hidden: boolean;
  readonly isDefault: boolean;
  /** Present exactly when the entry is a link (flag L). */
  readonly link?: ShfsLink;
}

export interface ShfsMemberInfo {
  path: string;
  uuid: string;
  size: number;
  blockDevice: boolean;
  /** True when the device is read with O_DIRECT. */
  direct: boolean;
}

export interface ChunkCacheStats {
  /** Chunks held now, and their capacity. */
  chunks: number;
  capacityChunks: number;
  hits: number;
  misses: number;
  /** Device reads issued (a miss shared by concurrent readers counts once). */
  reads: number;
  readErrors: number;
}

export interface MountedVolume {
  readonly name: string;
  readonly uuid: string;
  readonly createdAt: Date;
  readonly chunkSize: number;
  /** Volume size in chunks. */
  readonly volumeSize: number;
  readonly stripeMode: StripeMode;
  readonly stripeSize: number;
  readonly members: readonly ShfsMemberInfo[];
  readonly hashFunction: HashFunctionName;
  /** Digest length in bytes. */
  readonly hashLength: number;
  readonly bucketCount: number;
  readonly entriesPerBucket: number;
  /** Chunks used by the labels, configuration and hash table(s). */
  readonly metadataChunks: number;

  /** Every used entry, in table order. */
  entries(): readonly ShfsEntry[];
  findByDigest(digest: Uint8Array): ShfsEntry | undefined;
  /** Looks up a digest given as hex text of exactly `hashLength` bytes, in either case. */
  findByDigestHex(text: string): ShfsEntry | undefined;
  findByName(name: string): ShfsEntry | undefined;
  defaultEntry(): ShfsEntry | undefined;

  /**
   * Reads bytes [start, end) of an object through the chunk cache. Rejects
   * with an Error whose `code` is 'EIO' when the device fails.
   */
  read(entry: ShfsEntry, start: number, end: number): Promise<Buffer>;
  /** Streams bytes [start, end) of an object, chunk by chunk, through the cache. */
  createReadStream(entry: ShfsEntry, start?: number, end?: number): Readable;
  /** Loads every chunk of every object into the cache (bounded by its capacity). */
  prefetchAll(): Promise<void>;

  cacheStats(): ChunkCacheStats;
  /** Drops every chunk from the cache; buffers already handed out stay valid. */
  flushCache(): void;
  /** Closes the members; reads in flight fail. */
  unmount(): Promise<void>;
}
