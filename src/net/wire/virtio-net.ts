// The virtio-net header (struct virtio_net_hdr in linux/virtio_net.h,
// 12 bytes with num_buffers, as TUNSETVNETHDRSZ 12 selects) that a TAP
// opened with IFF_VNET_HDR puts before every frame. It carries checksum
// and segmentation offload: a frame marked NEEDS_CSUM has its L4 checksum
// completed by the kernel, and a GSO frame is cut into MSS-sized segments
// by the kernel. Fields are little-endian (virtio 1.0, TUNSETVNETLE is not
// needed on little-endian hosts).

export const VIRTIO_NET_HEADER_BYTES = 12;

export const VirtioNetFlags = {
  /** The checksum at checksumStart + checksumOffset must be completed. */
  NEEDS_CSUM: 0x01,
  /** The checksum was already verified. */
  DATA_VALID: 0x02,
} as const;

export const VirtioNetGso = {
  NONE: 0,
  TCPV4: 1,
  UDP: 3,
  TCPV6: 4,
  ECN: 0x80,
} as const;

/** TUNSETOFFLOAD flags (linux/if_tun.h). */
export const TunOffload = {
  CSUM: 0x01,
  TSO4: 0x02,
  TSO6: 0x04,
  TSO_ECN: 0x08,
} as const;

const FIELD = {
  FLAGS: 0,
  GSO_TYPE: 1,
  HEADER_LENGTH: 2,
  GSO_SIZE: 4,
  CHECKSUM_START: 6,
  CHECKSUM_OFFSET: 8,
  BUFFER_COUNT: 10,
} as const;

export interface VirtioNetHeader {
  flags: number;
  gsoType: number;
  /** Bytes of Ethernet, IP and TCP headers (GSO only). */
  headerLength: number;
  /** Payload bytes per segment (GSO only). */
  gsoSize: number;
  /** Offset of the L4 header from the start of the frame (NEEDS_CSUM only). */
  checksumStart: number;
  /** Offset of the checksum field from checksumStart (NEEDS_CSUM only). */
  checksumOffset: number;
}

export function parseVirtioNetHeader(bytes: Uint8Array): VirtioNetHeader {
  return {
    flags: bytes[FIELD.FLAGS],
    gsoType: bytes[FIELD.GSO_TYPE],
    headerLength: bytes[FIELD.HEADER_LENGTH] | (bytes[FIELD.HEADER_LENGTH + 1] << 8),
    gsoSize: bytes[FIELD.GSO_SIZE] | (bytes[FIELD.GSO_SIZE + 1] << 8),
    checksumStart: bytes[FIELD.CHECKSUM_START] | (bytes[FIELD.CHECKSUM_START + 1] << 8),
    checksumOffset: bytes[FIELD.CHECKSUM_OFFSET] | (bytes[FIELD.CHECKSUM_OFFSET + 1] << 8),
  };
}

export function emitVirtioNetHeader(header: VirtioNetHeader, buffer: Uint8Array, offset = 0): void {
  buffer[offset + FIELD.FLAGS] = header.flags;
  buffer[offset + FIELD.GSO_TYPE] = header.gsoType;
  writeU16le(buffer, offset + FIELD.HEADER_LENGTH, header.headerLength);
  writeU16le(buffer, offset + FIELD.GSO_SIZE, header.gsoSize);
  writeU16le(buffer, offset + FIELD.CHECKSUM_START, header.checksumStart);
  writeU16le(buffer, offset + FIELD.CHECKSUM_OFFSET, header.checksumOffset);
  writeU16le(buffer, offset + FIELD.BUFFER_COUNT, 0);
}

function writeU16le(buffer: Uint8Array, offset: number, value: number): void {
  buffer[offset] = value & 0xff;
  buffer[offset + 1] = value >>> 8;
}
