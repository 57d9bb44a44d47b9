// A keyed hash of a connection's 4-tuple plus a few more bytes, the
// pseudorandom function behind initial sequence numbers, timestamp offsets
// and SYN cookies: SHA-256 over a secret key followed by fields of fixed
// length. With a secret prefix and an input of fixed length this is a
// pseudorandom function, and the one-shot hash costs about a quarter of an
// HMAC in Node 20, which matters when a SYN flood needs one per SYN.
import { hash } from 'node:crypto';
import type { Ipv4Address } from '../ipv4-address';

/** Bytes of the 4-tuple in the input: two addresses and two ports. */
const TUPLE_BYTES = 12;

export class TupleHash {
  /** The key, then the 4-tuple and the extra bytes that each use writes. */
  private readonly input: Buffer;
  /** Offset of the extra bytes in the input. */
  readonly extraOffset: number;

  constructor(key: Buffer, extraBytes: number) {
    this.input = Buffer.alloc(key.length + TUPLE_BYTES + extraBytes);
    key.copy(this.input, 0);
    this.extraOffset = key.length + TUPLE_BYTES;
  }

  /**
   * Returns the first 32 bits of the hash of the key, the 4-tuple and the
   * extra bytes, which the caller writes into `extra` at extraOffset first.
   */
  hash32(localAddress: Ipv4Address, localPort: number, remoteAddress: Ipv4Address, remotePort: number): number {
    const input = this.input;
    const at = this.extraOffset - TUPLE_BYTES;
    input.writeUInt32BE(localAddress >>> 0, at);
    input.writeUInt16BE(localPort, at + 4);
    input.writeUInt32BE(remoteAddress >>> 0, at + 6);
    input.writeUInt16BE(remotePort, at + 10);
    return hash('sha256', input, 'buffer').readUInt32BE(0);
  }

  /** The input buffer, for writing the extra bytes at extraOffset before hash32. */
  get extra(): Buffer {
    return this.input;
  }
}
