// IPv4 addresses inside the stack are unsigned 32-bit numbers in host
// order (0xc0a87a02 is 192.168.122.2); these helpers convert at the edges.

export type Ipv4Address = number;

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted quad; returns undefined when the text is not one. */
export function parseIpv4(text: string): Ipv4Address | undefined {
  const match = DOTTED_QUAD.exec(text);
  if (match === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function formatIpv4(address: Ipv4Address): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/** Network mask for a prefix length 0..32. */
export function prefixToMask(prefixLength: number): Ipv4Address {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Prefix length of a contiguous mask, or -1 when the mask is not contiguous. */
export function maskToPrefix(mask: Ipv4Address): number {
  let prefix = 0;
  while (prefix < 32 && ((mask >>> (31 - prefix)) & 1) === 1) prefix++;
  return prefixToMask(prefix) === mask >>> 0 ? prefix : -1;
}

export interface Ipv4Cidr {
  address: Ipv4Address;
  prefixLength: number;
}

/** Parses "a.b.c.d/n"; returns undefined when the text is not in that form. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  if (prefixLength > 32) return undefined;
  return { address, prefixLength };
}

export function readIpv4(bytes: Uint8Array, offset: number): Ipv4Address {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

export function writeIpv4(bytes: Uint8Array, offset: number, address: Ipv4Address): void {
  bytes[offset] = address >>> 24;
  bytes[offset + 1] = (address >>> 16) & 0xff;
  bytes[offset + 2] = (address >>> 8) & 0xff;
  bytes[offset + 3] = address & 0xff;
}
