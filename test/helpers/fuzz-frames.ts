// Frames for fuzzing the stack. Builders make valid Ethernet frames of every
// protocol the stack parses (ARP, IPv4 with options and fragments, ICMP,
// UDP, TCP with options). Mutations damage them the way a hostile or broken
// network does, and a checksum repair lets a damaged frame get past the
// checksum checks to the parsers behind them. Everything is driven by a
// SeededRandom, so that a failing run can be replayed from its seed.
import { finishChecksum, internetChecksum, onesComplementSum, pseudoHeaderSum } from '../../src/net/checksum';
import type { Ipv4Address } from '../../src/net/ipv4-address';
import type { SeededRandom } from '../../src/net/phy/seeded-random';
import { emitArp, type ArpPacket } from '../../src/net/wire/arp';
import { emitEthernet, EtherType, type MacAddress } from '../../src/net/wire/ethernet';
import { emitIcmp, type IcmpMessage } from '../../src/net/wire/icmp';
import { IpProtocol } from '../../src/net/wire/ipv4';
import { createTcpHeader, emitTcpHeader, fillTcpChecksum, tcpHeaderLength, type TcpHeader } from '../../src/net/wire/tcp';
import { emitUdp } from '../../src/net/wire/udp';

export const ETHERNET_BYTES = 14;
export const IPV4_BYTES = 20;

/** Offsets in a frame that starts with a 14-byte Ethernet header. */
const ETHER_TYPE_OFFSET = 12;
const IP_VERSION_IHL = ETHERNET_BYTES;
const IP_TOTAL_LENGTH = ETHERNET_BYTES + 2;
const IP_FLAGS_FRAGMENT = ETHERNET_BYTES + 6;
const IP_PROTOCOL = ETHERNET_BYTES + 9;
const IP_CHECKSUM = ETHERNET_BYTES + 10;
const IP_SOURCE = ETHERNET_BYTES + 12;

/** IPv4 option types (RFC 791 section 3.1). */
export const IpOption = {
  END: 0,
  NOP: 1,
  RECORD_ROUTE: 7,
  LOOSE_SOURCE_ROUTE: 131,
  STRICT_SOURCE_ROUTE: 137,
} as const;

export interface Ipv4FrameFields {
  destinationMac: MacAddress;
  sourceMac: MacAddress;
  source: Ipv4Address;
  destination: Ipv4Address;
  protocol: number;
  identification?: number;
  ttl?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Offset of this fragment's data in bytes (a multiple of 8). */
  fragmentOffset?: number;
  /** Option bytes, padded here to a multiple of 4. */
  options?: Uint8Array;
}

/** Builds an Ethernet frame with an IPv4 header (options included) and a valid header checksum. */
export function ipv4Frame(fields: Ipv4FrameFields, payload: Uint8Array): Buffer {
  const options = fields.options ?? new Uint8Array(0);
  const optionBytes = Math.ceil(options.length / 4) * 4;
  const headerLength = IPV4_BYTES + optionBytes;
  const frame = Buffer.alloc(ETHERNET_BYTES + headerLength + payload.length);
  emitEthernet({ destination: fields.destinationMac, source: fields.sourceMac, etherType: EtherType.IPV4 }, frame, 0);
  const ip = ETHERNET_BYTES;
  frame[ip] = 0x40 | (headerLength / 4);
  frame.writeUInt16BE(headerLength + payload.length, ip + 2);
  frame.writeUInt16BE(fields.identification ?? 1, ip + 4);
  const flags = (fields.dontFragment === true ? 0x4000 : 0) | (fields.moreFragments === true ? 0x2000 : 0) | ((fields.fragmentOffset ?? 0) / 8);
  frame.writeUInt16BE(flags, ip + 6);
  frame[ip + 8] = fields.ttl ?? 64;
  frame[ip + 9] = fields.protocol;
  frame.writeUInt32BE(fields.source >>> 0, ip + 12);
  frame.writeUInt32BE(fields.destination >>> 0, ip + 16);
  frame.set(options, ip + IPV4_BYTES);
  frame.writeUInt16BE(internetChecksum(frame, ip, ip + headerLength), ip + 10);
  frame.set(payload, ip + headerLength);
  return frame;
}

