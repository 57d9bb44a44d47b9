// DHCP messages (RFC 2131) with their options (RFC 2132): the BOOTP header
// (RFC 951), the magic cookie, and the options field. Options may also sit
// in the `sname` and `file` fields (option overload, RFC 2132 section 9.3),
// and a long option may be split into several instances (RFC 3396).
import { readIpv4, writeIpv4, type Ipv4Address } from '../ipv4-address';
import { readMac, writeMac, type MacAddress } from './ethernet';

/** Fixed BOOTP header before the magic cookie. */
export const DHCP_FIXED_HEADER_BYTES = 236;
/** Smallest BOOTP message that relay agents accept (RFC 1542); shorter messages are padded. */
export const DHCP_MIN_MESSAGE_BYTES = 300;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

export const BootpOperation = {
  REQUEST: 1,
  REPLY: 2,
} as const;

/** Values of option 53 (RFC 2132 section 9.6). */
export const DhcpMessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

const MESSAGE_TYPE_NAMES: Record<number, string> = {
  1: 'DHCPDISCOVER',
  2: 'DHCPOFFER',
  3: 'DHCPREQUEST',
  4: 'DHCPDECLINE',
  5: 'DHCPACK',
  6: 'DHCPNAK',
  7: 'DHCPRELEASE',
  8: 'DHCPINFORM',
};

export function dhcpMessageTypeName(type: number): string {
  return MESSAGE_TYPE_NAMES[type] ?? `DHCP message type ${type}`;
}

/** Option codes (RFC 2132). */
export const DhcpOption = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS_SERVER: 6,
  HOST_NAME: 12,
  REQUESTED_ADDRESS: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  CLIENT_ID: 61,
  END: 255,
} as const;

/** Lease time value meaning "infinite" (RFC 2131 section 3.3). */
export const DHCP_INFINITE_LEASE = 0xffffffff;

const HARDWARE_ETHERNET = 1;
const ETHERNET_ADDRESS_BYTES = 6;
const MAGIC_COOKIE = 0x63825363;
const FLAG_BROADCAST = 0x8000;

const FIELD = {
  OP: 0,
  HTYPE: 1,
  HLEN: 2,
  HOPS: 3,
  XID: 4,
  SECS: 8,
  FLAGS: 10,
  CIADDR: 12,
  YIADDR: 16,
  SIADDR: 20,
  GIADDR: 24,
  CHADDR: 28,
  SNAME: 44,
  FILE: 108,
  MAGIC_COOKIE: 236,
  OPTIONS: 240,
} as const;

const SNAME_BYTES = 64;
const FILE_BYTES = 128;

/** Values of option 52: which header fields carry more options. */
const OVERLOAD_FILE = 1;
const OVERLOAD_SNAME = 2;

/** The options this codec decodes; other options are skipped. */
export interface DhcpOptions {
  messageType: number;
  subnetMask?: Ipv4Address;
  routers?: Ipv4Address[];
  dnsServers?: Ipv4Address[];
  hostName?: string;
  requestedAddress?: Ipv4Address;
  leaseSeconds?: number;
  serverId?: Ipv4Address;
  parameterRequestList?: number[];
  /** Error text of a DHCPNAK or DHCPDECLINE. */
  message?: string;
  maxMessageSize?: number;
  renewalSeconds?: number;
  rebindingSeconds?: number;
  clientId?: Uint8Array;
}

export interface DhcpMessage {
  op: number;
  hops?: number;
  xid: number;
  secs?: number;
  /** The BROADCAST flag: the client asks for replies to the limited broadcast. */
  broadcast?: boolean;
  ciaddr?: Ipv4Address;
  yiaddr?: Ipv4Address;
  siaddr?: Ipv4Address;
  giaddr?: Ipv4Address;
  /** Client hardware address; only Ethernet is supported. */
  chaddr: MacAddress;
  options: DhcpOptions;
}

export type DhcpParseResult = { ok: true; message: DhcpMessage } | { ok: false; reason: string };

