// Ethernet II frames (IEEE 802.3 with an EtherType). MAC addresses are
// numbers (48 bits fit exactly in a double), so they compare with === and
// key maps without allocation.

export type MacAddress = number;

export const ETHERNET_HEADER_BYTES = 14;
/** Smallest frame on the wire without the FCS; shorter frames are padded. */
export const ETHERNET_MIN_FRAME_BYTES = 60;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
} as const;

const FIELD = {
  DESTINATION: 0,
  SOURCE: 6,
  ETHER_TYPE: 12,
} as const;

export const MAC_BROADCAST: MacAddress = 0xffffffffffff;

export interface EthernetHeader {
  destination: MacAddress;
  source: MacAddress;
  etherType: number;
}

export function readMac(bytes: Uint8Array, offset: number): MacAddress {
  return (
    (bytes[offset] * 0x10000 + ((bytes[offset + 1] << 8) | bytes[offset + 2])) * 0x1000000 +
    ((bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) | bytes[offset + 5])
  );
}

export function writeMac(bytes: Uint8Array, offset: number, mac: MacAddress): void {
  const high = Math.floor(mac / 0x1000000);
  const low = mac % 0x1000000;
  bytes[offset] = (high >>> 16) & 0xff;
  bytes[offset + 1] = (high >>> 8) & 0xff;
  bytes[offset + 2] = high & 0xff;
  bytes[offset + 3] = (low >>> 16) & 0xff;
  bytes[offset + 4] = (low >>> 8) & 0xff;
  bytes[offset + 5] = low & 0xff;
}

export function formatMac(mac: MacAddress): string {
  const bytes = new Uint8Array(6);
  writeMac(bytes, 0, mac);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-'); returns undefined otherwise. */
export function parseMac(text: string): MacAddress | undefined {
  const match = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  if (match === null) return undefined;
  let mac = 0;
  for (let i = 1; i <= 6; i++) mac = mac * 256 + parseInt(match[i], 16);
  return mac;
}

/** True for group (multicast and broadcast) addresses: the I/G bit of the first octet. */
export function isMulticastMac(mac: MacAddress): boolean {
  return Math.floor(mac / 0x10000000000) % 2 === 1;
}

/** Parses the header; undefined when the frame is shorter than one. */
export function parseEthernet(frame: Uint8Array): EthernetHeader | undefined {
  if (frame.length < ETHERNET_HEADER_BYTES) return undefined;
  return {
    destination: readMac(frame, FIELD.DESTINATION),
    source: readMac(frame, FIELD.SOURCE),
    etherType: (frame[FIELD.ETHER_TYPE] << 8) | frame[FIELD.ETHER_TYPE + 1],
  };
}

export function emitEthernet(header: EthernetHeader, buffer: Uint8Array, offset = 0): void {
  writeMac(buffer, offset + FIELD.DESTINATION, header.destination);
  writeMac(buffer, offset + FIELD.SOURCE, header.source);
  buffer[offset + FIELD.ETHER_TYPE] = header.etherType >>> 8;
  buffer[offset + FIELD.ETHER_TYPE + 1] = header.etherType & 0xff;
}
