// TCP header codec (RFC 9293 section 3.1) with the options of RFC 9293
// (MSS), RFC 7323 (window scale, timestamps) and RFC 2018 (SACK). A view
// gives checked access to the fields of a header in place. Parse turns a
// header into a plain record, and emit writes a record into a buffer. The
// module is pure: no I/O and no state.
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from '../checksum';
import type { Ipv4Address } from '../ipv4-address';

export const TCP_PROTOCOL = 6;
export const TCP_HEADER_MIN_BYTES = 20;
export const TCP_HEADER_MAX_BYTES = 60;
export const TCP_OPTIONS_MAX_BYTES = TCP_HEADER_MAX_BYTES - TCP_HEADER_MIN_BYTES;

/** Byte offsets of the fixed header fields. */
const Field = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  SEQUENCE_NUMBER: 4,
  ACKNOWLEDGMENT_NUMBER: 8,
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT_POINTER: 18,
  OPTIONS: 20,
} as const;

/** Control bits in the flags byte (byte 13). */
export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export const TcpOptionKind = {
  END_OF_LIST: 0,
  NO_OPERATION: 1,
  MAXIMUM_SEGMENT_SIZE: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
} as const;

const MSS_OPTION_BYTES = 4;
const WINDOW_SCALE_OPTION_BYTES = 3;
const SACK_PERMITTED_OPTION_BYTES = 2;
const TIMESTAMPS_OPTION_BYTES = 10;
const SACK_BLOCK_BYTES = 8;

/** Error thrown by parseTcpHeader for a header or option that cannot be decoded. */
export class TcpFormatError extends Error {
  override name = 'TcpFormatError';
}

/**
 * Plain representation of a TCP header. Options that are absent have the
 * value given by createTcpHeader: mss 0, windowScale -1, sackPermitted
 * false, hasTimestamp false, no SACK blocks.
 */
export interface TcpHeader {
  sourcePort: number;
  destinationPort: number;
  sequenceNumber: number;
  acknowledgmentNumber: number;
  /** Control bits, a combination of TcpFlags. */
  flags: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  /** Header length in bytes including options (set by parse; emit computes its own). */
  headerLength: number;
  /** Maximum segment size option, 0 when absent. */
  mss: number;
  /** Window scale shift count, -1 when absent; not clamped to 14 here. */
  windowScale: number;
  sackPermitted: boolean;
  hasTimestamp: boolean;
  timestampValue: number;
  timestampEchoReply: number;
  /** SACK blocks as flat pairs: left edge, right edge, left edge, ... */
  sackBlocks: number[];
}

/** Returns a header record with every field zero and every option absent. */
export function createTcpHeader(fields: Partial<TcpHeader> = {}): TcpHeader {
  return {
    sourcePort: 0,
    destinationPort: 0,
    sequenceNumber: 0,
    acknowledgmentNumber: 0,
    flags: 0,
    window: 0,
    checksum: 0,
    urgentPointer: 0,
    headerLength: TCP_HEADER_MIN_BYTES,
    mss: 0,
    windowScale: -1,
    sackPermitted: false,
    hasTimestamp: false,
    timestampValue: 0,
    timestampEchoReply: 0,
    sackBlocks: [],
    ...fields,
  };
}

/** Sets every option of a reused header record to absent (before parsing into it or building a segment). */
export function clearTcpOptions(header: TcpHeader): void {
  header.mss = 0;
  header.windowScale = -1;
  header.sackPermitted = false;
  header.hasTimestamp = false;
  header.timestampValue = 0;
  header.timestampEchoReply = 0;
  header.sackBlocks.length = 0;
}

function read16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function read32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function write16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}

function write32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/**
 * A TCP segment in place: one accessor per header field. The constructor
 * checks the lengths, so every accessor reads inside the buffer.
 */
export class TcpSegmentView {
  constructor(readonly bytes: Uint8Array) {
    const problem = checkTcpSegmentLength(bytes);
    if (problem !== undefined) throw new TcpFormatError(problem);
  }

  get sourcePort(): number {
    return read16(this.bytes, Field.SOURCE_PORT);
  }

  get destinationPort(): number {
    return read16(this.bytes, Field.DESTINATION_PORT);
  }

  get sequenceNumber(): number {
    return read32(this.bytes, Field.SEQUENCE_NUMBER);
  }

  get acknowledgmentNumber(): number {
    return read32(this.bytes, Field.ACKNOWLEDGMENT_NUMBER);
  }

  /** Header length in bytes (the data offset field times four). */
  get headerLength(): number {
    return (this.bytes[Field.DATA_OFFSET] >>> 4) * 4;
  }

  get flags(): number {
    return this.bytes[Field.FLAGS];
  }