/** Encoding of an option's value, which also fixes the valid lengths. */
type OptionFormat = 'address' | 'addresses' | 'u8' | 'u16' | 'u32' | 'text' | 'bytes' | 'codes';

const OPTION_FORMATS: ReadonlyArray<[code: number, key: keyof DhcpOptions, format: OptionFormat]> = [
  [DhcpOption.MESSAGE_TYPE, 'messageType', 'u8'],
  [DhcpOption.SUBNET_MASK, 'subnetMask', 'address'],
  [DhcpOption.ROUTER, 'routers', 'addresses'],
  [DhcpOption.DNS_SERVER, 'dnsServers', 'addresses'],
  [DhcpOption.HOST_NAME, 'hostName', 'text'],
  [DhcpOption.REQUESTED_ADDRESS, 'requestedAddress', 'address'],
  [DhcpOption.LEASE_TIME, 'leaseSeconds', 'u32'],
  [DhcpOption.SERVER_ID, 'serverId', 'address'],
  [DhcpOption.PARAMETER_REQUEST_LIST, 'parameterRequestList', 'codes'],
  [DhcpOption.MESSAGE, 'message', 'text'],
  [DhcpOption.MAX_MESSAGE_SIZE, 'maxMessageSize', 'u16'],
  [DhcpOption.RENEWAL_TIME, 'renewalSeconds', 'u32'],
  [DhcpOption.REBINDING_TIME, 'rebindingSeconds', 'u32'],
  [DhcpOption.CLIENT_ID, 'clientId', 'bytes'],
];

/**
 * Parses a DHCP message (the UDP payload). Every field and option this
 * codec decodes is validated; unknown options are skipped. The BOOTP
 * padding after the END option is ignored.
 */
export function parseDhcp(bytes: Uint8Array): DhcpParseResult {
  if (bytes.length < FIELD.OPTIONS) return { ok: false, reason: `DHCP message of ${bytes.length} bytes is shorter than the ${FIELD.OPTIONS}-byte header` };
  const op = bytes[FIELD.OP];
  if (op !== BootpOperation.REQUEST && op !== BootpOperation.REPLY) return { ok: false, reason: `unknown BOOTP operation ${op}` };
  if (bytes[FIELD.HTYPE] !== HARDWARE_ETHERNET || bytes[FIELD.HLEN] !== ETHERNET_ADDRESS_BYTES) {
    return { ok: false, reason: `hardware type ${bytes[FIELD.HTYPE]} with address length ${bytes[FIELD.HLEN]} is not Ethernet` };
  }
  const cookie = readIpv4(bytes, FIELD.MAGIC_COOKIE);
  if (cookie !== MAGIC_COOKIE) return { ok: false, reason: `magic cookie 0x${cookie.toString(16).padStart(8, '0')} is not the DHCP cookie 0x63825363` };

  // Collect each option's bytes first: RFC 3396 concatenates the bytes of
  // repeated instances, in the order options, file, sname.
  const collected = new Map<number, Uint8Array[]>();
  const mainError = collectOptions(bytes, FIELD.OPTIONS, bytes.length, 'options', collected);
  if (mainError !== undefined) return { ok: false, reason: mainError };
  const overloadParts = collected.get(DhcpOption.OVERLOAD);
  if (overloadParts !== undefined) {
    const overload = Buffer.concat(overloadParts);
    if (overload.length !== 1 || overload[0] < 1 || overload[0] > 3) return { ok: false, reason: `invalid option overload value ${overload.toString('hex')}` };
    if ((overload[0] & OVERLOAD_FILE) !== 0) {
      const error = collectOptions(bytes, FIELD.FILE, FIELD.FILE + FILE_BYTES, 'file field', collected);
      if (error !== undefined) return { ok: false, reason: error };
    }
    if ((overload[0] & OVERLOAD_SNAME) !== 0) {
      const error = collectOptions(bytes, FIELD.SNAME, FIELD.SNAME + SNAME_BYTES, 'sname field', collected);
      if (error !== undefined) return { ok: false, reason: error };
    }
  }

  const options: Partial<Record<keyof DhcpOptions, unknown>> = {};
  for (const [code, key, format] of OPTION_FORMATS) {
    const parts = collected.get(code);
    if (parts === undefined) continue;
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const decoded = decodeOption(data, format);
    if (typeof decoded === 'string') return { ok: false, reason: `option ${code}: ${decoded}` };
    options[key] = decoded.value;
  }
  const messageType = options.messageType;
  if (messageType === undefined) return { ok: false, reason: 'no DHCP message type option (a plain BOOTP message)' };
  if (MESSAGE_TYPE_NAMES[messageType as number] === undefined) return { ok: false, reason: `unknown DHCP message type ${String(messageType)}` };

  const flags = (bytes[FIELD.FLAGS] << 8) | bytes[FIELD.FLAGS + 1];
  return {
    ok: true,
    message: {
      op,
      hops: bytes[FIELD.HOPS],
      xid: readIpv4(bytes, FIELD.XID),
      secs: (bytes[FIELD.SECS] << 8) | bytes[FIELD.SECS + 1],
      broadcast: (flags & FLAG_BROADCAST) !== 0,
      ciaddr: readIpv4(bytes, FIELD.CIADDR),
      yiaddr: readIpv4(bytes, FIELD.YIADDR),
      siaddr: readIpv4(bytes, FIELD.SIADDR),
      giaddr: readIpv4(bytes, FIELD.GIADDR),
      chaddr: readMac(bytes, FIELD.CHADDR),
      options: options as unknown as DhcpOptions,
    },
  };
}

