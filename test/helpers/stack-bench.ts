// A NetworkStack under test (the target) on one end of a memory link, a
// second NetworkStack as a well-behaved client on the other end, and a raw
// peer beside the client that injects arbitrary frames and receives every
// frame the target sends. Both stacks run on one ManualClock, so timers fire only
// when a test advances it. Log lines of the target can be captured.
import { createLogger, setLogLevel, setLogSink, type LogLevel } from '../../src/log';
import { ManualClock } from '../../src/net/clock';
import type { Ipv4Address } from '../../src/net/ipv4-address';
import type { FrameDevice, FrameReceiver, OutgoingFrame } from '../../src/net/phy/device';
import { createMemoryLink } from '../../src/net/phy/memory-link';
import { SeededRandom } from '../../src/net/phy/seeded-random';
import { NetworkStack, type StackOptions } from '../../src/net/stack';
import type { MacAddress } from '../../src/net/wire/ethernet';

export const TARGET_MAC: MacAddress = 0x02000000aa01;
export const TARGET_IP: Ipv4Address = 0xc0a87a02; // 192.168.122.2
export const CLIENT_MAC: MacAddress = 0x02000000bb02;
export const CLIENT_IP: Ipv4Address = 0xc0a87a01; // 192.168.122.1
/** The raw peer: the target has its MAC in a static entry, so its replies go out at once. */
export const PEER_MAC: MacAddress = 0x02000000cc03;
export const PEER_IP: Ipv4Address = 0xc0a87a03; // 192.168.122.3
/** On the link but silent to ARP: replies to it wait in the ARP queue until they are dropped. */
export const STRANGER_MAC: MacAddress = 0x02000000dd04;
export const STRANGER_IP: Ipv4Address = 0xc0a87a04; // 192.168.122.4
/** Off the link, with no gateway configured: replies to it have no route. */
export const OFF_LINK_IP: Ipv4Address = 0x0a000009; // 10.0.0.9

/** Passes every received batch to an observer before the stack receives it. */
class ObservedDevice implements FrameDevice {
  constructor(
    private readonly inner: FrameDevice,
    private readonly observe: (frames: Uint8Array[]) => void,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  start(receiver: FrameReceiver): void {
    this.inner.start((frames) => {
      this.observe(frames);
      receiver(frames);
    });
  }

  send(frames: readonly OutgoingFrame[]): number {
    return this.inner.send(frames);
  }

  close(): void {
    this.inner.close();
  }
}

/** Random bytes from a seed, for TCP keys and offsets that repeat from run to run. */
export function seededBytes(seed: number): (bytes: number) => Buffer {
  const random = new SeededRandom(seed);
  return (bytes: number) => {
    const buffer = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) buffer[i] = random.below(256);
    return buffer;
  };
}

export interface StackBenchOptions {
  /** TCP settings of the target. */
  tcp?: StackOptions['tcp'];
  seed?: number;
  /** Capture the target's log lines at this level (process-wide while the bench lives). */
  logLevel?: LogLevel;
}

export class StackBench {
  readonly clock = new ManualClock();
  readonly target: NetworkStack;
  readonly client: NetworkStack;
  /** Every frame the target sent, in order, until taken. */
  sent: Uint8Array[] = [];
  /** Log lines of the target (with logLevel). */
  readonly logLines: string[] = [];
  private readonly peerEnd: FrameDevice;
  private restoreLogging: (() => void) | undefined;

  constructor(options: StackBenchOptions = {}) {
    const [targetEnd, peerEnd] = createMemoryLink();
    this.peerEnd = peerEnd;
    if (options.logLevel !== undefined) {
      const previousSink = setLogSink((line) => {
        if (/ target(\/[\w-]+)*: /.test(line)) this.logLines.push(line);
      });
      setLogLevel(options.logLevel);
      this.restoreLogging = () => {
        setLogSink(previousSink);
        setLogLevel('info');
      };
    }
    const seed = options.seed ?? 1;
    this.target = new NetworkStack({
      device: targetEnd,
      mac: TARGET_MAC,
      clock: this.clock,
      logger: createLogger('target'),
      staticArp: [
        { ip: CLIENT_IP, mac: CLIENT_MAC },
        { ip: PEER_IP, mac: PEER_MAC },
      ],
      tcp: { random: seededBytes(seed), ...options.tcp },
    });
    const observed = new ObservedDevice(peerEnd, (frames) => {
      for (const frame of frames) this.sent.push(frame);
    });
    this.client = new NetworkStack({
      device: observed,
      mac: CLIENT_MAC,
      clock: this.clock,
      logger: createLogger('client'),
      staticArp: [{ ip: TARGET_IP, mac: TARGET_MAC }],
      tcp: { random: seededBytes(seed + 1) },
    });
    this.target.start();
    this.client.start();
    this.target.configure({ address: TARGET_IP, prefixLength: 24 });
    this.client.configure({ address: CLIENT_IP, prefixLength: 24 });
  }

  /** Sends raw frames from the peer side to the target. */
  inject(frames: readonly Uint8Array[]): void {
    if (frames.length > 0) this.peerEnd.send(frames);
  }

  /** Lets queued deliveries run until no frame moves for a few turns of the event loop. */
  async settle(): Promise<void> {
    let quietTurns = 0;
    let last = -1;
    for (let turn = 0; turn < 200 && quietTurns < 4; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      const moved = this.target.iface.counters.framesIn + this.target.iface.counters.framesOut + this.client.iface.counters.framesIn;
      quietTurns = moved === last ? quietTurns + 1 : 0;
      last = moved;
    }
  }

  /** Moves the clock forward in steps of `stepMs`, letting frames move after each step. */
  async advance(totalMs: number, stepMs = totalMs): Promise<void> {
    for (let elapsed = 0; elapsed < totalMs; elapsed += stepMs) {
      this.clock.advance(Math.min(stepMs, totalMs - elapsed));
      await this.settle();
    }
  }

  /** Returns the frames the target sent since the last call. */
  takeSent(): Uint8Array[] {
    const frames = this.sent;
    this.sent = [];
    return frames;
  }

  close(): void {
    this.target.close();
    this.client.close();
    this.restoreLogging?.();
    this.restoreLogging = undefined;
  }
}