  get window(): number {
    return read16(this.bytes, Field.WINDOW);
  }

  get checksum(): number {
    return read16(this.bytes, Field.CHECKSUM);
  }

  get urgentPointer(): number {
    return read16(this.bytes, Field.URGENT_POINTER);
  }

  get options(): Uint8Array {
    return this.bytes.subarray(Field.OPTIONS, this.headerLength);
  }

  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength);
  }
}

/** Returns why `bytes` cannot hold a TCP header, or undefined when it can. */
export function checkTcpSegmentLength(bytes: Uint8Array): string | undefined {
  if (bytes.length < TCP_HEADER_MIN_BYTES) {
    return `segment of ${bytes.length} bytes is shorter than the ${TCP_HEADER_MIN_BYTES}-byte TCP header`;
  }
  const headerLength = (bytes[Field.DATA_OFFSET] >>> 4) * 4;
  if (headerLength < TCP_HEADER_MIN_BYTES) {
    return `data offset ${headerLength / 4} is below the minimum of 5 words`;
  }
  if (headerLength > bytes.length) {
    return `header length ${headerLength} exceeds the segment length ${bytes.length}`;
  }
  return undefined;
}

/**
 * Parses the header at the start of `bytes` into `into` (a fresh record by
 * default; the input path reuses one). Unknown options are skipped by their
 * length. Throws TcpFormatError for a truncated header or a malformed option.
 */
export function parseTcpHeader(bytes: Uint8Array, into: TcpHeader = createTcpHeader()): TcpHeader {
  const problem = checkTcpSegmentLength(bytes);
  if (problem !== undefined) throw new TcpFormatError(problem);

  const headerLength = (bytes[Field.DATA_OFFSET] >>> 4) * 4;
  into.sourcePort = read16(bytes, Field.SOURCE_PORT);
  into.destinationPort = read16(bytes, Field.DESTINATION_PORT);
  into.sequenceNumber = read32(bytes, Field.SEQUENCE_NUMBER);
  into.acknowledgmentNumber = read32(bytes, Field.ACKNOWLEDGMENT_NUMBER);
  into.flags = bytes[Field.FLAGS];
  into.window = read16(bytes, Field.WINDOW);
  into.checksum = read16(bytes, Field.CHECKSUM);
  into.urgentPointer = read16(bytes, Field.URGENT_POINTER);
  into.headerLength = headerLength;

  clearTcpOptions(into);
  parseOptions(bytes, Field.OPTIONS, headerLength, into);
  return into;
}

function parseOptions(bytes: Uint8Array, start: number, end: number, into: TcpHeader): void {
  let offset = start;
  while (offset < end) {
    const kind = bytes[offset];
    if (kind === TcpOptionKind.END_OF_LIST) return;
    if (kind === TcpOptionKind.NO_OPERATION) {
      offset += 1;
      continue;
    }

    // Every other kind has a length byte that counts the kind and itself.
    if (offset + 1 >= end) {
      throw new TcpFormatError(`option kind ${kind} at offset ${offset} has no length byte`);
    }
    const length = bytes[offset + 1];
    if (length < 2) {
      throw new TcpFormatError(`option kind ${kind} at offset ${offset} has invalid length ${length}`);
    }
    if (offset + length > end) {
      throw new TcpFormatError(`option kind ${kind} at offset ${offset} with length ${length} runs past the header`);
    }

    switch (kind) {
      case TcpOptionKind.MAXIMUM_SEGMENT_SIZE:
        expectOptionLength('MSS', length, MSS_OPTION_BYTES);
        into.mss = read16(bytes, offset + 2);
        break;
      case TcpOptionKind.WINDOW_SCALE:
        expectOptionLength('window scale', length, WINDOW_SCALE_OPTION_BYTES);
        into.windowScale = bytes[offset + 2];
        break;
      case TcpOptionKind.SACK_PERMITTED:
        expectOptionLength('SACK-permitted', length, SACK_PERMITTED_OPTION_BYTES);
        into.sackPermitted = true;
        break;
      case TcpOptionKind.TIMESTAMPS:
        expectOptionLength('timestamps', length, TIMESTAMPS_OPTION_BYTES);
        into.hasTimestamp = true;
        into.timestampValue = read32(bytes, offset + 2);
        into.timestampEchoReply = read32(bytes, offset + 6);
        break;
      case TcpOptionKind.SACK: {
        const blockBytes = length - 2;
        if (blockBytes === 0 || blockBytes % SACK_BLOCK_BYTES !== 0) {
          throw new TcpFormatError(`SACK option length ${length} is not 2 plus a multiple of ${SACK_BLOCK_BYTES}`);
        }
        into.sackBlocks.length = 0;
        for (let block = offset + 2; block < offset + length; block += SACK_BLOCK_BYTES) {
          into.sackBlocks.push(read32(bytes, block), read32(bytes, block + 4));
        }
        break;
      }
      default:
        // RFC 9293 3.1: an unknown option is skipped by its length.
        break;
    }
    offset += length;
  }
}

