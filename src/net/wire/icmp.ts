// ICMP messages for IPv4 (RFC 792).
import { internetChecksum } from '../checksum';

export const ICMP_HEADER_BYTES = 8;

export const IcmpType = {
  ECHO_REPLY: 0,
  DESTINATION_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

export const IcmpUnreachableCode = {
  NETWORK: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAGMENTATION_NEEDED: 4,
} as const;

const FIELD = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  /** Identifier (echo) or unused / next-hop MTU (errors). */
  REST: 4,
  DATA: 8,
} as const;

export interface IcmpMessage {
  type: number;
  code: number;
  /** The 4 bytes after the checksum as one number (echo: identifier << 16 | sequence). */
  rest: number;
  /** Everything after the 8-byte header (echo data, or the quoted datagram of an error). */
  data: Uint8Array;
}

export type IcmpParseResult = { ok: true; message: IcmpMessage } | { ok: false; reason: string };

export function parseIcmp(bytes: Uint8Array): IcmpParseResult {
  if (bytes.length < ICMP_HEADER_BYTES) return { ok: false, reason: `ICMP message of ${bytes.length} bytes is too short` };
  if (internetChecksum(bytes) !== 0) return { ok: false, reason: 'bad ICMP checksum' };
  return {
    ok: true,
    message: {
      type: bytes[FIELD.TYPE],
      code: bytes[FIELD.CODE],
      rest: ((bytes[FIELD.REST] << 24) | (bytes[FIELD.REST + 1] << 16) | (bytes[FIELD.REST + 2] << 8) | bytes[FIELD.REST + 3]) >>> 0,
      data: bytes.subarray(FIELD.DATA),
    },
  };
}

/** Builds a complete ICMP message (header, data, checksum) in a new buffer. */
export function emitIcmp(message: IcmpMessage): Buffer {
  const buffer = Buffer.allocUnsafe(ICMP_HEADER_BYTES + message.data.length);
  buffer[FIELD.TYPE] = message.type;
  buffer[FIELD.CODE] = message.code;
  buffer.writeUInt16BE(0, FIELD.CHECKSUM);
  buffer.writeUInt32BE(message.rest >>> 0, FIELD.REST);
  buffer.set(message.data, FIELD.DATA);
  buffer.writeUInt16BE(internetChecksum(buffer), FIELD.CHECKSUM);
  return buffer;
}
