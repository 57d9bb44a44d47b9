// SYN cookies: when a listener's half-open queue is full, the SYN-ACK's
// sequence number encodes what the connection needs, and no state is kept
// until the ACK returns it (RFC 4987 section 3.6). Layout of the 32 bits:
// a 5-bit time counter (64 s per step), a 3-bit index into COOKIE_MSS_TABLE,
// and 24 bits of a keyed hash over the 4-tuple, the counter and the peer's ISN.
import type { Clock } from '../clock';
import type { Ipv4Address } from '../ipv4-address';
import { TupleHash } from './tuple-hash';

/** Length of one step of the cookie time counter. */
export const SYN_COOKIE_PERIOD_MS = 64_000;
/** Steps of the counter a cookie stays valid for, so a cookie lives 64 to 128 s. */
const VALID_PERIODS = 2;
/** MSS values a cookie can carry; the largest not above the peer's MSS is chosen. */
export const COOKIE_MSS_TABLE: readonly number[] = [536, 1220, 1300, 1360, 1400, 1440, 1452, 1460];

const HASH_MASK = 0xffffff;

/** Bytes hashed after the 4-tuple: the peer's ISN and the counter. */
const COOKIE_EXTRA_BYTES = 5;

export class SynCookies {
  private readonly tupleHash: TupleHash;

  constructor(
    key: Buffer,
    private readonly clock: Clock,
  ) {
    this.tupleHash = new TupleHash(key, COOKIE_EXTRA_BYTES);
  }

  /** Returns the ISN that encodes a cookie for this SYN and the MSS index chosen. */
  encode(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    peerIsn: number,
    mss: number,
  ): { isn: number; mss: number } {
    let index = 0;
    while (index + 1 < COOKIE_MSS_TABLE.length && COOKIE_MSS_TABLE[index + 1] <= mss) index++;
    const counter = this.counter() & 0x1f;
    const hash = this.hash(localAddress, localPort, remoteAddress, remotePort, peerIsn, counter);
    const isn = ((counter << 27) | (index << 24) | hash) >>> 0;
    return { isn, mss: COOKIE_MSS_TABLE[index] };
  }

  /**
   * Checks the cookie returned in an ACK (SEG.ACK - 1) for the peer's ISN
   * (SEG.SEQ - 1). Returns the MSS it encodes, or 0 when it is not valid.
   */
  decode(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    peerIsn: number,
    cookie: number,
  ): number {
    const counter = cookie >>> 27;
    const index = (cookie >>> 24) & 0x7;
    const age = (this.counter() - counter) & 0x1f;
    if (age >= VALID_PERIODS) return 0;
    const hash = this.hash(localAddress, localPort, remoteAddress, remotePort, peerIsn, counter);
    return hash === (cookie & HASH_MASK) ? COOKIE_MSS_TABLE[index] : 0;
  }

  private counter(): number {
    return Math.floor(this.clock.now() / SYN_COOKIE_PERIOD_MS);
  }

  private hash(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    peerIsn: number,
    counter: number,
  ): number {
    const extra = this.tupleHash.extra;
    const at = this.tupleHash.extraOffset;
    extra.writeUInt32BE(peerIsn >>> 0, at);
    extra.writeUInt8(counter & 0x1f, at + 4);
    return this.tupleHash.hash32(localAddress, localPort, remoteAddress, remotePort) & HASH_MASK;
  }
}
