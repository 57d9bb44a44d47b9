// UDP datagrams (RFC 768).
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from '../checksum';
import type { Ipv4Address } from '../ipv4-address';
import { IpProtocol } from './ipv4';

export const UDP_HEADER_BYTES = 8;

const FIELD = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  LENGTH: 4,
  CHECKSUM: 6,
} as const;

export interface UdpDatagram {
  sourcePort: number;
  destinationPort: number;
  payload: Uint8Array;
}

export type UdpParseResult = { ok: true; datagram: UdpDatagram } | { ok: false; reason: string };

/** Parses a UDP datagram (the IP payload) and verifies its checksum unless it is zero (none sent). */
export function parseUdp(bytes: Uint8Array, source: Ipv4Address, destination: Ipv4Address): UdpParseResult {
  if (bytes.length < UDP_HEADER_BYTES) return { ok: false, reason: `UDP datagram of ${bytes.length} bytes is too short` };
  const length = (bytes[FIELD.LENGTH] << 8) | bytes[FIELD.LENGTH + 1];
  if (length < UDP_HEADER_BYTES || length > bytes.length) {
    return { ok: false, reason: `UDP length ${length} does not fit the ${bytes.length} bytes received` };
  }
  const checksum = (bytes[FIELD.CHECKSUM] << 8) | bytes[FIELD.CHECKSUM + 1];
  if (checksum !== 0) {
    const sum = onesComplementSum(bytes, 0, length, pseudoHeaderSum(source, destination, IpProtocol.UDP, length));
    if (finishChecksum(sum) !== 0) return { ok: false, reason: 'bad UDP checksum' };
  }
  return {
    ok: true,
    datagram: {
      sourcePort: (bytes[FIELD.SOURCE_PORT] << 8) | bytes[FIELD.SOURCE_PORT + 1],
      destinationPort: (bytes[FIELD.DESTINATION_PORT] << 8) | bytes[FIELD.DESTINATION_PORT + 1],
      payload: bytes.subarray(UDP_HEADER_BYTES, length),
    },
  };
}

/** Builds a UDP datagram with its checksum in a new buffer. */
export function emitUdp(datagram: UdpDatagram, source: Ipv4Address, destination: Ipv4Address): Buffer {
  const length = UDP_HEADER_BYTES + datagram.payload.length;
  const buffer = Buffer.allocUnsafe(length);
  buffer.writeUInt16BE(datagram.sourcePort, FIELD.SOURCE_PORT);
  buffer.writeUInt16BE(datagram.destinationPort, FIELD.DESTINATION_PORT);
  buffer.writeUInt16BE(length, FIELD.LENGTH);
  buffer.writeUInt16BE(0, FIELD.CHECKSUM);
  buffer.set(datagram.payload, UDP_HEADER_BYTES);
  let checksum = finishChecksum(onesComplementSum(buffer, 0, length, pseudoHeaderSum(source, destination, IpProtocol.UDP, length)));
  // RFC 768: a computed checksum of zero is sent as all ones.
  if (checksum === 0) checksum = 0xffff;
  buffer.writeUInt16BE(checksum, FIELD.CHECKSUM);
  return buffer;
}
