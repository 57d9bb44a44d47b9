// The chunks that hold a byte range of an object, computed on demand: piece
// i is chunk firstChunk + i, from byte from(i) to byte to(i) of that chunk.
// No list is built, so a range of a large object costs nothing up front.

export class ChunkRange {
  /** Number of chunks (pieces) the range touches. */
  readonly length: number;
  private readonly firstChunk: number;
  private readonly startOffset: number;
  /** End of the range, counted from the start of the first chunk. */
  private readonly stopOffset: number;

  /**
   * The range [start, end) of an object whose bytes begin `offset` bytes
   * into chunk `chunk`.
   */
  constructor(
    chunk: number,
    offset: number,
    start: number,
    end: number,
    private readonly chunkSize: number,
  ) {
    const position = offset + start;
    const firstIndex = Math.floor(position / chunkSize);
    this.firstChunk = chunk + firstIndex;
    this.startOffset = position - firstIndex * chunkSize;
    this.stopOffset = offset + end - firstIndex * chunkSize;
    this.length = end > start ? Math.ceil(this.stopOffset / chunkSize) : 0;
  }

  chunk(index: number): number {
    return this.firstChunk + index;
  }

  /** First byte of piece `index` inside its chunk. */
  from(index: number): number {
    return index === 0 ? this.startOffset : 0;
  }

  /** End of piece `index` inside its chunk (exclusive). */
  to(index: number): number {
    return Math.min(this.chunkSize, this.stopOffset - index * this.chunkSize);
  }

  /** The chunk numbers of pieces [from, to). */
  chunks(from = 0, to = this.length): number[] {
    const chunks: number[] = [];
    for (let i = from; i < to; i++) chunks.push(this.firstChunk + i);
    return chunks;
  }
}