/** Walks the options in bytes[start..end) and appends each one's data to `collected`; returns an error or undefined. */
function collectOptions(bytes: Uint8Array, start: number, end: number, where: string, collected: Map<number, Uint8Array[]>): string | undefined {
  let i = start;
  while (i < end) {
    const code = bytes[i];
    if (code === DhcpOption.END) return undefined;
    if (code === DhcpOption.PAD) {
      i++;
      continue;
    }
    if (i + 1 >= end) return `option ${code} in the ${where} has no length byte`;
    const length = bytes[i + 1];
    if (i + 2 + length > end) return `option ${code} of length ${length} runs past the end of the ${where}`;
    if (code === DhcpOption.OVERLOAD && where !== 'options') return `option overload inside the ${where}`;
    const parts = collected.get(code);
    const data = bytes.subarray(i + 2, i + 2 + length);
    if (parts === undefined) collected.set(code, [data]);
    else parts.push(data);
    i += 2 + length;
  }
  // RFC 2132 section 3.2 ends the options with END, but some
  // implementations omit it when the options fill the packet, so its
  // absence is accepted.
  return undefined;
}

function decodeOption(data: Uint8Array, format: OptionFormat): { value: unknown } | string {
  switch (format) {
    case 'address':
      if (data.length !== 4) return `an address takes 4 bytes, not ${data.length}`;
      return { value: readIpv4(data, 0) };
    case 'addresses': {
      if (data.length === 0 || data.length % 4 !== 0) return `an address list takes a positive multiple of 4 bytes, not ${data.length}`;
      const addresses: Ipv4Address[] = [];
      for (let i = 0; i < data.length; i += 4) addresses.push(readIpv4(data, i));
      return { value: addresses };
    }
    case 'u8':
      if (data.length !== 1) return `takes 1 byte, not ${data.length}`;
      return { value: data[0] };
    case 'u16':
      if (data.length !== 2) return `takes 2 bytes, not ${data.length}`;
      return { value: (data[0] << 8) | data[1] };
    case 'u32':
      if (data.length !== 4) return `takes 4 bytes, not ${data.length}`;
      return { value: readIpv4(data, 0) };
    case 'text':
      if (data.length === 0) return 'empty text';
      // RFC 2132 says these strings are not NUL-terminated, but some servers add one.
      return { value: Buffer.from(data).toString('latin1').replace(/\0+$/, '') };
    case 'bytes':
      if (data.length === 0) return 'empty value';
      return { value: Uint8Array.from(data) };
    case 'codes':
      if (data.length === 0) return 'empty list';
      return { value: Array.from(data) };
  }
}

