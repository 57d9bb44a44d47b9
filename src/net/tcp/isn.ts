// Initial sequence numbers (RFC 6528 section 3): ISN = M + F(4-tuple, key),
// where M is a timer that ticks every 4 microseconds and F a keyed hash, so
// that an off-path attacker cannot predict the ISN of a connection while
// successive connections on one 4-tuple still get increasing numbers.
import type { Clock } from '../clock';
import type { Ipv4Address } from '../ipv4-address';
import { TupleHash } from './tuple-hash';

/** Ticks of the RFC 6528 timer M per millisecond (one tick per 4 microseconds). */
const ISN_TICKS_PER_MS = 250;
export const ISN_KEY_BYTES = 32;
/** Last byte of the hash input, which keeps the ISN and the timestamp offset of one 4-tuple apart. */
const PURPOSE_ISN = 0;
const PURPOSE_TIMESTAMP_OFFSET = 1;

export class IsnGenerator {
  private readonly tupleHash: TupleHash;

  constructor(
    key: Buffer,
    private readonly clock: Clock,
  ) {
    if (key.length < 16) throw new RangeError(`ISN key has ${key.length} bytes, at least 16 are needed`);
    this.tupleHash = new TupleHash(key, 1);
  }

  /** Returns the ISN for a connection on this 4-tuple, now. */
  next(localAddress: Ipv4Address, localPort: number, remoteAddress: Ipv4Address, remotePort: number): number {
    const ticks = Math.floor(this.clock.now() * ISN_TICKS_PER_MS) % 2 ** 32;
    return (ticks + this.keyedHash(localAddress, localPort, remoteAddress, remotePort, PURPOSE_ISN)) >>> 0;
  }

  /**
   * Returns the offset added to the timestamp clock of a connection on this
   * 4-tuple, so that timestamps reveal neither the uptime nor how
   * connections relate (RFC 7323, security considerations). It comes from the same keyed
   * hash as the ISN, which costs less than asking the system for random bytes.
   */
  timestampOffset(localAddress: Ipv4Address, localPort: number, remoteAddress: Ipv4Address, remotePort: number): number {
    return this.keyedHash(localAddress, localPort, remoteAddress, remotePort, PURPOSE_TIMESTAMP_OFFSET);
  }

  /** F() of RFC 6528: the keyed hash of the 4-tuple, with a byte that tells the purposes apart. */
  private keyedHash(localAddress: Ipv4Address, localPort: number, remoteAddress: Ipv4Address, remotePort: number, purpose: number): number {
    this.tupleHash.extra[this.tupleHash.extraOffset] = purpose;
    return this.tupleHash.hash32(localAddress, localPort, remoteAddress, remotePort);
  }
}
