// Data written by the application and not yet acknowledged by the peer.
// Chunks are kept as written, never copied: segments reference them
// through views, so a chunk must not change until the peer acknowledges it.

const COMPACT_THRESHOLD_CHUNKS = 64;

export class SendBuffer {
  private chunks: Uint8Array[] = [];
  /** Stream position (bytes since the connection began) of each chunk's first byte. */
  private starts: number[] = [];
  private head = 0;
  /** Stream position of the first byte still buffered. */
  private start = 0;
  /** Stream position one past the last byte written. */
  private end = 0;
  /** Chunk index where the last lookup ended; sending walks forward from it. */
  private cursor = 0;

  /** Bytes buffered: sent but unacknowledged, plus not yet sent. */
  get length(): number {
    return this.end - this.start;
  }

  /** Appends a chunk without copying it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.starts.push(this.end);
    this.end += chunk.length;
  }

  /** Drops `bytes` from the front once the peer has acknowledged them. */
  acknowledge(bytes: number): void {
    if (bytes <= 0) return;
    if (bytes > this.length) throw new RangeError(`cannot acknowledge ${bytes} bytes of a ${this.length}-byte send buffer`);
    this.start += bytes;
    while (this.head < this.chunks.length && this.starts[this.head] + this.chunks[this.head].length <= this.start) {
      this.head++;
    }
    if (this.cursor < this.head) this.cursor = this.head;
    if (this.head >= COMPACT_THRESHOLD_CHUNKS && this.head * 2 >= this.chunks.length) this.compact();
  }

  /**
   * Appends to `out` views of the bytes [offset, offset + length) counted
   * from the first buffered byte. A chunk covered whole is appended itself.
   */
  collect(offset: number, length: number, out: Uint8Array[]): void {
    if (offset < 0 || length < 0 || offset + length > this.length) {
      throw new RangeError(`range ${offset}+${length} is outside the ${this.length}-byte send buffer`);
    }
    let position = this.start + offset;
    let remaining = length;
    let index = this.find(position);
    while (remaining > 0) {
      const chunk = this.chunks[index];
      const chunkStart = this.starts[index];
      const from = position - chunkStart;
      const take = Math.min(chunk.length - from, remaining);
      out.push(from === 0 && take === chunk.length ? chunk : chunk.subarray(from, from + take));
      position += take;
      remaining -= take;
      if (remaining > 0) index++;
    }
    this.cursor = index;
  }

  /** Copies bytes [offset, offset + length) into one new array; for tests and diagnostics. */
  read(offset: number, length: number): Uint8Array {
    const views: Uint8Array[] = [];
    this.collect(offset, length, views);
    const result = new Uint8Array(length);
    let at = 0;
    for (const view of views) {
      result.set(view, at);
      at += view.length;
    }
    return result;
  }

  /** Index of the chunk that contains stream position `position`. */
  private find(position: number): number {
    const cursor = this.cursor;
    if (cursor < this.chunks.length && this.contains(cursor, position)) return cursor;
    if (cursor + 1 < this.chunks.length && this.contains(cursor + 1, position)) return cursor + 1;

    let low = this.head;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.starts[middle] <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  private contains(index: number, position: number): boolean {
    const start = this.starts[index];
    return index >= this.head && start <= position && position < start + this.chunks[index].length;
  }

  private compact(): void {
    this.chunks = this.chunks.slice(this.head);
    this.starts = this.starts.slice(this.head);
    this.cursor = Math.max(0, this.cursor - this.head);
    this.head = 0;
  }
}
