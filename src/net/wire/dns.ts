// DNS messages (RFC 1035 section 4): header, questions and resource
// records, with name compression on parse (section 4.1.4). Names are
// dotted text without the trailing dot, and '' is the root. Label bytes
// outside printable ASCII, and '.' and '\' inside a label, are written as
// the master-file escapes \DDD and \X of RFC 1035 section 5.1.
import { readIpv4, writeIpv4, type Ipv4Address } from '../ipv4-address';

export const DNS_HEADER_BYTES = 12;
export const DNS_PORT = 53;
/** Largest message over UDP without EDNS0 (RFC 1035 section 4.2.1). */
export const DNS_UDP_MAX_BYTES = 512;
export const DNS_MAX_LABEL_BYTES = 63;
/** Largest name in wire form, length bytes and the root label included (RFC 1035 section 3.1). */
export const DNS_MAX_NAME_BYTES = 255;

export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
} as const;

export const DnsClass = {
  IN: 1,
} as const;

export const DnsOpcode = {
  QUERY: 0,
} as const;

export const DnsRcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

const RCODE_NAMES: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };

export function dnsRcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE ${rcode}`;
}

const FIELD = {
  ID: 0,
  FLAGS: 2,
  QUESTION_COUNT: 4,
  ANSWER_COUNT: 6,
  AUTHORITY_COUNT: 8,
  ADDITIONAL_COUNT: 10,
} as const;

const FLAG = {
  RESPONSE: 0x8000,
  AUTHORITATIVE: 0x0400,
  TRUNCATED: 0x0200,
  RECURSION_DESIRED: 0x0100,
  RECURSION_AVAILABLE: 0x0080,
} as const;
const OPCODE_SHIFT = 11;
const OPCODE_MASK = 0xf;
const RCODE_MASK = 0xf;

/** The two top bits of a label's length byte: 00 is a plain label, 11 a compression pointer; 01 and 10 are reserved. */
const LABEL_KIND_MASK = 0xc0;
const LABEL_KIND_POINTER = 0xc0;
const POINTER_OFFSET_MASK = 0x3fff;

/** Bytes of type, class, TTL and data length after a record's name. */
const RECORD_FIXED_BYTES = 10;
/** Bytes of type and class after a question's name. */
const QUESTION_FIXED_BYTES = 4;
/** Bytes of the five 32-bit numbers that follow the two names of an SOA record. */
const SOA_NUMBERS_BYTES = 20;

export interface DnsHeader {
  id: number;
  /** QR: a response rather than a query. */
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questionCount: number;
  answerCount: number;
  authorityCount: number;
  additionalCount: number;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsSoa {
  primaryServer: string;
  mailbox: string;
  serial: number;
  refreshSeconds: number;
  retrySeconds: number;
  expireSeconds: number;
  /** MINIMUM: the TTL of negative answers (RFC 2308 section 4). */
  minimumSeconds: number;
}

/** Record data, decoded for A (class IN), CNAME, NS, PTR and SOA; raw bytes for other types. */
export type DnsRecordData =
  | { kind: 'address'; address: Ipv4Address }
  | { kind: 'name'; name: string }
  | { kind: 'soa'; soa: DnsSoa }
  | { kind: 'raw'; bytes: Uint8Array };

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  /** Seconds, as sent. RFC 2181 section 8 has receivers treat values above 2^31 - 1 as 0. */
  ttl: number;
  data: DnsRecordData;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export type DnsHeaderParseResult = { ok: true; header: DnsHeader } | { ok: false; reason: string };
export type DnsParseResult = { ok: true; message: DnsMessage } | { ok: false; reason: string };
export type DnsNameEncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/** Parses the 12-byte header alone (enough to match an answer and see TC before the body is trusted). */
export function parseDnsHeader(bytes: Uint8Array): DnsHeaderParseResult {
  if (bytes.length < DNS_HEADER_BYTES) return { ok: false, reason: `DNS message of ${bytes.length} bytes is shorter than the 12-byte header` };
  const flags = readU16(bytes, FIELD.FLAGS);
  return {
    ok: true,
    header: {
      id: readU16(bytes, FIELD.ID),
      response: (flags & FLAG.RESPONSE) !== 0,
      opcode: (flags >>> OPCODE_SHIFT) & OPCODE_MASK,
      authoritative: (flags & FLAG.AUTHORITATIVE) !== 0,
      truncated: (flags & FLAG.TRUNCATED) !== 0,
      recursionDesired: (flags & FLAG.RECURSION_DESIRED) !== 0,
      recursionAvailable: (flags & FLAG.RECURSION_AVAILABLE) !== 0,
      rcode: flags & RCODE_MASK,
      questionCount: readU16(bytes, FIELD.QUESTION_COUNT),
      answerCount: readU16(bytes, FIELD.ANSWER_COUNT),
      authorityCount: readU16(bytes, FIELD.AUTHORITY_COUNT),
      additionalCount: readU16(bytes, FIELD.ADDITIONAL_COUNT),
    },
  };
}

/**
 * Parses a whole message. Every section must fit the bytes given and every
 * record's data must fill its RDLENGTH exactly; bytes after the last
 * record are ignored.
 */
export function parseDns(bytes: Uint8Array): DnsParseResult {
  const parsedHeader = parseDnsHeader(bytes);
  if (!parsedHeader.ok) return parsedHeader;
  const header = parsedHeader.header;
  let offset = DNS_HEADER_BYTES;

  const questions: DnsQuestion[] = [];
  for (let i = 0; i < header.questionCount; i++) {
    const name = readName(bytes, offset);
    if (typeof name === 'string') return { ok: false, reason: `question ${i + 1}: ${name}` };
    if (name.end + QUESTION_FIXED_BYTES > bytes.length) return { ok: false, reason: `question ${i + 1} runs past the end of the message` };
    questions.push({ name: name.name, type: readU16(bytes, name.end), class: readU16(bytes, name.end + 2) });
    offset = name.end + QUESTION_FIXED_BYTES;
  }

  const sections: Array<[string, number, DnsRecord[]]> = [
    ['answer', header.answerCount, []],
    ['authority', header.authorityCount, []],
    ['additional', header.additionalCount, []],
  ];
  for (const [section, count, records] of sections) {
    for (let i = 0; i < count; i++) {
      const record = readRecord(bytes, offset);
      if (typeof record === 'string') return { ok: false, reason: `${section} record ${i + 1}: ${record}` };
      records.push(record.record);
      offset = record.end;
    }
  }

  return {
    ok: true,
    message: {
      id: header.id,
      response: header.response,
      opcode: header.opcode,
      authoritative: header.authoritative,
      truncated: header.truncated,
      recursionDesired: header.recursionDesired,
      recursionAvailable: header.recursionAvailable,
      rcode: header.rcode,
      questions,
      answers: sections[0][2],
      authorities: sections[1][2],
      additionals: sections[2][2],
    },
  };
}

function readRecord(bytes: Uint8Array, offset: number): { record: DnsRecord; end: number } | string {
  const name = readName(bytes, offset);
  if (typeof name === 'string') return name;
  const fixed = name.end;
  if (fixed + RECORD_FIXED_BYTES > bytes.length) return 'record header runs past the end of the message';
  const type = readU16(bytes, fixed);
  const recordClass = readU16(bytes, fixed + 2);
  const ttl = readIpv4(bytes, fixed + 4);
  const dataLength = readU16(bytes, fixed + 8);
  const dataStart = fixed + RECORD_FIXED_BYTES;
  const dataEnd = dataStart + dataLength;
  if (dataEnd > bytes.length) return `record data of ${dataLength} bytes runs past the end of the message`;
  const data = readRecordData(bytes, type, recordClass, dataStart, dataEnd);
  if (typeof data === 'string') return `type ${type} record of ${name.name || '.'}: ${data}`;
  return { record: { name: name.name, type, class: recordClass, ttl, data }, end: dataEnd };
}

/** Decodes record data; names inside it may point anywhere earlier in the message, so it needs the whole message. */
function readRecordData(bytes: Uint8Array, type: number, recordClass: number, start: number, end: number): DnsRecordData | string {
  switch (type) {
    case DnsType.A:
      if (recordClass !== DnsClass.IN) break;
      if (end - start !== 4) return `an address takes 4 bytes, not ${end - start}`;
      return { kind: 'address', address: readIpv4(bytes, start) };
    case DnsType.CNAME:
    case DnsType.NS:
    case DnsType.PTR: {
      const name = readName(bytes.subarray(0, end), start);
      if (typeof name === 'string') return name;
      if (name.end !== end) return `${end - name.end} bytes after the name`;
      return { kind: 'name', name: name.name };
    }
    case DnsType.SOA: {
      const limited = bytes.subarray(0, end);
      const primaryServer = readName(limited, start);
      if (typeof primaryServer === 'string') return primaryServer;
      const mailbox = readName(limited, primaryServer.end);
      if (typeof mailbox === 'string') return mailbox;
      if (end - mailbox.end !== SOA_NUMBERS_BYTES) return `SOA numbers take ${SOA_NUMBERS_BYTES} bytes, not ${end - mailbox.end}`;
      const numbers = mailbox.end;
      return {
        kind: 'soa',
        soa: {
          primaryServer: primaryServer.name,
          mailbox: mailbox.name,
          serial: readIpv4(bytes, numbers),
          refreshSeconds: readIpv4(bytes, numbers + 4),
          retrySeconds: readIpv4(bytes, numbers + 8),
          expireSeconds: readIpv4(bytes, numbers + 12),
          minimumSeconds: readIpv4(bytes, numbers + 16),
        },
      };
    }
  }
  return { kind: 'raw', bytes: Uint8Array.from(bytes.subarray(start, end)) };
}

/**
 * Reads a possibly compressed name starting at `start`; returns the name
 * and the offset after it in place, or the reason it is malformed. Each
 * compression pointer must point before the start of the labels read so
 * far, so the walk always moves backwards and a pointer loop cannot occur.
 */
/** Reads a name in wire form at `offset` (compression pointers allowed, pointing earlier in `bytes`). */
export function parseDnsName(bytes: Uint8Array, offset = 0): { ok: true; name: string; end: number } | { ok: false; reason: string } {
  const result = readName(bytes, offset);
  return typeof result === 'string' ? { ok: false, reason: result } : { ok: true, ...result };
}

function readName(bytes: Uint8Array, start: number): { name: string; end: number } | string {
  const labels: string[] = [];
  let position = start;
  let end = -1;
  let pointerLimit = start;
  let wireBytes = 1;
  for (;;) {
    if (position >= bytes.length) return `name at offset ${start} runs past the end of its data`;
    const length = bytes[position];
    const kind = length & LABEL_KIND_MASK;
    if (kind === LABEL_KIND_POINTER) {
      if (position + 1 >= bytes.length) return `compression pointer at offset ${position} runs past the end of its data`;
      const target = readU16(bytes, position) & POINTER_OFFSET_MASK;
      if (target >= pointerLimit) return `compression pointer at offset ${position} to offset ${target} does not point backwards`;
      if (end < 0) end = position + 2;
      pointerLimit = target;
      position = target;
      continue;
    }
    if (kind !== 0) return `label type 0x${kind.toString(16)} at offset ${position} is not supported`;
    if (length === 0) {
      if (end < 0) end = position + 1;
      break;
    }
    if (position + 1 + length > bytes.length) return `label at offset ${position} runs past the end of its data`;
    wireBytes += 1 + length;
    if (wireBytes > DNS_MAX_NAME_BYTES) return `name at offset ${start} is longer than ${DNS_MAX_NAME_BYTES} bytes`;
    labels.push(formatLabel(bytes.subarray(position + 1, position + 1 + length)));
    position += 1 + length;
  }
  return { name: labels.join('.'), end };
}

function formatLabel(label: Uint8Array): string {
  let text = '';
  for (const byte of label) {
    if (byte === 0x2e || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString().padStart(3, '0')}`;
  }
  return text;
}