export function arpFrameOf(destinationMac: MacAddress, sourceMac: MacAddress, packet: ArpPacket): Buffer {
  const frame = Buffer.alloc(ETHERNET_BYTES + 28);
  emitEthernet({ destination: destinationMac, source: sourceMac, etherType: EtherType.ARP }, frame, 0);
  emitArp(packet, frame, ETHERNET_BYTES);
  return frame;
}

export function icmpFrame(fields: Omit<Ipv4FrameFields, 'protocol'>, message: IcmpMessage): Buffer {
  return ipv4Frame({ ...fields, protocol: IpProtocol.ICMP }, emitIcmp(message));
}

export function udpFrame(fields: Omit<Ipv4FrameFields, 'protocol'>, sourcePort: number, destinationPort: number, payload: Uint8Array): Buffer {
  return ipv4Frame({ ...fields, protocol: IpProtocol.UDP }, emitUdp({ sourcePort, destinationPort, payload }, fields.source, fields.destination));
}

/** Builds a TCP segment (header with options, checksum filled in) and its frame. */
export function tcpFrame(fields: Omit<Ipv4FrameFields, 'protocol'>, header: Partial<TcpHeader>, payload: Uint8Array = new Uint8Array(0)): Buffer {
  return ipv4Frame({ ...fields, protocol: IpProtocol.TCP }, tcpSegment(fields.source, fields.destination, header, payload));
}

export function tcpSegment(source: Ipv4Address, destination: Ipv4Address, fields: Partial<TcpHeader>, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const header = createTcpHeader(fields);
  const bytes = Buffer.alloc(tcpHeaderLength(header) + payload.length);
  emitTcpHeader(header, bytes, 0);
  const headerBytes = bytes.subarray(0, tcpHeaderLength(header));
  fillTcpChecksum(source, destination, headerBytes, [payload], payload.length);
  bytes.set(payload, headerBytes.length);
  return bytes;
}

/**
 * Cuts the IPv4 datagram of `frame` (no options) into fragment frames of
 * at most `pieceBytes` data bytes each (a multiple of 8), in order.
 */
export function fragmentFrame(frame: Buffer, pieceBytes: number): Buffer[] {
  const headerLength = (frame[IP_VERSION_IHL] & 0x0f) * 4;
  const data = frame.subarray(ETHERNET_BYTES + headerLength, ETHERNET_BYTES + frame.readUInt16BE(IP_TOTAL_LENGTH));
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += pieceBytes) {
    const piece = data.subarray(offset, Math.min(data.length, offset + pieceBytes));
    const fragment = Buffer.alloc(ETHERNET_BYTES + headerLength + piece.length);
    frame.copy(fragment, 0, 0, ETHERNET_BYTES + headerLength);
    fragment.writeUInt16BE(headerLength + piece.length, IP_TOTAL_LENGTH);
    const more = offset + piece.length < data.length;
    fragment.writeUInt16BE((more ? 0x2000 : 0) | (offset / 8), IP_FLAGS_FRAGMENT);
    fragment.set(piece, ETHERNET_BYTES + headerLength);
    repairIpv4HeaderChecksum(fragment);
    pieces.push(fragment);
  }
  return pieces;
}

/** Builds a frame of any EtherType with the given payload. */
export function rawFrame(destinationMac: MacAddress, sourceMac: MacAddress, etherType: number, payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(ETHERNET_BYTES + payload.length);
  emitEthernet({ destination: destinationMac, source: sourceMac, etherType }, frame, 0);
  frame.set(payload, ETHERNET_BYTES);
  return frame;
}

/** Recomputes the IPv4 header checksum when the header is complete. */
export function repairIpv4HeaderChecksum(frame: Uint8Array): void {
  if (frame.length < ETHERNET_BYTES + IPV4_BYTES) return;
  const headerLength = (frame[IP_VERSION_IHL] & 0x0f) * 4;
  if (headerLength < IPV4_BYTES || ETHERNET_BYTES + headerLength > frame.length) return;
  frame[IP_CHECKSUM] = 0;
  frame[IP_CHECKSUM + 1] = 0;
  const checksum = internetChecksum(frame, ETHERNET_BYTES, ETHERNET_BYTES + headerLength);
  frame[IP_CHECKSUM] = checksum >>> 8;
  frame[IP_CHECKSUM + 1] = checksum & 0xff;
}