function encodeOption(value: unknown, format: OptionFormat): Uint8Array {
  switch (format) {
    case 'address':
    case 'u32': {
      const bytes = new Uint8Array(4);
      writeIpv4(bytes, 0, value as number);
      return bytes;
    }
    case 'addresses': {
      const list = value as Ipv4Address[];
      const bytes = new Uint8Array(list.length * 4);
      list.forEach((address, i) => writeIpv4(bytes, i * 4, address));
      return bytes;
    }
    case 'u8':
      return Uint8Array.of(value as number);
    case 'u16':
      return Uint8Array.of((value as number) >>> 8, (value as number) & 0xff);
    case 'text':
      return Buffer.from(value as string, 'latin1');
    case 'bytes':
      return value as Uint8Array;
    case 'codes':
      return Uint8Array.from(value as number[]);
  }
}

/** Sort key of an option code for emitDhcp: the message type first, then the others by code. */
function emitOrder(code: number): number {
  return code === DhcpOption.MESSAGE_TYPE ? -1 : code;
}

/**
 * Builds a DHCP message in a new buffer: header, magic cookie, the message
 * type first (RFC 2131 does not require it, but some servers expect it),
 * the other options in code order, END, then zero padding up to
 * DHCP_MIN_MESSAGE_BYTES. Values longer than 255 bytes are split into
 * several instances (RFC 3396).
 */
export function emitDhcp(message: DhcpMessage): Buffer {
  const encoded: Array<[number, Uint8Array]> = [];
  const formats = [...OPTION_FORMATS].sort((a, b) => emitOrder(a[0]) - emitOrder(b[0]));
  for (const [code, key, format] of formats) {
    const value = message.options[key];
    if (value === undefined) continue;
    const data = encodeOption(value, format);
    if (data.length === 0) throw new RangeError(`DHCP option ${code} (${key}) is empty`);
    for (let offset = 0; offset < data.length; offset += 255) encoded.push([code, data.subarray(offset, offset + 255)]);
  }
  let optionsLength = 1;
  for (const [, data] of encoded) optionsLength += 2 + data.length;

  const buffer = Buffer.alloc(Math.max(DHCP_MIN_MESSAGE_BYTES, FIELD.OPTIONS + optionsLength));
  buffer[FIELD.OP] = message.op;
  buffer[FIELD.HTYPE] = HARDWARE_ETHERNET;
  buffer[FIELD.HLEN] = ETHERNET_ADDRESS_BYTES;
  buffer[FIELD.HOPS] = message.hops ?? 0;
  writeIpv4(buffer, FIELD.XID, message.xid);
  buffer.writeUInt16BE(message.secs ?? 0, FIELD.SECS);
  buffer.writeUInt16BE(message.broadcast === true ? FLAG_BROADCAST : 0, FIELD.FLAGS);
  writeIpv4(buffer, FIELD.CIADDR, message.ciaddr ?? 0);
  writeIpv4(buffer, FIELD.YIADDR, message.yiaddr ?? 0);
  writeIpv4(buffer, FIELD.SIADDR, message.siaddr ?? 0);
  writeIpv4(buffer, FIELD.GIADDR, message.giaddr ?? 0);
  writeMac(buffer, FIELD.CHADDR, message.chaddr);
  writeIpv4(buffer, FIELD.MAGIC_COOKIE, MAGIC_COOKIE);

  let offset = FIELD.OPTIONS;
  for (const [code, data] of encoded) {
    buffer[offset] = code;
    buffer[offset + 1] = data.length;
    buffer.set(data, offset + 2);
    offset += 2 + data.length;
  }
  buffer[offset] = DhcpOption.END;
  return buffer;
}
