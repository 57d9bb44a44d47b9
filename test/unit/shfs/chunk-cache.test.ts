import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { BlockDevice, type BlockDeviceOptions } from '../../../src/blk/block-device';
import { ChunkCache } from '../../../src/shfs/chunk-cache';
import type { MemberDevice } from '../../../src/shfs/members';
import { mountVolume } from '../../../src/shfs/volume';
import { extractImage, makeTempDir, removeTempDir, sourceFile } from './fixture-images';

/** A device that counts chunk reads and fails the ones a test asks for. */
class InstrumentedDevice implements MemberDevice {
  chunkReads = 0;
  failPositions = new Set<number>();
  private readonly inner: BlockDevice;

  constructor(path: string, options: BlockDeviceOptions) {
    this.inner = BlockDevice.open(path, options);
  }

  get path(): string {
    return this.inner.path;
  }
  get size(): number {
    return this.inner.size;
  }
  get alignment(): number {
    return this.inner.alignment;
  }
  read(position: number, length: number): Promise<Buffer> {
    return this.inner.read(position, length);
  }
  async readInto(target: Buffer, offset: number, length: number, position: number): Promise<void> {
    this.chunkReads += 1;
    // A read fails when its range covers a failing position (reads ahead span several chunks).
    for (const failing of this.failPositions) {
      if (failing >= position && failing < position + length) {
        throw Object.assign(new Error(`${this.path}: read failed at byte ${failing}: Input/output error`), { code: 'EIO' });
      }
    }
    return this.inner.readInto(target, offset, length, position);
  }
  write(position: number, data: Uint8Array): Promise<void> {
    return this.inner.write(position, data);
  }
  sync(): Promise<void> {
    return this.inner.sync();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A one-byte chunk in a buffer of its own (Buffer.from would share Node's pool, which the cache counts whole). */
function chunkOf(value: number): Buffer {
  return Buffer.alloc(1, value);
}

describe('shfs chunk cache', () => {
  it('evicts the least recently used chunk', async () => {
    const cache = new ChunkCache(3, async (chunk) => chunkOf(chunk));
    for (const chunk of [1, 2, 3]) await cache.get(chunk);
    await cache.get(1);
    await cache.get(4);
    assert.deepEqual(cache.keys(), [3, 1, 4]);
  });

  it('stays within its capacity', async () => {
    const cache = new ChunkCache(4, async (chunk) => chunkOf(chunk));
    for (let chunk = 1; chunk <= 20; chunk++) await cache.get(chunk);
    assert.equal(cache.size, 4);
    assert.deepEqual(cache.keys(), [17, 18, 19, 20]);
    assert.equal(cache.stats().chunks, 4);
  });

  it('shares one load among concurrent misses', async () => {
    let loads = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cache = new ChunkCache(8, async (chunk) => {
      loads += 1;
      await gate;
      return chunkOf(chunk);
    });
    const readers = [cache.get(5), cache.get(5), cache.get(5)];
    release();
    const buffers = await Promise.all(readers);
    assert.equal(loads, 1);
    assert.equal(buffers[0], buffers[1]);
    assert.deepEqual(cache.stats(), { chunks: 1, capacityChunks: 8, hits: 0, misses: 3, reads: 1, readErrors: 0 });
  });

  it('counts hits', async () => {
    const cache = new ChunkCache(8, async (chunk) => chunkOf(chunk));
    await cache.get(1);
    await cache.get(1);
    await cache.get(1);
    assert.equal(cache.stats().hits, 2);
    assert.equal(cache.stats().reads, 1);
  });

  it('caches nothing after a failed load', async () => {
    let fail = true;
    const cache = new ChunkCache(8, async (chunk) => {
      if (fail) throw Object.assign(new Error('boom'), { code: 'EIO' });
      return chunkOf(chunk);
    });
    await assert.rejects(Promise.all([cache.get(2), cache.get(2)]), { code: 'EIO' });
    assert.equal(cache.has(2), false);
    fail = false;
    assert.deepEqual(await cache.get(2), chunkOf(2));
    assert.equal(cache.stats().readErrors, 1);
  });

  it('shares reads in flight with capacity 0', async () => {
    let loads = 0;
    const cache = new ChunkCache(0, async (chunk) => {
      loads += 1;
      return chunkOf(chunk);
    });
    await Promise.all([cache.get(1), cache.get(1)]);
    await cache.get(1);
    assert.equal(loads, 2);
    assert.equal(cache.size, 0);
  });

  it('flushes every chunk', async () => {
    const cache = new ChunkCache(8, async (chunk) => chunkOf(chunk));
    await cache.get(1);
    await cache.get(2);
    cache.flush();
    assert.equal(cache.size, 0);
  });

  describe('on a mounted volume', () => {
    let dir: string;
    let image: string;
    let device: InstrumentedDevice | undefined;

    const mountInstrumented = (cacheSizeBytes?: number) =>
      mountVolume([image], {
        cacheSizeBytes,
        openDevice: (path, options) => (device = new InstrumentedDevice(path, options)),
      });

    before(() => {
      dir = makeTempDir();
      image = extractImage(dir, 'mixed');
    });

    after(() => removeTempDir(dir));

    it('reads a chunk once for concurrent readers', async () => {
      const volume = await mountInstrumented();
      try {
        const entry = volume.findByName('readme')!;
        const before = device!.chunkReads;
        const results = await Promise.all([volume.read(entry, 0, 10), volume.read(entry, 5, 50), volume.read(entry, 0, 180)]);
        assert.equal(device!.chunkReads - before, 1);
        assert.deepEqual(results[2], fs.readFileSync(sourceFile('notes.txt')));
        assert.equal(volume.cacheStats().reads, 1);
        assert.equal(volume.cacheStats().misses, 3);
      } finally {
        await volume.unmount();
      }
    });

    it('bounds the cache by cacheSizeBytes', async () => {
      const volume = await mountInstrumented(10 * 4096);
      try {
        const entry = volume.findByName('big.bin')!;
        await volume.read(entry, 0, entry.size);
        assert.equal(volume.cacheStats().capacityChunks, 10);
        assert.equal(volume.cacheStats().chunks, 10);
        // The chunks are read in runs of at most a quarter of the cache, which
        // finish in any order; the cache keeps 10 chunks of big.bin (18..91).
        for (const chunk of volume.cachedChunks()) assert.ok(chunk >= 18 && chunk <= 91, `chunk ${chunk}`);
        const cache = (volume as unknown as { cache: { bytesHeld: number } }).cache;
        assert.ok(cache.bytesHeld <= 10 * 4096, `${cache.bytesHeld} bytes held`);
      } finally {
        await volume.unmount();
      }
    });

    it('surfaces a device error as EIO', async () => {
      const volume = await mountInstrumented();
      try {
        const entry = volume.findByName('big.bin')!;
        device!.failPositions.add(20 * 4096);
        await assert.rejects(volume.read(entry, 0, entry.size), (error: NodeJS.ErrnoException) => {
          assert.equal(error.code, 'EIO');
          assert.match(error.message, /read failed at byte 81920/);
          return true;
        });
        assert.equal(volume.cacheStats().readErrors, 1);

        device!.failPositions.clear();
        assert.deepEqual(await volume.read(entry, 0, entry.size), fs.readFileSync(sourceFile('big.bin')));
      } finally {
        await volume.unmount();
      }
    });

    it('fails a stream with EIO', async () => {
      const volume = await mountInstrumented();
      try {
        const entry = volume.findByName('big.bin')!;
        device!.failPositions.add(40 * 4096);
        const stream = volume.createReadStream(entry);
        await assert.rejects(
          (async () => {
            for await (const piece of stream) void piece;
          })(),
          { code: 'EIO' },
        );
      } finally {
        await volume.unmount();
      }
    });

    it('counts run buffers against its capacity', async () => {
      // 16 chunks of capacity; a stream reads big.bin (74 chunks) in one 296 KiB run.
      const volume = await mountInstrumented(16 * 4096);
      try {
        const entry = volume.findByName('big.bin')!;
        for await (const piece of volume.createReadStream(entry)) void piece;
        const cache = (volume as unknown as { cache: { bytesHeld: number } }).cache;
        assert.ok(cache.bytesHeld <= 16 * 4096 || volume.cacheStats().chunks <= 1, `${cache.bytesHeld} bytes held for ${volume.cacheStats().chunks} chunks`);
      } finally {
        await volume.unmount();
      }
    });

    it('streams a cold object in one run', async () => {
      const volume = await mountInstrumented();
      try {
        const entry = volume.findByName('big.bin')!;
        const before = device!.chunkReads;
        const pieces: Buffer[] = [];
        for await (const piece of volume.createReadStream(entry)) pieces.push(piece as Buffer);
        // 74 contiguous chunks of 4 KiB: one device read, pushed in views of up to 256 KiB.
        assert.equal(device!.chunkReads - before, 1);
        assert.ok(pieces.length <= 3, `${pieces.length} pieces`);
        // Every chunk came from the device: 74 misses and no hits.
        assert.equal(volume.cacheStats().misses, 74);
        assert.equal(volume.cacheStats().hits, 0);
        // A second stream finds them all cached.
        for await (const piece of volume.createReadStream(entry)) void piece;
        assert.equal(volume.cacheStats().misses, 74);
        assert.equal(volume.cacheStats().hits, 74);
        assert.deepEqual(Buffer.concat(pieces), fs.readFileSync(sourceFile('big.bin')));
      } finally {
        await volume.unmount();
      }
    });

    it('prefetches every object chunk', async () => {
      const volume = await mountInstrumented();
      try {
        await volume.prefetchAll();
        // big.bin 74 chunks, readme 1, exact16k.bin 4 (empty.txt has none).
        assert.equal(volume.cacheStats().chunks, 79);
        const before = device!.chunkReads;
        await volume.read(volume.findByName('exact16k.bin')!, 0, 16384);
        assert.equal(device!.chunkReads, before);
      } finally {
        await volume.unmount();
      }
    });

    it('stops prefetching at capacity', async () => {
      const volume = await mountInstrumented(8 * 4096);
      try {
        await volume.prefetchAll();
        assert.equal(volume.cacheStats().chunks, 8);
        assert.equal(volume.cacheStats().reads, 8);
      } finally {
        await volume.unmount();
      }
    });

    it('streams with backpressure', async () => {
      const volume = await mountInstrumented();
      try {
        const entry = volume.findByName('big.bin')!;
        const stream = volume.createReadStream(entry, 100, 290000);
        const iterator = stream[Symbol.asyncIterator]();
        const pieces: Buffer[] = [(await iterator.next()).value as Buffer];

        // While the consumer waits, the stream stops after its buffer and the read-ahead are full.
        await new Promise((resolve) => setTimeout(resolve, 30));
        const readsWhilePaused = device!.chunkReads;
        assert.ok(readsWhilePaused < 12, `read ${readsWhilePaused} of 71 chunks while paused`);

        for (let next = await iterator.next(); !next.done; next = await iterator.next()) pieces.push(next.value as Buffer);
        assert.deepEqual(Buffer.concat(pieces), fs.readFileSync(sourceFile('big.bin')).subarray(100, 290000));
      } finally {
        await volume.unmount();
      }
    });

    it('streams an empty object', async () => {
      const volume = await mountInstrumented();
      try {
        const pieces: Buffer[] = [];
        for await (const piece of volume.createReadStream(volume.findByName('empty.txt')!)) pieces.push(piece as Buffer);
        assert.equal(Buffer.concat(pieces).length, 0);
      } finally {
        await volume.unmount();
      }
    });
  });
});
