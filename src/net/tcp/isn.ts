// Initial sequence numbers (RFC 6528 section 3): ISN = M + F(4-tuple, key),
// where M is a timer that ticks every 4 microseconds and F a keyed hash, so
// that an off-path attacker cannot predict the ISN of a connection while
// successive connections on one 4-tuple still get increasing numbers.
import { hash } from 'node:crypto';
import type { Clock } from '../clock';
import type { Ipv4Address } from '../ipv4-address';

/** Ticks of the RFC 6528 timer M per millisecond (one tick per 4 microseconds). */
const ISN_TICKS_PER_MS = 250;
export const ISN_KEY_BYTES = 32;
/** Bytes of the 4-tuple in the hash input: two addresses and two ports. */
const TUPLE_BYTES = 12;
/** Last byte of the hash input, which keeps the ISN and the timestamp offset of one 4-tuple apart. */
const PURPOSE_ISN = 0;
const PURPOSE_TIMESTAMP_OFFSET = 1;

export class IsnGenerator {
  /** The key, then the 4-tuple and the purpose byte that each call writes. */
  private readonly input: Buffer;
  private readonly keyBytes: number;

  constructor(
    key: Buffer,
    private readonly clock: Clock,
  ) {
    if (key.length < 16) throw new RangeError(`ISN key has ${key.length} bytes, at least 16 are needed`);
    this.keyBytes = key.length;
    this.input = Buffer.alloc(key.length + TUPLE_BYTES + 1);
    key.copy(this.input, 0);
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

  /**
   * F() of RFC 6528: SHA-256 over the secret key followed by the 4-tuple.
   * With a secret prefix and an input of fixed length this is a
   * pseudorandom function, and the one-shot hash costs about a quarter of
   * an HMAC in Node 20, which matters when a SYN flood needs one per SYN.
   */
  private keyedHash(localAddress: Ipv4Address, localPort: number, remoteAddress: Ipv4Address, remotePort: number, purpose: number): number {
    const input = this.input;
    const at = this.keyBytes;
    input.writeUInt32BE(localAddress >>> 0, at);
    input.writeUInt16BE(localPort, at + 4);
    input.writeUInt32BE(remoteAddress >>> 0, at + 6);
    input.writeUInt16BE(remotePort, at + 10);
    input[at + TUPLE_BYTES] = purpose;
    return hash('sha256', input, 'buffer').readUInt32BE(0);
  }
}
