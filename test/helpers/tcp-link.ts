// Two TcpLayers wired back to back through an in-memory link with a seeded
// fault model (drop, duplicate, reorder, corrupt). Each segment is copied
// onto the "wire" as one byte array, as a real link would, so that the
// receiver never shares memory with the sender's write buffers.
import type { Clock } from '../../src/net/clock';
import type { Ipv4Address } from '../../src/net/ipv4-address';
import { TcpLayer, type TcpLayerOptions, type TcpTransmit } from '../../src/net/tcp/layer';
import { counterRandom } from './tcp-harness';

export const ADDRESS_A: Ipv4Address = 0x0a000001; // 10.0.0.1
export const ADDRESS_B: Ipv4Address = 0x0a000002; // 10.0.0.2

export interface FaultModel {
  /** Probability that a segment is lost. */
  drop?: number;
  /** Probability that a segment is delivered twice. */
  duplicate?: number;
  /** Probability that a segment is held back behind later ones. */
  reorder?: number;
  /** Probability that one byte of a segment is flipped (the checksum then fails). */
  corrupt?: number;
  seed?: number;
}

export interface LinkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
}

/** mulberry32: a small seeded PRNG returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LinkOptions {
  clock: Clock;
  /** One-way delay in ms; with `immediate` the link ignores it. */
  latencyMs?: number;
  /** Extra delay in ms of a reordered segment. */
  reorderDelayMs?: number;
  /** Deliver through setImmediate batches instead of clock timers (for tests on the real clock). */
  immediate?: boolean;
  faults?: FaultModel;
  layer?: Partial<TcpLayerOptions>;
  mss?: number;
}

export class TcpLink {
  readonly a: TcpLayer;
  readonly b: TcpLayer;
  readonly stats: LinkStats = { sent: 0, dropped: 0, duplicated: 0, reordered: 0, corrupted: 0 };
  private readonly clock: Clock;
  private readonly latencyMs: number;
  private readonly reorderDelayMs: number;
  private readonly immediate: boolean;
  private readonly faults: FaultModel;
  private readonly random: () => number;
  private queue: Array<() => void> = [];
  private flushScheduled = false;
  private closed = false;

  constructor(options: LinkOptions) {
    this.clock = options.clock;
    this.latencyMs = options.latencyMs ?? 1;
    this.reorderDelayMs = options.reorderDelayMs ?? 3;
    this.immediate = options.immediate ?? false;
    this.faults = options.faults ?? {};
    this.random = seededRandom(this.faults.seed ?? 1);
    const mss = options.mss ?? 1460;
    const common = {
      clock: options.clock,
      mss: () => mss,
      ...options.layer,
    };
    this.a = new TcpLayer({
      ...common,
      output: (segment) => this.carry(segment, () => this.b),
      localAddresses: () => [ADDRESS_A],
      random: counterRandom(11),
    });
    this.b = new TcpLayer({
      ...common,
      output: (segment) => this.carry(segment, () => this.a),
      localAddresses: () => [ADDRESS_B],
      random: counterRandom(22),
    });
  }

  /** Stops delivering; segments in flight are discarded. */
  close(): void {
    this.closed = true;
    this.queue = [];
  }

  private carry(segment: TcpTransmit, receiver: () => TcpLayer): void {
    this.stats.sent++;
    const bytes = new Uint8Array(segment.header.length + segment.payloadLength);
    bytes.set(segment.header, 0);
    let offset = segment.header.length;
    for (const view of segment.payload) {
      bytes.set(view, offset);
      offset += view.length;
    }

    const faults = this.faults;
    if (faults.drop !== undefined && this.random() < faults.drop) {
      this.stats.dropped++;
      return;
    }
    if (faults.corrupt !== undefined && this.random() < faults.corrupt) {
      this.stats.corrupted++;
      const index = Math.floor(this.random() * bytes.length);
      bytes[index] ^= 1 << Math.floor(this.random() * 8);
    }
    let delay = this.latencyMs;
    if (faults.reorder !== undefined && this.random() < faults.reorder) {
      this.stats.reordered++;
      delay += this.reorderDelayMs;
    }
    const copies = faults.duplicate !== undefined && this.random() < faults.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;

    const { source, destination } = segment;
    for (let copy = 0; copy < copies; copy++) {
      const deliver = (): void => {
        if (!this.closed) receiver().input(source, destination, bytes);
      };
      if (this.immediate) this.enqueue(deliver);
      else this.clock.setTimer(delay, deliver);
    }
  }

  private enqueue(deliver: () => void): void {
    this.queue.push(deliver);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.queue;
      this.queue = [];
      for (const run of batch) run();
    });
  }
}
