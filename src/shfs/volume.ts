// A mounted SHFS volume: the hash table loaded into memory, objects found by
// digest, name or default flag, and their bytes read through the chunk cache.
import type { Readable } from 'node:stream';
import { createLogger } from '../log';
import { ChunkCache } from './chunk-cache';
import { ChunkRange } from './chunk-range';
import { ShfsError } from './errors';
import { containerProblem, toShfsEntry } from './entry-record';
import { containerChunks } from './format/geometry';
import { formatUuid, STRIPE_MODE_COMBINED } from './format/label';
import type { AssembleOptions } from './members';
import { ObjectReadStream } from './object-read-stream';
import { dateFromSeconds } from './timestamp';
import type { ChunkCacheStats, HashFunctionName, MountedVolume, ShfsEntry, ShfsMemberInfo, StripeMode } from './types';
import { closeVolumeLayout, openVolumeLayout, scanTable, type VolumeLayout } from './volume-layout';

const logger = createLogger('shfs');

export const DEFAULT_CACHE_SIZE_BYTES = 64 * 1024 * 1024;
/** Chunk reads `prefetchAll` keeps in flight. */
const PREFETCH_CONCURRENCY = 4;

export interface MountOptions {
  /** Upper bound of the chunk cache in bytes (default 64 MiB); 0 disables caching. */
  cacheSizeBytes?: number;
  /** Opens a member device; tests use it to wrap devices. */
  openDevice?: AssembleOptions['openDevice'];
  /** Try O_DIRECT (default true). */
  direct?: boolean;
}

/** A used table slot that the mounted volume does not serve, and why. */
export interface SkippedEntry {
  slot: number;
  name: string;
  digestHex: string;
  reason: string;
}

/**
 * Mounts the volume made of `paths` (its members, in any order). Entries
 * whose bytes cannot lie on the volume are skipped with a warning, and the
 * rest is served.
 */
export async function mountVolume(paths: readonly string[], options: MountOptions = {}): Promise<ShfsVolume> {
  const layout = await openVolumeLayout(paths, { writable: false, direct: options.direct, openDevice: options.openDevice });
  try {
    const entries: ShfsEntry[] = [];
    const skipped: SkippedEntry[] = [];
    const { volumeSize, chunkSize } = layout.volume;
    await scanTable(layout, (index, slot) => {
      const entry = toShfsEntry(index, slot, layout.config.hashLength);
      const reason = containerProblem(entry, volumeSize, chunkSize);
      if (reason === undefined) entries.push(entry);
      else skipped.push({ slot: index, name: entry.name, digestHex: entry.digestHex, reason });
    });
    const volume = new ShfsVolume(layout, entries, options.cacheSizeBytes ?? DEFAULT_CACHE_SIZE_BYTES, skipped);
    logger.debug(`mounted volume '${volume.name}' from ${paths.join(', ')}: ${entries.length} entries, chunk size ${volume.chunkSize}`);
    if (skipped.length > 0) {
      const first = skipped[0];
      logger.warn(
        `volume '${volume.name}': ${skipped.length} damaged ${skipped.length === 1 ? 'entry is' : 'entries are'} not served; ` +
          `the first is '${first.name}' (?${first.digestHex}) in slot ${first.slot}: ${first.reason}`,
      );
    }
    return volume;
  } catch (error) {
    await closeVolumeLayout(layout.volume);
    throw error;
  }
}

export class ShfsVolume implements MountedVolume {
  readonly name: string;
  readonly uuid: string;
  readonly createdAt: Date;
  readonly chunkSize: number;
  readonly volumeSize: number;
  readonly stripeMode: StripeMode;
  readonly stripeSize: number;
  readonly members: readonly ShfsMemberInfo[];
  readonly hashFunction: HashFunctionName;
  readonly hashLength: number;
  readonly bucketCount: number;
  readonly entriesPerBucket: number;
  readonly metadataChunks: number;
  /** The opened volume below the object level: label, configuration, chunk I/O. */
  readonly layout: VolumeLayout;
  /** Used slots that are not served because their objects cannot lie on the volume. */
  readonly skippedEntries: readonly SkippedEntry[];

  private readonly table: readonly ShfsEntry[];
  private readonly byDigest = new Map<string, ShfsEntry>();
  private readonly byName = new Map<string, ShfsEntry>();
  private readonly defaultObject: ShfsEntry | undefined;
  private readonly cache: ChunkCache;
  private unmounting: Promise<void> | undefined;
  private readonly loads = new Set<Promise<unknown>>();

