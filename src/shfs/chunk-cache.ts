// The chunk cache of a mounted volume: least recently used chunks are
// evicted first, and concurrent readers of a chunk that is not cached share
// one device read.
import { LruMap } from './lru-map';
import type { ChunkCacheStats } from './types';

export type ChunkLoader = (chunk: number) => Promise<Buffer>;
/** Reads chunks [first, first + count) into one buffer, in chunk order. */
export type ChunkRunLoader = (first: number, count: number) => Promise<Buffer>;

/** Maximum bytes of a run of chunks that prefetch reads with one request. */
export const PREFETCH_RUN_MAX_BYTES = 1024 * 1024;

export class ChunkCache {
  /** Cached chunks in LRU order. */
  private readonly chunks = new LruMap<number, Buffer>();
  /**
   * The buffers behind cached chunks, with how many cached chunks each one
   * backs. Chunks read in one run share one buffer, which stays in memory
   * while any of them is cached, so the cache is bounded by the bytes of
   * these buffers, not by the number of chunks. (Loaders return buffers
   * that own their memory: aligned allocations, never Node's shared pool.)
   */
  private readonly backing = new Map<ArrayBufferLike, number>();
  private backingBytes = 0;
  private readonly inFlight = new Map<number, Promise<Buffer>>();
  /** Chunks read ahead by prefetch (counted as misses) and not used yet. */
  private readonly prefetched = new Set<number>();
  private hits = 0;
  private misses = 0;
  private reads = 0;
  private readErrors = 0;

  constructor(
    /** Chunks held at most; 0 disables caching but still shares reads in flight. */
    readonly capacityChunks: number,
    private readonly load: ChunkLoader,
    private readonly loadRun?: ChunkRunLoader,
    private readonly chunkSize = 0,
  ) {}

  /** Returns the chunk's buffer when it is cached now, without reading it or counting a hit (see countHit). */
  peek(chunk: number): Buffer | undefined {
    return this.chunks.get(chunk);
  }

  /** Counts the use of a chunk served through peek, like get() does. */
  countHit(chunk: number): void {
    if (!this.prefetched.delete(chunk)) this.hits += 1;
  }

  /**
   * Starts reading the given chunks that are neither cached nor being
   * read, with one request per run of consecutive chunk numbers. Later
   * get() calls join these reads. A failed run caches nothing; its error
   * reaches the get() calls for its chunks.
   */
  prefetch(chunks: readonly number[]): void {
    if (this.loadRun === undefined) return;
    // A run takes at most a quarter of the cache, so that the buffers of
    // several runs fit side by side.
    const maxRun = this.chunkSize > 0 ? Math.max(1, Math.min(Math.floor(PREFETCH_RUN_MAX_BYTES / this.chunkSize), Math.floor(this.capacityChunks / 4))) : 1;
    let runFirst = -1;
    let runCount = 0;
    for (const chunk of chunks) {
      const wanted = !this.chunks.has(chunk) && !this.inFlight.has(chunk);
      if (wanted && runCount > 0 && chunk === runFirst + runCount && runCount < maxRun) {
        runCount += 1;
        continue;
      }
      if (runCount > 0) this.startRun(runFirst, runCount);
      runFirst = wanted ? chunk : -1;
      runCount = wanted ? 1 : 0;
    }
    if (runCount > 0) this.startRun(runFirst, runCount);
  }

  private startRun(first: number, count: number): void {
    const loadRun = this.loadRun;
    if (loadRun === undefined) return;
    this.reads += 1;
    const run = loadRun(first, count);
    for (let i = 0; i < count; i++) {
      const chunk = first + i;
      this.misses += 1;
      this.prefetched.add(chunk);
      const loading = run.then(
        (buffer) => {
          const view = buffer.subarray(i * this.chunkSize, (i + 1) * this.chunkSize);
          if (this.inFlight.get(chunk) === loading) {
            this.inFlight.delete(chunk);
            this.insert(chunk, view);
          }
          return view;
        },
        (error: unknown) => {
          if (this.inFlight.get(chunk) === loading) this.inFlight.delete(chunk);
          this.prefetched.delete(chunk);
          if (i === 0) this.readErrors += 1;
          throw error;
        },
      );
      // The chunk may never be requested, so the failure is reported only to the get() calls that join this read.
      loading.catch(() => undefined);
      this.inFlight.set(chunk, loading);
    }
  }

  /**
   * Returns the chunk's buffer. Callers must not modify it: it is shared
   * with other readers. A failed load rejects every waiter and caches nothing.
   */
  get(chunk: number): Promise<Buffer> {
    // A chunk read ahead by prefetch was counted as a miss then; its first
    // use is not counted again.
    const prefetched = this.prefetched.delete(chunk);
    const cached = this.chunks.get(chunk);
    if (cached) {
      if (!prefetched) this.hits += 1;
      return Promise.resolve(cached);
    }

    if (!prefetched) this.misses += 1;
    const pending = this.inFlight.get(chunk);
    if (pending) return pending;

    this.reads += 1;
    const loading = this.load(chunk).then(
      (buffer) => {
        this.inFlight.delete(chunk);
        this.insert(chunk, buffer);
        return buffer;
      },
      (error: unknown) => {
        this.inFlight.delete(chunk);
        this.readErrors += 1;
        throw error;
      },
    );
    this.inFlight.set(chunk, loading);
    return loading;
  }

  has(chunk: number): boolean {
    return this.chunks.has(chunk);
  }

  get size(): number {
    return this.chunks.size;
  }

  get full(): boolean {
    return this.chunks.size >= this.capacityChunks;
  }

  /** Cached chunk numbers, least recently used first. */
  keys(): number[] {
    return this.chunks.keys();
  }

  /**
   * Drops every cached chunk. Buffers handed out earlier stay valid for their
   * holders, because buffers are never reused.
   */
  flush(): void {
    this.chunks.clear();
    this.prefetched.clear();
    this.backing.clear();
    this.backingBytes = 0;
  }

  /** Bytes of the buffers that hold the cached chunks. */
  get bytesHeld(): number {
    return this.backingBytes;
  }

  stats(): ChunkCacheStats {
    return {
      chunks: this.chunks.size,
      capacityChunks: this.capacityChunks,
      hits: this.hits,
      misses: this.misses,
      reads: this.reads,
      readErrors: this.readErrors,
    };
  }

  private insert(chunk: number, buffer: Buffer): void {
    if (this.capacityChunks === 0) return;
    const replaced = this.chunks.get(chunk);
    if (replaced !== undefined) this.release(replaced);
    this.chunks.set(chunk, buffer);
    const count = this.backing.get(buffer.buffer) ?? 0;
    if (count === 0) this.backingBytes += buffer.buffer.byteLength;
    this.backing.set(buffer.buffer, count + 1);

    const capacityBytes = this.capacityChunks * Math.max(this.chunkSize, buffer.length);
    while (this.chunks.size > 1 && (this.chunks.size > this.capacityChunks || this.backingBytes > capacityBytes)) {
      const evicted = this.chunks.evictOldestEntry();
      if (evicted === undefined) break;
      this.prefetched.delete(evicted[0]);
      this.release(evicted[1]);
    }
  }

  private release(buffer: Buffer): void {
    const count = this.backing.get(buffer.buffer) ?? 0;
    if (count <= 1) {
      this.backing.delete(buffer.buffer);
      this.backingBytes -= buffer.buffer.byteLength;
    } else {
      this.backing.set(buffer.buffer, count - 1);
    }
  }
}
