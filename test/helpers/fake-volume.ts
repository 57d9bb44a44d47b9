// An in-memory MountedVolume for tests of the HTTP server and µShell: objects
// are buffers, digests are SHA-256 prefixes, and reads can be delayed or made
// to fail at a chosen byte to exercise the error paths.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  ChunkCacheStats,
  HashFunctionName,
  MountedVolume,
  ShfsEntry,
  ShfsLink,
  ShfsMemberInfo,
  StripeMode,
} from '../../src/shfs/types';

export interface FakeObject {
  name: string;
  data?: Buffer | string;
  mime?: string;
  encoding?: string;
  createdAt?: Date;
  hidden?: boolean;
  isDefault?: boolean;
  link?: ShfsLink;
  /** Hex digest to store instead of the SHA-256 of the data. */
  digestHex?: string;
}

export interface FakeVolumeOptions {
  name?: string;
  hashLength?: number;
  chunkSize?: number;
  createdAt?: Date;
  members?: ShfsMemberInfo[];
}

/** A read that fails once the given object byte is reached. */
export interface ReadFault {
  name: string;
  offset: number;
}

export const FAKE_VOLUME_UUID = '3f1b0d3e-5b8c-4c52-9a51-0f7e4b1c2d3e';

export class FakeVolume implements MountedVolume {
  readonly name: string;
  readonly uuid = FAKE_VOLUME_UUID;
  readonly createdAt: Date;
  readonly chunkSize: number;
  readonly volumeSize = 2048;
  readonly stripeMode: StripeMode = 'independent';
  readonly stripeSize = 4096;
  readonly members: readonly ShfsMemberInfo[];
  readonly hashFunction: HashFunctionName = 'sha';
  readonly hashLength: number;
  readonly bucketCount = 64;
  readonly entriesPerBucket = 4;
  readonly metadataChunks = 3;

  /** Delay of every read, in milliseconds. */
  readDelayMs = 0;
  readFault: ReadFault | undefined;
  /** Number of read() calls, including those made by streams. */
  readCalls = 0;
  openStreams = 0;
  destroyedStreams = 0;
  flushes = 0;
  prefetchAllCalls = 0;
  unmounted = false;

  private readonly list: ShfsEntry[] = [];
  private readonly contents = new Map<ShfsEntry, Buffer>();
  private cacheHits = 0;
  private cacheMisses = 0;

  constructor(objects: readonly FakeObject[], options: FakeVolumeOptions = {}) {
    this.name = options.name ?? 'TestVol';
    this.hashLength = options.hashLength ?? 32;
    this.chunkSize = options.chunkSize ?? 4096;
    this.createdAt = options.createdAt ?? new Date(Date.UTC(2024, 0, 15, 9, 30, 0));
    this.members = options.members ?? [
      { path: '/var/lib/minicache/test.img', uuid: '0a1b2c3d-0000-4000-8000-000000000001', size: 8 * 1024 * 1024, blockDevice: false, direct: true },
    ];

    let chunk = this.metadataChunks;
    objects.forEach((object, slot) => {
      const data = object.link !== undefined ? Buffer.alloc(0) : Buffer.from(object.data ?? '');
      const digestHex = object.digestHex ?? digestOf(object, data, this.hashLength);
      const size = data.length;
      const entry: ShfsEntry = {
        slot,
        digest: Buffer.from(digestHex, 'hex'),
        digestHex,
        name: object.name,
        mime: object.mime ?? '',
        encoding: object.encoding ?? '',
        size,
        chunk: object.link !== undefined ? 0 : chunk,
        offset: 0,
        createdAt: object.createdAt ?? new Date(Date.UTC(2024, 0, 15, 10, 0, 0)),
        hidden: object.hidden ?? false,
        isDefault: object.isDefault ?? false,
        link: object.link,
      };
      if (object.link === undefined) chunk += Math.ceil(size / this.chunkSize);
      this.list.push(entry);
      this.contents.set(entry, data);
    });
  }

  entries(): readonly ShfsEntry[] {
    return this.list;
  }

  findByDigest(digest: Uint8Array): ShfsEntry | undefined {
    const hex = Buffer.from(digest).toString('hex');
    return this.list.find((entry) => entry.digestHex === hex);
  }

  findByDigestHex(text: string): ShfsEntry | undefined {
    if (text.length !== this.hashLength * 2 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
    const hex = text.toLowerCase();
    return this.list.find((entry) => entry.digestHex === hex);
  }

  findByName(name: string): ShfsEntry | undefined {
    return this.list.find((entry) => entry.name === name);
  }

  defaultEntry(): ShfsEntry | undefined {
    return this.list.find((entry) => entry.isDefault);
  }

  /** Returns the entry with this name; throws when there is none, which is a test setup error. */
  entry(name: string): ShfsEntry {
    const entry = this.findByName(name);
    if (entry === undefined) throw new Error(`fake volume has no object named ${name}`);
    return entry;
  }

  async read(entry: ShfsEntry, start: number, end: number): Promise<Buffer> {
    this.readCalls++;
    const data = this.contents.get(entry);
    if (data === undefined) throw new Error(`entry ${entry.name} is not on this volume`);
    if (start < 0 || end > data.length || start > end) throw new RangeError(`invalid read [${start}, ${end}) of ${entry.name}`);
    if (this.readDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.readDelayMs));
    if (this.unmounted) throw Object.assign(new Error('volume is unmounted'), { code: 'EIO' });

    const fault = this.readFault;
    if (fault !== undefined && fault.name === entry.name && start <= fault.offset && fault.offset < end) {
      throw Object.assign(new Error(`I/O error reading ${entry.name} at byte ${fault.offset}`), { code: 'EIO' });
    }
    this.cacheMisses++;
    return Buffer.from(data.subarray(start, end));
  }

  createReadStream(entry: ShfsEntry, start = 0, end = entry.size): Readable {
    let position = start;
    this.openStreams++;
    const stream = new Readable({
      read: () => {
        if (position >= end) {
          stream.push(null);
          return;
        }
        // Chunk boundaries are relative to the object start, as on a volume.
        const chunkEnd = Math.min(end, (Math.floor(position / this.chunkSize) + 1) * this.chunkSize);
        const from = position;
        position = chunkEnd;
        this.read(entry, from, chunkEnd).then(
          (bytes) => {
            if (!stream.destroyed) stream.push(bytes);
          },
          (error: Error) => stream.destroy(error),
        );
      },
    });
    stream.once('close', () => {
      this.openStreams--;
      if (position < end || !stream.readableEnded) this.destroyedStreams++;
    });
    return stream;
  }

  async prefetchAll(): Promise<void> {
    this.prefetchAllCalls++;
  }

  cacheStats(): ChunkCacheStats {
    return { chunks: 12, capacityChunks: 256, hits: this.cacheHits, misses: this.cacheMisses, reads: this.readCalls, readErrors: 0 };
  }

  flushCache(): void {
    this.flushes++;
  }

  async unmount(): Promise<void> {
    this.unmounted = true;
  }
}

function digestOf(object: FakeObject, data: Buffer, hashLength: number): string {
  const hash = createHash('sha256');
  if (object.link !== undefined) hash.update(`${object.link.type}:${object.link.host}:${object.link.port}/${object.link.path}`);
  else hash.update(data);
  const full = hash.digest();
  const digest = Buffer.alloc(hashLength);
  full.copy(digest, 0, 0, Math.min(hashLength, full.length));
  return digest.toString('hex');
}