/**
 * Encodes a name (dotted text, an optional trailing dot, RFC 1035 escapes)
 * in wire form without compression, or returns why it is not a valid
 * name: an empty label, a label over 63 bytes, a name over 255 bytes, a
 * bad escape, or a character outside ASCII.
 */
export function encodeDnsName(name: string): DnsNameEncodeResult {
  if (name === '' || name === '.') return { ok: true, bytes: Uint8Array.of(0) };
  const text = endsWithUnescapedDot(name) ? name.slice(0, -1) : name;
  const out: number[] = [];
  let label: number[] = [];
  const closeLabel = (): string | undefined => {
    if (label.length === 0) return `empty label in "${name}"`;
    if (label.length > DNS_MAX_LABEL_BYTES) return `label of ${label.length} bytes in "${name}" is longer than ${DNS_MAX_LABEL_BYTES}`;
    out.push(label.length, ...label);
    label = [];
    return undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e) {
      const error = closeLabel();
      if (error !== undefined) return { ok: false, reason: error };
    } else if (code === 0x5c) {
      const digits = /^\d{3}/.exec(text.slice(i + 1, i + 4));
      if (digits !== null) {
        const value = Number(digits[0]);
        if (value > 255) return { ok: false, reason: `escape \\${digits[0]} in "${name}" is above 255` };
        label.push(value);
        i += 3;
      } else if (i + 1 < text.length && text.charCodeAt(i + 1) < 0x80) {
        label.push(text.charCodeAt(i + 1));
        i += 1;
      } else {
        return { ok: false, reason: `incomplete escape at the end of "${name}"` };
      }
    } else if (code >= 0x80) {
      return { ok: false, reason: `"${name}" contains a character outside ASCII (write an internationalized name in its xn-- form)` };
    } else {
      label.push(code);
    }
  }
  const error = closeLabel();
  if (error !== undefined) return { ok: false, reason: error };
  out.push(0);
  if (out.length > DNS_MAX_NAME_BYTES) return { ok: false, reason: `"${name}" is ${out.length} bytes long in wire form, above the maximum of ${DNS_MAX_NAME_BYTES}` };
  return { ok: true, bytes: Uint8Array.from(out) };
}

