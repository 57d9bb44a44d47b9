// Chunk transfers on a volume: a run of chunks is split into its stripes on
// the members (see stripeExtents) and each contiguous piece becomes one
// device transfer.
import { allocAlignedForRead } from '../blk/block-device';
import { ShfsError, ioError } from './errors';
import { chunkSizeOf, coalesceExtents, stripeExtents, type StripeExtent, type StripeLayout } from './format/geometry';
import type { MemberDevice } from './members';

/** Alignment of the buffers this module allocates; it suits O_DIRECT on files and every common sector size. */
export const BUFFER_ALIGNMENT = 4096;

export class ChunkIO {
  readonly chunkSize: number;

  constructor(
    private readonly devices: readonly MemberDevice[],
    private readonly layout: StripeLayout,
    /** Volume size in chunks; transfers beyond it are rejected. */
    readonly volumeSize: number,
  ) {
    this.chunkSize = chunkSizeOf(layout);
  }

  /** Reads chunks [first, first + count) into `target` (allocated, aligned, when not given). */
  async readChunks(first: number, count: number, target?: Buffer): Promise<Buffer> {
    this.checkRun(first, count);
    const buffer = target ?? allocAlignedForRead(count * this.chunkSize, BUFFER_ALIGNMENT);
    const extents = coalesceExtents(stripeExtents(this.layout, first, count));
    try {
      await Promise.all(
        extents.map((extent) => this.devices[extent.member].readInto(buffer, extent.bufferOffset, extent.length, extent.position)),
      );
    } catch (error) {
      throw ioError(error);
    }
    return buffer;
  }

  /** Writes `data` (a whole number of chunks) to the chunks starting at `first`. */
  async writeChunks(first: number, data: Buffer): Promise<void> {
    if (data.length % this.chunkSize !== 0) {
      throw new RangeError(`chunk writes take whole chunks, got ${data.length} bytes`);
    }
    const count = data.length / this.chunkSize;
    this.checkRun(first, count);

    try {
      await Promise.all(
        gatherRuns(stripeExtents(this.layout, first, count)).map((run) => {
          const device = this.devices[run[0].member];
          if (run.length === 1) {
            const extent = run[0];
            return device.write(extent.position, data.subarray(extent.bufferOffset, extent.bufferOffset + extent.length));
          }
          // Stripes that follow each other on the member but not in the buffer are copied together first.
          const gathered = Buffer.concat(run.map((extent) => data.subarray(extent.bufferOffset, extent.bufferOffset + extent.length)));
          return device.write(run[0].position, gathered);
        }),
      );
    } catch (error) {
      throw ioError(error);
    }
  }

  /** Reads `length` bytes at byte `offset` of one chunk; the range must lie inside one stripe. */
  async readInChunk(chunk: number, offset: number, length: number): Promise<Buffer> {
    const { device, position } = this.locate(chunk, offset, length);
    try {
      return await device.read(position, length);
    } catch (error) {
      throw ioError(error);
    }
  }

  /** Writes `data` at byte `offset` of one chunk with one device transfer; the range must lie inside one stripe. */
  async writeInChunk(chunk: number, offset: number, data: Uint8Array): Promise<void> {
    const { device, position } = this.locate(chunk, offset, data.length);
    try {
      await device.write(position, data);
    } catch (error) {
      throw ioError(error);
    }
  }

  async sync(): Promise<void> {
    try {
      await Promise.all(this.devices.map((device) => device.sync()));
    } catch (error) {
      throw ioError(error);
    }
  }

  private locate(chunk: number, offset: number, length: number): { device: MemberDevice; position: number } {
    this.checkRun(chunk, 1);
    const stripe = Math.floor(offset / this.layout.stripeSize);
    if (offset < 0 || length < 0 || Math.floor((offset + Math.max(length, 1) - 1) / this.layout.stripeSize) !== stripe) {
      throw new RangeError(`bytes ${offset}..${offset + length} of chunk ${chunk} do not lie inside one stripe`);
    }
    const extent = stripeExtents(this.layout, chunk, 1).find((piece) => piece.bufferOffset === stripe * this.layout.stripeSize);
    if (!extent) throw new RangeError(`byte ${offset} lies outside chunk ${chunk}`);
    return { device: this.devices[extent.member], position: extent.position + (offset - extent.bufferOffset) };
  }

  private checkRun(first: number, count: number): void {
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 1 || count < 0 || first + count > this.volumeSize) {
      throw new ShfsError('EIO', `chunks ${first}..${first + count - 1} lie outside the volume (chunks 1..${this.volumeSize - 1})`);
    }
  }
}

/** Groups extents into runs that are contiguous on one member, in position order. */
function gatherRuns(extents: StripeExtent[]): StripeExtent[][] {
  const sorted = coalesceExtents(extents);
  const runs: StripeExtent[][] = [];
  for (const extent of sorted) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (last && last.member === extent.member && last.position + last.length === extent.position) {
      run.push(extent);
    } else {
      runs.push([extent]);
    }
  }
  return runs;
}