function expectOptionLength(name: string, length: number, expected: number): void {
  if (length !== expected) {
    throw new TcpFormatError(`${name} option has length ${length}, expected ${expected}`);
  }
}

/** Bytes the options of `header` take when emitted, padded to a multiple of 4. */
export function tcpOptionsLength(header: TcpHeader): number {
  let length = 0;
  if (header.mss !== 0) length += MSS_OPTION_BYTES;
  if (header.hasTimestamp) {
    // SACK-permitted rides in the two bytes before the timestamps that would
    // otherwise be NOP padding.
    length += 2 + TIMESTAMPS_OPTION_BYTES;
  } else if (header.sackPermitted) {
    length += 4;
  }
  if (header.windowScale >= 0) length += 4;
  const blocks = header.sackBlocks.length / 2;
  if (blocks > 0) length += 4 + blocks * SACK_BLOCK_BYTES;
  return length;
}

/** Header length in bytes that emitTcpHeader writes for `header`. */
export function tcpHeaderLength(header: TcpHeader): number {
  return TCP_HEADER_MIN_BYTES + tcpOptionsLength(header);
}

/**
 * Writes `header` with its options into `buffer` at `offset` and returns
 * the number of bytes written. The checksum field gets header.checksum
 * (usually 0, to be filled in by fillTcpChecksum). Options are laid out as
 * Linux lays them out: MSS, SACK-permitted and timestamps, window scale,
 * SACK blocks, each aligned with NOPs. Throws RangeError when the options
 * exceed 40 bytes or a field is out of range.
 */
export function emitTcpHeader(header: TcpHeader, buffer: Uint8Array, offset = 0): number {
  const optionsLength = tcpOptionsLength(header);
  if (optionsLength > TCP_OPTIONS_MAX_BYTES) {
    throw new RangeError(`TCP options need ${optionsLength} bytes, more than the maximum of ${TCP_OPTIONS_MAX_BYTES}`);
  }
  if (header.sackBlocks.length % 2 !== 0) {
    throw new RangeError('SACK blocks must come in pairs of left and right edge');
  }
  if (header.windowScale > 255) throw new RangeError(`window scale ${header.windowScale} does not fit in a byte`);
  const headerLength = TCP_HEADER_MIN_BYTES + optionsLength;
  if (offset + headerLength > buffer.length) {
    throw new RangeError(`buffer of ${buffer.length} bytes has no room for a ${headerLength}-byte header at ${offset}`);
  }

  write16(buffer, offset + Field.SOURCE_PORT, header.sourcePort);
  write16(buffer, offset + Field.DESTINATION_PORT, header.destinationPort);
  write32(buffer, offset + Field.SEQUENCE_NUMBER, header.sequenceNumber);
  write32(buffer, offset + Field.ACKNOWLEDGMENT_NUMBER, header.acknowledgmentNumber);
  buffer[offset + Field.DATA_OFFSET] = (headerLength / 4) << 4;
  buffer[offset + Field.FLAGS] = header.flags & 0xff;
  write16(buffer, offset + Field.WINDOW, header.window);
  write16(buffer, offset + Field.CHECKSUM, header.checksum);
  write16(buffer, offset + Field.URGENT_POINTER, header.urgentPointer);

  let at = offset + Field.OPTIONS;
  if (header.mss !== 0) {
    buffer[at] = TcpOptionKind.MAXIMUM_SEGMENT_SIZE;
    buffer[at + 1] = MSS_OPTION_BYTES;
    write16(buffer, at + 2, header.mss);
    at += MSS_OPTION_BYTES;
  }
  if (header.hasTimestamp) {
    if (header.sackPermitted) {
      buffer[at] = TcpOptionKind.SACK_PERMITTED;
      buffer[at + 1] = SACK_PERMITTED_OPTION_BYTES;
    } else {
      buffer[at] = TcpOptionKind.NO_OPERATION;
      buffer[at + 1] = TcpOptionKind.NO_OPERATION;
    }
    buffer[at + 2] = TcpOptionKind.TIMESTAMPS;
    buffer[at + 3] = TIMESTAMPS_OPTION_BYTES;
    write32(buffer, at + 4, header.timestampValue);
    write32(buffer, at + 8, header.timestampEchoReply);
    at += 2 + TIMESTAMPS_OPTION_BYTES;
  } else if (header.sackPermitted) {
    buffer[at] = TcpOptionKind.NO_OPERATION;
    buffer[at + 1] = TcpOptionKind.NO_OPERATION;
    buffer[at + 2] = TcpOptionKind.SACK_PERMITTED;
    buffer[at + 3] = SACK_PERMITTED_OPTION_BYTES;
    at += 4;
  }
  if (header.windowScale >= 0) {
    buffer[at] = TcpOptionKind.NO_OPERATION;
    buffer[at + 1] = TcpOptionKind.WINDOW_SCALE;
    buffer[at + 2] = WINDOW_SCALE_OPTION_BYTES;
    buffer[at + 3] = header.windowScale;
    at += 4;
  }
  const blocks = header.sackBlocks.length / 2;
  if (blocks > 0) {
    buffer[at] = TcpOptionKind.NO_OPERATION;
    buffer[at + 1] = TcpOptionKind.NO_OPERATION;
    buffer[at + 2] = TcpOptionKind.SACK;
    buffer[at + 3] = 2 + blocks * SACK_BLOCK_BYTES;
    at += 4;
    for (let i = 0; i < header.sackBlocks.length; i++) {
      write32(buffer, at, header.sackBlocks[i]);
      at += 4;
    }
  }
  return headerLength;
}