  constructor(layout: VolumeLayout, entries: ShfsEntry[], cacheSizeBytes: number, skippedEntries: readonly SkippedEntry[] = []) {
    const { volume, config } = layout;
    this.layout = layout;
    this.skippedEntries = Object.freeze([...skippedEntries]);
    this.name = volume.header.volumeName.toString('utf8');
    this.uuid = formatUuid(volume.header.volumeUuid);
    this.createdAt = dateFromSeconds(volume.header.createdAt);
    this.chunkSize = volume.chunkSize;
    this.volumeSize = volume.volumeSize;
    this.stripeMode = volume.header.stripeMode === STRIPE_MODE_COMBINED ? 'combined' : 'independent';
    this.stripeSize = volume.header.stripeSize;
    this.members = volume.members.map((member) => ({
      path: member.path,
      uuid: formatUuid(member.uuid),
      size: member.device.size,
      blockDevice: member.device.blockDevice ?? false,
      direct: member.device.direct ?? false,
    }));
    this.hashFunction = layout.hashFunction.name;
    this.hashLength = config.hashLength;
    this.bucketCount = config.bucketCount;
    this.entriesPerBucket = config.entriesPerBucket;
    this.metadataChunks = layout.metadataChunks;

    this.table = Object.freeze(entries);
    let defaultObject: ShfsEntry | undefined;
    for (const entry of entries) {
      this.byDigest.set(entry.digestHex, entry);
      // The first entry of a name wins, as in the original's lookup by name.
      if (!this.byName.has(entry.name)) this.byName.set(entry.name, entry);
      // With several default flags (a damaged table) the last one wins, as in the original.
      if (entry.isDefault) defaultObject = entry;
    }
    this.defaultObject = defaultObject;

    const capacity = Math.max(0, Math.floor(cacheSizeBytes / this.chunkSize));
    this.cache = new ChunkCache(
      capacity,
      (chunk) => this.loadChunks(chunk, 1),
      (first, count) => this.loadChunks(first, count),
      this.chunkSize,
    );
  }

  entries(): readonly ShfsEntry[] {
    return this.table;
  }

  findByDigest(digest: Uint8Array): ShfsEntry | undefined {
    if (digest.length !== this.hashLength) return undefined;
    return this.byDigest.get(Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex'));
  }

  /** Looks up a digest given as hex text of exactly `hashLength` bytes, in either case. */
  findByDigestHex(text: string): ShfsEntry | undefined {
    if (text.length !== this.hashLength * 2 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
    return this.byDigest.get(text.toLowerCase());
  }

  findByName(name: string): ShfsEntry | undefined {
    return this.byName.get(name);
  }

  defaultEntry(): ShfsEntry | undefined {
    return this.defaultObject;
  }

  async read(entry: ShfsEntry, start: number, end: number): Promise<Buffer> {
    this.checkRange(entry, start, end);
    const range = this.chunkRange(entry, start, end);
    // All chunks are requested at once (one device read per run of misses), then copied in order.
    this.cache.prefetch(range.chunks());
    const chunks = await Promise.all(range.chunks().map((chunk) => this.cache.get(chunk)));
    const result = Buffer.allocUnsafe(end - start);
    let written = 0;
    for (let i = 0; i < chunks.length; i++) written += chunks[i].copy(result, written, range.from(i), range.to(i));
    return result;
  }

  createReadStream(entry: ShfsEntry, start = 0, end = entry.size): Readable {
    this.checkRange(entry, start, end);
    const cache = this.cache;
    return new ObjectReadStream(this.chunkRange(entry, start, end), {
      fetch: (chunk) => cache.get(chunk),
      prefetch: (chunks) => cache.prefetch(chunks),
      peek: (chunk) => cache.peek(chunk),
      countHit: (chunk) => cache.countHit(chunk),
      chunkSize: this.chunkSize,
    });
  }

  async prefetchAll(): Promise<void> {
    const wanted: number[] = [];
    const seen = new Set<number>();
    for (const entry of this.table) {
      if (entry.link) continue;
      const count = containerChunks(entry.offset, entry.size, this.chunkSize);
      for (let chunk = entry.chunk; chunk < entry.chunk + count && seen.size < this.cache.capacityChunks; chunk++) {
        if (!seen.has(chunk)) {
          seen.add(chunk);
          wanted.push(chunk);
        }
      }
    }

    // A few reads in flight keep the device busy without flooding the thread pool.
    let next = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const chunk = wanted[next++];
        await this.cache.get(chunk);
      }
    };
    await Promise.all(Array.from({ length: PREFETCH_CONCURRENCY }, worker));
  }

  cacheStats(): ChunkCacheStats {
    return this.cache.stats();
  }

  flushCache(): void {
    this.cache.flush();
  }

  /** Cached chunk numbers, least recently used first. */
  cachedChunks(): number[] {
    return this.cache.keys();
  }

  unmount(): Promise<void> {
    if (!this.unmounting) {
      this.unmounting = (async () => {
        await Promise.allSettled([...this.loads]);
        this.cache.flush();
        await closeVolumeLayout(this.layout.volume);
      })();
    }
    return this.unmounting;
  }

  get mounted(): boolean {
    return this.unmounting === undefined;
  }

  private async loadChunks(first: number, count: number): Promise<Buffer> {
    if (this.unmounting) throw new ShfsError('ENODEV', `volume '${this.name}' is unmounted`);
    const load = this.layout.io.readChunks(first, count);
    this.loads.add(load);
    try {
      const buffer = await load;
      if (this.unmounting) throw new ShfsError('ENODEV', `volume '${this.name}' is unmounted`);
      return buffer;
    } finally {
      this.loads.delete(load);
    }
  }

  private checkRange(entry: ShfsEntry, start: number, end: number): void {
    if (entry.link) {
      throw new ShfsError('EINVAL', `'${entry.name}' is a link and has no bytes on the volume`);
    }
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > entry.size) {
      throw new ShfsError('EINVAL', `invalid byte range ${start}..${end} of '${entry.name}' (${entry.size} bytes)`);
    }
  }

  private chunkRange(entry: ShfsEntry, start: number, end: number): ChunkRange {
    return new ChunkRange(entry.chunk, entry.offset, start, end, this.chunkSize);
  }

}