/**
 * Makes the checksums of an IPv4 frame right again after a mutation, as far
 * as the (possibly damaged) lengths allow, so that the mutation reaches the
 * parsers behind the checksum checks. Non-initial fragments keep theirs.
 */
export function repairChecksums(frame: Uint8Array): void {
  if (frame.length < ETHERNET_BYTES + IPV4_BYTES || ((frame[ETHER_TYPE_OFFSET] << 8) | frame[ETHER_TYPE_OFFSET + 1]) !== EtherType.IPV4) return;
  const headerLength = (frame[IP_VERSION_IHL] & 0x0f) * 4;
  if (headerLength < IPV4_BYTES || ETHERNET_BYTES + headerLength > frame.length) return;
  const flagsFragment = (frame[IP_FLAGS_FRAGMENT] << 8) | frame[IP_FLAGS_FRAGMENT + 1];
  const totalLength = Math.min((frame[IP_TOTAL_LENGTH] << 8) | frame[IP_TOTAL_LENGTH + 1], frame.length - ETHERNET_BYTES);
  const start = ETHERNET_BYTES + headerLength;
  const end = ETHERNET_BYTES + totalLength;
  if ((flagsFragment & 0x3fff) === 0 && end > start) {
    const source = readAddress(frame, IP_SOURCE);
    const destination = readAddress(frame, IP_SOURCE + 4);
    const protocol = frame[IP_PROTOCOL];
    const length = end - start;
    if (protocol === IpProtocol.TCP && length >= 20) {
      writeField(frame, start + 16, 0);
      writeField(frame, start + 16, finishChecksum(onesComplementSum(frame, start, end, pseudoHeaderSum(source, destination, IpProtocol.TCP, length))));
    } else if (protocol === IpProtocol.UDP && length >= 8) {
      writeField(frame, start + 6, 0);
      const checksum = finishChecksum(onesComplementSum(frame, start, end, pseudoHeaderSum(source, destination, IpProtocol.UDP, length)));
      writeField(frame, start + 6, checksum === 0 ? 0xffff : checksum);
    } else if (protocol === IpProtocol.ICMP && length >= 4) {
      writeField(frame, start + 2, 0);
      writeField(frame, start + 2, internetChecksum(frame, start, end));
    }
  }
  repairIpv4HeaderChecksum(frame);
}

/** Damage a hostile or broken network does to a frame, as one named kind each. */
export const MUTATIONS = [
  'flip-bits',
  'truncate',
  'extend',
  'ip-total-length',
  'ip-header-length',
  'ip-fragment',
  'ip-flags',
  'ip-options',
  'ip-protocol',
  'tcp-data-offset',
  'tcp-flags',
  'tcp-options',
  'udp-length',
  'ether-type',
] as const;

export type Mutation = (typeof MUTATIONS)[number];

/**
 * Applies one mutation of kind `kind` to a copy of `frame` and returns it.
 * Mutations that need a header the frame lacks damage random bytes instead.
 */
