// A Readable over an object's bytes that pushes views of cached chunks (no
// copy) one chunk at a time, reading a few chunks ahead, and waits while
// the consumer applies backpressure.
import { Readable } from 'node:stream';

/** Chunk reads requested ahead of the one being pushed. */
export const READ_AHEAD_CHUNKS = 2;

export interface ChunkPiece {
  chunk: number;
  /** Byte range inside the chunk. */
  from: number;
  to: number;
}

export class ObjectReadStream extends Readable {
  private next = 0;
  private readonly ahead: Array<Promise<Buffer>> = [];
  private pumping = false;

  constructor(
    private readonly pieces: readonly ChunkPiece[],
    private readonly fetchChunk: (chunk: number) => Promise<Buffer>,
  ) {
    super();
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

        const piece = this.pieces[this.next++];
        if (!this.push(chunk.subarray(piece.from, piece.to))) {
          this.pumping = false;
          return;
        }
      }
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  private fillReadAhead(): void {
    while (this.ahead.length <= READ_AHEAD_CHUNKS && this.next + this.ahead.length < this.pieces.length) {
      const fetch = this.fetchChunk(this.pieces[this.next + this.ahead.length].chunk);
      // A chunk read ahead may fail before it is awaited; pump() reports the error when it gets there.
      fetch.catch(() => undefined);
      this.ahead.push(fetch);
    }
  }
}
