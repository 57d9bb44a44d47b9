// Initial sequence numbers (RFC 6528 section 3): ISN = M + F(4-tuple, key),
// where M is a timer that ticks every 4 microseconds and F a keyed hash, so
// that an off-path attacker cannot predict the ISN of a connection while
// successive connections on one 4-tuple still get increasing numbers.
import { createHmac } from 'node:crypto';
import type { Clock } from '../clock';
import type { Ipv4Address } from '../ipv4-address';

/** Ticks of the RFC 6528 timer M per millisecond (one tick per 4 microseconds). */
const ISN_TICKS_PER_MS = 250;
export const ISN_KEY_BYTES = 32;

export class IsnGenerator {
  private readonly tuple = Buffer.alloc(12);

  constructor(
    private readonly key: Buffer,
    private readonly clock: Clock,
  ) {
    if (key.length < 16) throw new RangeError(`ISN key has ${key.length} bytes, at least 16 are needed`);
  }

  /** Returns the ISN for a connection on this 4-tuple, now. */
  next(localAddress: Ipv4Address, localPort: number, remoteAddress: Ipv4Address, remotePort: number): number {
    this.tuple.writeUInt32BE(localAddress >>> 0, 0);
    this.tuple.writeUInt16BE(localPort, 4);
    this.tuple.writeUInt32BE(remoteAddress >>> 0, 6);
    this.tuple.writeUInt16BE(remotePort, 10);
    const hash = createHmac('sha256', this.key).update(this.tuple).digest().readUInt32BE(0);
    const ticks = Math.floor(this.clock.now() * ISN_TICKS_PER_MS) % 2 ** 32;
    return (ticks + hash) >>> 0;
  }
}
