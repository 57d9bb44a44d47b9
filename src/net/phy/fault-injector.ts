// Wraps a frame device and damages what it sends: drop, duplicate, reorder,
// corrupt and rate-limit, each with its own probability, from a seed so a
// failing run can be replayed. Wrap both ends of a link to damage both
// directions.
import type { Clock } from '../clock';
import { flattenFrame, type FrameDevice, type FrameReceiver, type OutgoingFrame } from './device';
import { SeededRandom } from './seeded-random';

export interface FaultOptions {
  seed: number;
  /** Probability that a frame is dropped. */
  dropRate?: number;
  /** Probability that a frame is sent twice. */
  duplicateRate?: number;
  /** Probability that a frame is held back and sent after the next one. */
  reorderRate?: number;
  /** Probability that one random byte of a frame is flipped. */
  corruptRate?: number;
  /** Frames per second allowed through; the rest of each second's frames are dropped. Needs `clock`. */
  rateLimitFramesPerSecond?: number;
  clock?: Clock;
}

export interface FaultCounters {
  sent: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  rateLimited: number;
}

export class FaultInjector implements FrameDevice {
  readonly counters: FaultCounters = { sent: 0, dropped: 0, duplicated: 0, reordered: 0, corrupted: 0, rateLimited: 0 };
  private readonly random: SeededRandom;
  private held: Uint8Array | undefined;
  private windowStartMs = 0;
  private framesInWindow = 0;

  constructor(
    private readonly inner: FrameDevice,
    private readonly options: FaultOptions,
  ) {
    this.random = new SeededRandom(options.seed);
    if (options.rateLimitFramesPerSecond !== undefined && options.clock === undefined) {
      throw new Error('rateLimitFramesPerSecond needs a clock');
    }
  }

  get name(): string {
    return this.inner.name;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  onDrop(handler: (reason: string, detail?: string) => void): void {
    this.inner.onDrop?.(handler);
  }

  start(receiver: FrameReceiver): void {
    this.inner.start(receiver);
  }

  send(frames: readonly OutgoingFrame[]): number {
    const out: Uint8Array[] = [];
    for (const frame of frames) this.damage(flattenFrame(frame), out);
    if (out.length > 0) this.inner.send(out);
    return frames.length;
  }

  close(): void {
    this.inner.close();
  }

  private damage(frame: Uint8Array, out: Uint8Array[]): void {
    const { dropRate = 0, duplicateRate = 0, reorderRate = 0, corruptRate = 0 } = this.options;
    if (this.rateLimited()) {
      this.counters.rateLimited++;
      return;
    }
    if (this.random.next() < dropRate) {
      this.counters.dropped++;
      return;
    }
    let copy: Uint8Array = Uint8Array.from(frame);
    if (this.random.next() < corruptRate && copy.length > 0) {
      copy[this.random.below(copy.length)] ^= 1 << this.random.below(8);
      this.counters.corrupted++;
    }
    if (this.held === undefined && this.random.next() < reorderRate) {
      this.held = copy;
      this.counters.reordered++;
      return;
    }
    out.push(copy);
    this.counters.sent++;
    if (this.random.next() < duplicateRate) {
      out.push(Uint8Array.from(copy));
      this.counters.duplicated++;
    }
    if (this.held !== undefined) {
      copy = this.held;
      this.held = undefined;
      out.push(copy);
      this.counters.sent++;
    }
  }

  private rateLimited(): boolean {
    const limit = this.options.rateLimitFramesPerSecond;
    if (limit === undefined || this.options.clock === undefined) return false;
    const now = this.options.clock.now();
    if (now - this.windowStartMs >= 1000) {
      this.windowStartMs = now;
      this.framesInWindow = 0;
    }
    this.framesInWindow++;
    return this.framesInWindow > limit;
  }
}
