// The chunk cache of a mounted volume: least recently used chunks are
// evicted first, and concurrent readers of a chunk that is not cached share
// one device read.
import type { ChunkCacheStats } from './types';

export type ChunkLoader = (chunk: number) => Promise<Buffer>;

export class ChunkCache {
  /** Cached chunks; Map iteration order is the LRU order, oldest first. */
  private readonly chunks = new Map<number, Buffer>();
  private readonly inFlight = new Map<number, Promise<Buffer>>();
  private hits = 0;
  private misses = 0;
  private reads = 0;
  private readErrors = 0;

  constructor(
    /** Chunks held at most; 0 disables caching but still shares reads in flight. */
    readonly capacityChunks: number,
    private readonly load: ChunkLoader,
  ) {}

  /**
   * Returns the chunk's buffer. Callers must not modify it: it is shared
   * with other readers. A failed load rejects every waiter and caches nothing.
   */
  get(chunk: number): Promise<Buffer> {
    const cached = this.chunks.get(chunk);
    if (cached) {
      this.hits += 1;
      this.chunks.delete(chunk);
      this.chunks.set(chunk, cached);
      return Promise.resolve(cached);
    }

    this.misses += 1;
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
    return [...this.chunks.keys()];
  }

  /**
   * Drops every cached chunk. Buffers handed out earlier stay valid for their
   * holders, because buffers are never reused.
   */
  flush(): void {
    this.chunks.clear();
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
    this.chunks.set(chunk, buffer);
    while (this.chunks.size > this.capacityChunks) {
      const oldest = this.chunks.keys().next().value as number;
      this.chunks.delete(oldest);
    }
  }
}
