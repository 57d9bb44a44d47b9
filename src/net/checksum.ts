// Internet checksum (RFC 1071). Short ranges are summed in JavaScript,
// because a call into the addon costs more than summing a header; long
// ranges (payloads) go to the C implementation.
import { native } from '../native';
import type { Ipv4Address } from './ipv4-address';

const NATIVE_THRESHOLD_BYTES = 128;

/**
 * Returns the 16-bit one's-complement sum of bytes[start..end), continued
 * from `initial` (a previous result). Not complemented; see finishChecksum.
 */
export function onesComplementSum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  if (end - start >= NATIVE_THRESHOLD_BYTES) {
    return native.checksumSum(bytes, start, end, initial);
  }
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Adds two partial sums. Only valid when the second one covers bytes that
 * start at an even offset of the checksummed data.
 */
export function addSums(a: number, b: number): number {
  let sum = a + b;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Turns a one's-complement sum into the checksum field value. */
export function finishChecksum(sum: number): number {
  return ~sum & 0xffff;
}

/** Checksum of a whole range, e.g. an IPv4 header. Zero means the range verifies. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(onesComplementSum(bytes, start, end));
}

/** Sum of the IPv4 pseudo-header used by TCP and UDP (RFC 793, RFC 768). */
export function pseudoHeaderSum(
  source: Ipv4Address,
  destination: Ipv4Address,
  protocol: number,
  length: number,
): number {
  let sum = (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol + length;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