/**
 * Computes the TCP checksum over the pseudo-header, the header and the
 * payload pieces (RFC 9293 3.1), treating the checksum field as whatever
 * it holds. A piece that starts at an odd offset of the segment has its sum
 * byte-swapped before it is added (RFC 1071 section 2(B)).
 */
export function tcpChecksum(
  source: Ipv4Address,
  destination: Ipv4Address,
  header: Uint8Array,
  payload: readonly Uint8Array[] = [],
  payloadLength = 0,
): number {
  let sum = pseudoHeaderSum(source, destination, TCP_PROTOCOL, header.length + payloadLength);
  sum = onesComplementSum(header, 0, header.length, sum);
  let odd = (header.length & 1) === 1;
  for (let i = 0; i < payload.length; i++) {
    const piece = payload[i];
    let pieceSum = onesComplementSum(piece, 0, piece.length, 0);
    if (odd) pieceSum = ((pieceSum << 8) | (pieceSum >>> 8)) & 0xffff;
    sum += pieceSum;
    sum = (sum & 0xffff) + (sum >>> 16);
    if ((piece.length & 1) === 1) odd = !odd;
  }
  return finishChecksum(sum);
}

/** Computes the checksum of a header about to be sent and writes it into the header. */
export function fillTcpChecksum(
  source: Ipv4Address,
  destination: Ipv4Address,
  header: Uint8Array,
  payload: readonly Uint8Array[] = [],
  payloadLength = 0,
): void {
  header[Field.CHECKSUM] = 0;
  header[Field.CHECKSUM + 1] = 0;
  write16(header, Field.CHECKSUM, tcpChecksum(source, destination, header, payload, payloadLength));
}

/**
 * Writes the pseudo-header sum (folded, not complemented) into the checksum
 * field, as checksum offload expects: the device adds the header and
 * payload and stores the complement (virtio-net NEEDS_CSUM, Linux
 * CHECKSUM_PARTIAL).
 */
export function fillTcpPartialChecksum(source: Ipv4Address, destination: Ipv4Address, header: Uint8Array, payloadLength: number): void {
  write16(header, Field.CHECKSUM, pseudoHeaderSum(source, destination, TCP_PROTOCOL, header.length + payloadLength));
}

/** Checks the checksum of a whole received segment (header and payload). */
export function verifyTcpChecksum(source: Ipv4Address, destination: Ipv4Address, segment: Uint8Array): boolean {
  let sum = pseudoHeaderSum(source, destination, TCP_PROTOCOL, segment.length);
  sum = onesComplementSum(segment, 0, segment.length, sum);
  // A correct segment sums to 0xffff (negative zero). The sum cannot be
  // positive zero because the pseudo-header's protocol field is not zero.
  return sum === 0xffff;
}

/** Names the set control bits, e.g. "SYN|ACK", for logs and test messages. */
export function formatTcpFlags(flags: number): string {
  const names: string[] = [];
  if (flags & TcpFlags.CWR) names.push('CWR');
  if (flags & TcpFlags.ECE) names.push('ECE');
  if (flags & TcpFlags.URG) names.push('URG');
  if (flags & TcpFlags.SYN) names.push('SYN');
  if (flags & TcpFlags.FIN) names.push('FIN');
  if (flags & TcpFlags.RST) names.push('RST');
  if (flags & TcpFlags.PSH) names.push('PSH');
  if (flags & TcpFlags.ACK) names.push('ACK');
  return names.length === 0 ? 'none' : names.join('|');
}