export function mutateFrame(frame: Uint8Array, kind: Mutation, random: SeededRandom): Buffer {
  let bytes = Buffer.from(frame);
  const isIpv4 = bytes.length >= ETHERNET_BYTES + IPV4_BYTES && bytes.readUInt16BE(ETHER_TYPE_OFFSET) === EtherType.IPV4;
  const ipHeaderLength = isIpv4 ? (bytes[IP_VERSION_IHL] & 0x0f) * 4 : 0;
  const l4 = ETHERNET_BYTES + ipHeaderLength;
  const hasL4 = isIpv4 && ipHeaderLength >= IPV4_BYTES && l4 + 8 <= bytes.length;
  const protocol = isIpv4 ? bytes[IP_PROTOCOL] : -1;

  switch (kind) {
    case 'flip-bits': {
      const flips = 1 + random.below(8);
      for (let i = 0; i < flips && bytes.length > 0; i++) bytes[random.below(bytes.length)] ^= 1 << random.below(8);
      return bytes;
    }
    case 'truncate':
      return bytes.subarray(0, random.below(bytes.length + 1));
    case 'extend': {
      const extra = Buffer.alloc(1 + random.below(64));
      for (let i = 0; i < extra.length; i++) extra[i] = random.below(256);
      bytes = Buffer.concat([bytes, extra]);
      return bytes;
    }
    case 'ether-type': {
      const types = [EtherType.IPV4, EtherType.ARP, EtherType.VLAN, EtherType.IPV6, 0x88b5, 0x0000, 0x05dc, random.below(0x10000)];
      if (bytes.length >= ETHERNET_BYTES) bytes.writeUInt16BE(types[random.below(types.length)], ETHER_TYPE_OFFSET);
      return bytes;
    }
    default:
      break;
  }

  if (!isIpv4) return mutateFrame(bytes, 'flip-bits', random);
  switch (kind) {
    case 'ip-total-length': {
      const choices = [0, 19, ipHeaderLength - 1, ipHeaderLength, bytes.length - ETHERNET_BYTES + 1, 0xffff, random.below(0x10000)];
      bytes.writeUInt16BE(Math.max(0, choices[random.below(choices.length)]) & 0xffff, IP_TOTAL_LENGTH);
      return bytes;
    }
    case 'ip-header-length':
      bytes[IP_VERSION_IHL] = (random.below(3) === 0 ? random.below(16) << 4 : 0x40) | random.below(16);
      return bytes;
    case 'ip-fragment': {
      const offset = random.below(3) === 0 ? 0x1fff : random.below(0x2000);
      bytes.writeUInt16BE((random.below(2) === 0 ? 0x2000 : 0) | offset, IP_FLAGS_FRAGMENT);
      return bytes;
    }
    case 'ip-flags':
      bytes[IP_FLAGS_FRAGMENT] = (bytes[IP_FLAGS_FRAGMENT] & 0x1f) | (random.below(8) << 5);
      return bytes;
    case 'ip-options':
      return withIpOptions(bytes, randomIpOptions(random));
    case 'ip-protocol': {
      const protocols = [IpProtocol.ICMP, IpProtocol.TCP, IpProtocol.UDP, 0, 41, 50, 132, 255, random.below(256)];
      bytes[IP_PROTOCOL] = protocols[random.below(protocols.length)];
      return bytes;
    }
    case 'tcp-data-offset':
      if (!hasL4 || protocol !== IpProtocol.TCP || l4 + 13 > bytes.length) return mutateFrame(bytes, 'flip-bits', random);
      bytes[l4 + 12] = (random.below(16) << 4) | (bytes[l4 + 12] & 0x0f);
      return bytes;
    case 'tcp-flags':
      if (!hasL4 || protocol !== IpProtocol.TCP || l4 + 14 > bytes.length) return mutateFrame(bytes, 'flip-bits', random);
      bytes[l4 + 13] = random.below(256);
      // The four reserved bits next to the data offset, too.
      if (random.below(4) === 0) bytes[l4 + 12] = (bytes[l4 + 12] & 0xf0) | random.below(16);
      return bytes;
    case 'tcp-options':
      if (!hasL4 || protocol !== IpProtocol.TCP || l4 + 20 > bytes.length) return mutateFrame(bytes, 'flip-bits', random);
      return withTcpOptions(bytes, l4, randomTcpOptions(random));
    case 'udp-length': {
      if (!hasL4 || protocol !== IpProtocol.UDP) return mutateFrame(bytes, 'flip-bits', random);
      const available = bytes.length - l4;
      const choices = [0, 7, 8, available - 1, available + 1, 0xffff, random.below(0x10000)];
      bytes.writeUInt16BE(Math.max(0, choices[random.below(choices.length)]) & 0xffff, l4 + 4);
      return bytes;
    }
    default:
      return bytes;
  }
}

