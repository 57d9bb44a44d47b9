// IPv4 headers (RFC 791).
import { internetChecksum } from '../checksum';
import { readIpv4, writeIpv4, type Ipv4Address } from '../ipv4-address';

export const IPV4_MIN_HEADER_BYTES = 20;
export const IPV4_MAX_DATAGRAM_BYTES = 65535;

export const IpProtocol = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
} as const;

const FIELD = {
  VERSION_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
  OPTIONS: 20,
} as const;

const FLAG_RESERVED = 0x8000;
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

const OPTION_END = 0;
const OPTION_NOP = 1;
/** Option types of the loose and the strict source route (RFC 791 section 3.1). */
const OPTION_LOOSE_SOURCE_ROUTE = 131;
const OPTION_STRICT_SOURCE_ROUTE = 137;

export interface Ipv4Header {
  headerLength: number;
  tos: number;
  totalLength: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Offset of this fragment's data in the original datagram, in bytes. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  source: Ipv4Address;
  destination: Ipv4Address;
}

export type Ipv4ParseResult = { ok: true; header: Ipv4Header } | { ok: false; reason: string };

/**
 * Parses and validates an IPv4 header: version, lengths against the bytes
 * present, header checksum, the reserved flag and the options' framing.
 * Bytes beyond totalLength (Ethernet padding) are allowed.
 */
export function parseIpv4(bytes: Uint8Array): Ipv4ParseResult {
  if (bytes.length < IPV4_MIN_HEADER_BYTES) return { ok: false, reason: `datagram of ${bytes.length} bytes is shorter than an IPv4 header` };
  const version = bytes[FIELD.VERSION_IHL] >>> 4;
  if (version !== 4) return { ok: false, reason: `IP version ${version} is not 4` };
  const headerLength = (bytes[FIELD.VERSION_IHL] & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_BYTES) return { ok: false, reason: `header length ${headerLength} is below 20` };
  const totalLength = (bytes[FIELD.TOTAL_LENGTH] << 8) | bytes[FIELD.TOTAL_LENGTH + 1];
  if (totalLength < headerLength) return { ok: false, reason: `total length ${totalLength} is below the header length ${headerLength}` };
  if (totalLength > bytes.length) return { ok: false, reason: `total length ${totalLength} exceeds the ${bytes.length} bytes received` };
  if (internetChecksum(bytes, 0, headerLength) !== 0) return { ok: false, reason: 'bad header checksum' };

  const flagsFragment = (bytes[FIELD.FLAGS_FRAGMENT] << 8) | bytes[FIELD.FLAGS_FRAGMENT + 1];
  if ((flagsFragment & FLAG_RESERVED) !== 0) return { ok: false, reason: 'reserved flag set' };
  const optionsError = checkOptions(bytes, FIELD.OPTIONS, headerLength);
  if (optionsError !== undefined) return { ok: false, reason: optionsError };

  return {
    ok: true,
    header: {
      headerLength,
      tos: bytes[FIELD.TOS],
      totalLength,
      identification: (bytes[FIELD.IDENTIFICATION] << 8) | bytes[FIELD.IDENTIFICATION + 1],
      dontFragment: (flagsFragment & FLAG_DONT_FRAGMENT) !== 0,
      moreFragments: (flagsFragment & FLAG_MORE_FRAGMENTS) !== 0,
      fragmentOffset: (flagsFragment & FRAGMENT_OFFSET_MASK) * 8,
      ttl: bytes[FIELD.TTL],
      protocol: bytes[FIELD.PROTOCOL],
      source: readIpv4(bytes, FIELD.SOURCE),
      destination: readIpv4(bytes, FIELD.DESTINATION),
    },
  };
}

/** Checks that the options in bytes[start..end) are framed correctly (RFC 791 section 3.1). */
function checkOptions(bytes: Uint8Array, start: number, end: number): string | undefined {
  let i = start;
  while (i < end) {
    const type = bytes[i];
    if (type === OPTION_END) return undefined;
    if (type === OPTION_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return `option ${type} has no length byte`;
    const length = bytes[i + 1];
    if (length < 2) return `option ${type} has invalid length ${length}`;
    if (i + length > end) return `option ${type} of length ${length} runs past the header`;
    i += length;
  }
  return undefined;
}

/**
 * True when the options of a header that parseIpv4 accepted carry a loose
 * or strict source route (RFC 791 section 3.1).
 */
export function hasSourceRoute(bytes: Uint8Array, headerLength: number): boolean {
  let i = FIELD.OPTIONS;
  while (i < headerLength) {
    const type = bytes[i];
    if (type === OPTION_END) return false;
    if (type === OPTION_LOOSE_SOURCE_ROUTE || type === OPTION_STRICT_SOURCE_ROUTE) return true;
    i += type === OPTION_NOP ? 1 : Math.max(2, bytes[i + 1]);
  }
  return false;
}

export interface Ipv4HeaderFields {
  tos?: number;
  /** Header plus payload, in bytes. */
  totalLength: number;
  identification: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
  ttl: number;
  protocol: number;
  source: Ipv4Address;
  destination: Ipv4Address;
}

/** Writes a 20-byte header without options, checksum included. */
export function emitIpv4(fields: Ipv4HeaderFields, buffer: Uint8Array, offset = 0): void {
  const flagsFragment =
    (fields.dontFragment === true ? FLAG_DONT_FRAGMENT : 0) |
    (fields.moreFragments === true ? FLAG_MORE_FRAGMENTS : 0) |
    (((fields.fragmentOffset ?? 0) / 8) & FRAGMENT_OFFSET_MASK);
  buffer[offset + FIELD.VERSION_IHL] = 0x45;
  buffer[offset + FIELD.TOS] = fields.tos ?? 0;
  buffer[offset + FIELD.TOTAL_LENGTH] = fields.totalLength >>> 8;
  buffer[offset + FIELD.TOTAL_LENGTH + 1] = fields.totalLength & 0xff;
  buffer[offset + FIELD.IDENTIFICATION] = fields.identification >>> 8;
  buffer[offset + FIELD.IDENTIFICATION + 1] = fields.identification & 0xff;
  buffer[offset + FIELD.FLAGS_FRAGMENT] = flagsFragment >>> 8;
  buffer[offset + FIELD.FLAGS_FRAGMENT + 1] = flagsFragment & 0xff;
  buffer[offset + FIELD.TTL] = fields.ttl;
  buffer[offset + FIELD.PROTOCOL] = fields.protocol;
  buffer[offset + FIELD.CHECKSUM] = 0;
  buffer[offset + FIELD.CHECKSUM + 1] = 0;
  writeIpv4(buffer, offset + FIELD.SOURCE, fields.source);
  writeIpv4(buffer, offset + FIELD.DESTINATION, fields.destination);
  const checksum = internetChecksum(buffer, offset, offset + IPV4_MIN_HEADER_BYTES);
  buffer[offset + FIELD.CHECKSUM] = checksum >>> 8;
  buffer[offset + FIELD.CHECKSUM + 1] = checksum & 0xff;
}
