// A Readable over an object's bytes that pushes views of cached chunks (no
// copy), reading ahead and waiting while the consumer applies backpressure.
// Chunks read ahead are requested in runs, so a cold object is read with
// large device transfers; consecutive chunks that lie next to each other in
// one buffer (chunks of one run) are pushed as one view, so a warm object
// reaches the consumer in large pieces.
import { Readable } from 'node:stream';
import type { ChunkRange } from './chunk-range';

/** Chunk reads awaited ahead of the one being pushed. */
export const READ_AHEAD_CHUNKS = 2;
/** Bytes requested ahead of the consumer, in runs of chunks. */
export const READ_AHEAD_BYTES = 1024 * 1024;
/** Largest view pushed at once when consecutive chunks share a buffer. */
export const MAX_PUSH_BYTES = 256 * 1024;

export interface ChunkSource {
  /** Resolves with the chunk's buffer, reading it when it is not cached. */
  fetch(chunk: number): Promise<Buffer>;
  /** Starts reading the chunks that are neither cached nor being read, in runs. */
  prefetch?(chunks: readonly number[]): void;
  /** The chunk's buffer when it is cached now. */
  peek?(chunk: number): Buffer | undefined;
  /** Counts the use of a chunk served through peek without a fetch. */
  countHit?(chunk: number): void;
  chunkSize: number;
}

export class ObjectReadStream extends Readable {
  private next = 0;
  private readonly ahead: Array<Promise<Buffer>> = [];
  private pumping = false;
  /** Pieces before this index have been handed to source.prefetch. */
  private prefetchedUpTo = 0;
  private readonly prefetchPieces: number;

  constructor(
    private readonly pieces: ChunkRange,
    private readonly source: ChunkSource,
  ) {
    super();
    this.prefetchPieces = Math.max(READ_AHEAD_CHUNKS + 1, Math.ceil(READ_AHEAD_BYTES / source.chunkSize));
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.next >= this.pieces.length) {
          this.push(null);
          return;
        }
        this.fillReadAhead();
        const chunk = await this.ahead.shift()!;
        if (this.destroyed) return;

        const index = this.next++;
        if (!this.push(this.coalesce(chunk.subarray(this.pieces.from(index), this.pieces.to(index))))) {
          this.pumping = false;
          return;
        }
      }
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  /**
   * Extends `view` over the following pieces while their chunks are cached
   * and continue it in the same buffer, up to MAX_PUSH_BYTES.
   */
  private coalesce(view: Buffer): Buffer {
    const peek = this.source.peek;
    if (peek === undefined) return view;
    const start = view.byteOffset;
    let end = view.byteOffset + view.length;
    while (this.next < this.pieces.length && end - start < MAX_PUSH_BYTES) {
      const index = this.next;
      const chunk = peek.call(this.source, this.pieces.chunk(index));
      if (chunk === undefined || chunk.buffer !== view.buffer || chunk.byteOffset + this.pieces.from(index) !== end) break;
      end = chunk.byteOffset + this.pieces.to(index);
      this.next++;
      // The read-ahead fetch of the piece taken over already counted it;
      // a piece beyond the fetched ones is a hit served here.
      if (this.ahead.shift() === undefined) this.source.countHit?.(this.pieces.chunk(index));
    }
    if (end === view.byteOffset + view.length) return view;
    return Buffer.from(view.buffer, start, end - start);
  }

  private fillReadAhead(): void {
    const prefetch = this.source.prefetch;
    if (prefetch !== undefined && this.prefetchedUpTo - this.next < this.prefetchPieces / 2) {
      const from = Math.max(this.prefetchedUpTo, this.next);
      const to = Math.min(this.pieces.length, this.next + this.prefetchPieces);
      if (to > from) {
        prefetch.call(this.source, this.pieces.chunks(from, to));
        this.prefetchedUpTo = to;
      }
    }
    while (this.ahead.length <= READ_AHEAD_CHUNKS && this.next + this.ahead.length < this.pieces.length) {
      const fetch = this.source.fetch(this.pieces.chunk(this.next + this.ahead.length));
      // A chunk read ahead may fail before it is awaited; pump() reports the error when it gets there.
      fetch.catch(() => undefined);
      this.ahead.push(fetch);
    }
  }
}