/** Option bytes of the kinds a hostile sender varies: bad lengths, truncation, source routes, padding. */
export function randomIpOptions(random: SeededRandom): Uint8Array {
  const choices: number[][] = [
    [IpOption.RECORD_ROUTE, 7, 4, 0, 0, 0, 0, IpOption.END],
    [IpOption.LOOSE_SOURCE_ROUTE, 7, 4, 10, 0, 0, 1, IpOption.END],
    [IpOption.STRICT_SOURCE_ROUTE, 7, 4, 10, 0, 0, 1, IpOption.END],
    [IpOption.NOP, IpOption.NOP, IpOption.NOP, IpOption.END],
    [IpOption.RECORD_ROUTE, 0, 0, 0],
    [IpOption.RECORD_ROUTE, 1, 0, 0],
    [IpOption.RECORD_ROUTE, 40, 4, 0],
    [IpOption.NOP, IpOption.NOP, IpOption.NOP, 68],
  ];
  const pick = choices[random.below(choices.length + 1)];
  if (pick !== undefined) return Uint8Array.from(pick);
  const bytes = new Uint8Array(4 * (1 + random.below(10)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.below(256);
  return bytes;
}

/** Option bytes of the kinds a hostile sender varies: lengths 0 and 1, overruns, odd sizes, unknown kinds. */
export function randomTcpOptions(random: SeededRandom): Uint8Array {
  const choices: number[][] = [
    [2, 0, 0, 0],
    [2, 1, 0, 0],
    [2, 4, 0, 1],
    [2, 4, 0, 0],
    [2, 3, 5, 1],
    [3, 3, 255, 1],
    [3, 2, 1, 1],
    [4, 3, 1, 1],
    [8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1],
    [8, 9, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1],
    [5, 10, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
    [5, 9, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
    [5, 2, 1, 1],
    [30, 40, 0, 0],
    [254, 255, 1, 1],
    [1, 1, 1, 2],
  ];
  const pick = choices[random.below(choices.length + 1)];
  if (pick !== undefined) return Uint8Array.from(pick);
  const bytes = new Uint8Array(4 * (1 + random.below(10)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.below(256);
  return bytes;
}

/** Replaces the IPv4 options of an IPv4 frame; the total length follows, checksums do not. */
function withIpOptions(frame: Buffer, options: Uint8Array): Buffer {
  const headerLength = (frame[IP_VERSION_IHL] & 0x0f) * 4;
  if (headerLength < IPV4_BYTES || ETHERNET_BYTES + headerLength > frame.length) return frame;
  const optionBytes = Math.min(40, Math.ceil(options.length / 4) * 4);
  const padded = new Uint8Array(optionBytes);
  padded.set(options.subarray(0, optionBytes));
  const rest = frame.subarray(ETHERNET_BYTES + headerLength);
  const result = Buffer.concat([frame.subarray(0, ETHERNET_BYTES + IPV4_BYTES), padded, rest]);
  result[IP_VERSION_IHL] = 0x40 | ((IPV4_BYTES + optionBytes) / 4);
  result.writeUInt16BE(Math.min(0xffff, result.length - ETHERNET_BYTES), IP_TOTAL_LENGTH);
  return result;
}

/** Replaces the options of the TCP header at `l4`; the data offset and total length follow. */
function withTcpOptions(frame: Buffer, l4: number, options: Uint8Array): Buffer {
  const headerLength = (frame[l4 + 12] >>> 4) * 4;
  if (headerLength < 20 || l4 + headerLength > frame.length) return frame;
  const optionBytes = Math.min(40, Math.ceil(options.length / 4) * 4);
  const padded = new Uint8Array(optionBytes);
  padded.set(options.subarray(0, optionBytes));
  const result = Buffer.concat([frame.subarray(0, l4 + 20), padded, frame.subarray(l4 + headerLength)]);
  result[l4 + 12] = (((20 + optionBytes) / 4) << 4) | (result[l4 + 12] & 0x0f);
  result.writeUInt16BE(Math.min(0xffff, result.length - ETHERNET_BYTES), IP_TOTAL_LENGTH);
  return result;
}

function readAddress(bytes: Uint8Array, offset: number): Ipv4Address {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function writeField(bytes: Uint8Array, offset: number, value: number): void {
  if (offset + 1 >= bytes.length) return;
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value & 0xff;
}