/** True when the last character is a dot that no backslash escapes (an even number of backslashes precede it). */
function endsWithUnescapedDot(name: string): boolean {
  if (!name.endsWith('.')) return false;
  let backslashes = 0;
  for (let i = name.length - 2; i >= 0 && name[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}

/** Compares two names as DNS does: ASCII letters without regard to case (RFC 4343). */
export function dnsNamesEqual(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

function encodeNameOrThrow(name: string): Uint8Array {
  const encoded = encodeDnsName(name);
  if (!encoded.ok) throw new RangeError(encoded.reason);
  return encoded.bytes;
}

function encodeRecordData(data: DnsRecordData): Uint8Array {
  switch (data.kind) {
    case 'address': {
      const bytes = new Uint8Array(4);
      writeIpv4(bytes, 0, data.address);
      return bytes;
    }
    case 'name':
      return encodeNameOrThrow(data.name);
    case 'soa': {
      const primaryServer = encodeNameOrThrow(data.soa.primaryServer);
      const mailbox = encodeNameOrThrow(data.soa.mailbox);
      const bytes = new Uint8Array(primaryServer.length + mailbox.length + SOA_NUMBERS_BYTES);
      bytes.set(primaryServer, 0);
      bytes.set(mailbox, primaryServer.length);
      const numbers = primaryServer.length + mailbox.length;
      const soa = data.soa;
      [soa.serial, soa.refreshSeconds, soa.retrySeconds, soa.expireSeconds, soa.minimumSeconds].forEach((value, i) => writeIpv4(bytes, numbers + i * 4, value));
      return bytes;
    }
    case 'raw':
      return data.bytes;
  }
}

/** Builds a message in a new buffer, names uncompressed; throws RangeError on an invalid name or oversized record data. */
export function emitDns(message: DnsMessage): Buffer {
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(DNS_HEADER_BYTES);
  const flags =
    (message.response ? FLAG.RESPONSE : 0) |
    ((message.opcode & OPCODE_MASK) << OPCODE_SHIFT) |
    (message.authoritative ? FLAG.AUTHORITATIVE : 0) |
    (message.truncated ? FLAG.TRUNCATED : 0) |
    (message.recursionDesired ? FLAG.RECURSION_DESIRED : 0) |
    (message.recursionAvailable ? FLAG.RECURSION_AVAILABLE : 0) |
    (message.rcode & RCODE_MASK);
  header.writeUInt16BE(message.id, FIELD.ID);
  header.writeUInt16BE(flags, FIELD.FLAGS);
  header.writeUInt16BE(message.questions.length, FIELD.QUESTION_COUNT);
  header.writeUInt16BE(message.answers.length, FIELD.ANSWER_COUNT);
  header.writeUInt16BE(message.authorities.length, FIELD.AUTHORITY_COUNT);
  header.writeUInt16BE(message.additionals.length, FIELD.ADDITIONAL_COUNT);
  parts.push(header);

  for (const question of message.questions) {
    parts.push(encodeNameOrThrow(question.name));
    const fixed = Buffer.alloc(QUESTION_FIXED_BYTES);
    fixed.writeUInt16BE(question.type, 0);
    fixed.writeUInt16BE(question.class, 2);
    parts.push(fixed);
  }
  for (const record of [...message.answers, ...message.authorities, ...message.additionals]) {
    const data = encodeRecordData(record.data);
    if (data.length > 0xffff) throw new RangeError(`record data of ${data.length} bytes for ${record.name} exceeds 65535`);
    parts.push(encodeNameOrThrow(record.name));
    const fixed = Buffer.alloc(RECORD_FIXED_BYTES);
    fixed.writeUInt16BE(record.type, 0);
    fixed.writeUInt16BE(record.class, 2);
    fixed.writeUInt32BE(record.ttl >>> 0, 4);
    fixed.writeUInt16BE(data.length, 8);
    parts.push(fixed, data);
  }
  return Buffer.concat(parts);
}

function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}
