// The label in the first 4096 bytes of every member: a 1024-byte boot area
// followed by the common header (SHFS 2.1). Pure codec, little-endian,
// packed fields; validation lives with the code that assembles a volume.

/** Bytes at the start of every member that contain its label. */
export const LABEL_SIZE = 4096;
export const BOOT_AREA_SIZE = 1024;
export const COMMON_HEADER_SIZE = 334;

export const SHFS_MAGIC = Buffer.from('SHFS', 'latin1');
export const SHFS_VERSION_MAJOR = 0x02;
export const SHFS_VERSION_MINOR = 0x01;

export const MAX_MEMBERS = 16;
export const UUID_SIZE = 16;
export const VOLUME_NAME_SIZE = 16;

export const BYTE_ORDER_LITTLE_ENDIAN = 0;
export const STRIPE_MODE_INDEPENDENT = 0;
export const STRIPE_MODE_COMBINED = 1;

/** Offsets of the common header fields, relative to the start of the header. */
export const COMMON_HEADER_FIELDS = {
  magic: 0,
  version: 4,
  volumeUuid: 6,
  volumeName: 22,
  byteOrder: 38,
  encoding: 39,
  volumeSize: 40,
  createdAt: 48,
  stripeMode: 56,
  stripeSize: 57,
  memberUuid: 61,
  memberCount: 77,
  memberUuids: 78,
} as const;

export interface CommonHeader {
  magic: Buffer;
  versionMajor: number;
  versionMinor: number;
  volumeUuid: Buffer;
  /** Raw name bytes up to the first NUL. */
  volumeName: Buffer;
  byteOrder: number;
  encoding: number;
  /** Volume size in chunks. */
  volumeSize: number;
  /** Seconds since the epoch. */
  createdAt: number;
  stripeMode: number;
  stripeSize: number;
  /** The uuid of the member this label was read from. */
  memberUuid: Buffer;
  memberCount: number;
  /** Uuids of all members in volume order (`memberCount` of the 16 slots). */
  memberUuids: Buffer[];
}

/** Reads a u64 that must fit a JavaScript number; larger values become Infinity so that range checks reject them. */
export function readU64(bytes: Uint8Array, offset: number): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const value = view.readBigUInt64LE(offset);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Infinity;
}

export function writeU64(bytes: Buffer, offset: number, value: number): void {
  bytes.writeBigUInt64LE(BigInt(value), offset);
}

/** Returns the bytes of a NUL-padded character field up to its first NUL. */
export function readCharField(bytes: Uint8Array, offset: number, size: number): Buffer {
  const field = Buffer.from(bytes.buffer, bytes.byteOffset + offset, size);
  const end = field.indexOf(0);
  return Buffer.from(end < 0 ? field : field.subarray(0, end));
}

/**
 * Copies `text` into a character field the way C's strncpy does: at most
 * `size` bytes, the rest filled with NULs, no terminator when it fills the field.
 */
export function writeCharField(bytes: Buffer, offset: number, size: number, text: Uint8Array): void {
  bytes.fill(0, offset, offset + size);
  Buffer.from(text.buffer, text.byteOffset, Math.min(text.length, size)).copy(bytes, offset);
}

/** Parses the common header from a member's first bytes (at least 1358). */
export function parseLabel(label: Uint8Array): CommonHeader {
  const header = Buffer.from(label.buffer, label.byteOffset + BOOT_AREA_SIZE, COMMON_HEADER_SIZE);
  const f = COMMON_HEADER_FIELDS;
  const memberCount = header[f.memberCount];
  const memberUuids: Buffer[] = [];
  for (let i = 0; i < Math.min(memberCount, MAX_MEMBERS); i++) {
    const start = f.memberUuids + i * UUID_SIZE;
    memberUuids.push(Buffer.from(header.subarray(start, start + UUID_SIZE)));
  }

  return {
    magic: Buffer.from(header.subarray(f.magic, f.magic + 4)),
    versionMajor: header[f.version],
    versionMinor: header[f.version + 1],
    volumeUuid: Buffer.from(header.subarray(f.volumeUuid, f.volumeUuid + UUID_SIZE)),
    volumeName: readCharField(header, f.volumeName, VOLUME_NAME_SIZE),
    byteOrder: header[f.byteOrder],
    encoding: header[f.encoding],
    volumeSize: readU64(header, f.volumeSize),
    createdAt: readU64(header, f.createdAt),
    stripeMode: header[f.stripeMode],
    stripeSize: header.readUInt32LE(f.stripeSize),
    memberUuid: Buffer.from(header.subarray(f.memberUuid, f.memberUuid + UUID_SIZE)),
    memberCount,
    memberUuids,
  };
}

/** Builds the 4096-byte label of one member (zero boot area, header, zero padding). */
export function emitLabel(header: CommonHeader): Buffer {
  const label = Buffer.alloc(LABEL_SIZE);
  const f = COMMON_HEADER_FIELDS;
  const base = BOOT_AREA_SIZE;

  header.magic.copy(label, base + f.magic, 0, 4);
  label[base + f.version] = header.versionMajor;
  label[base + f.version + 1] = header.versionMinor;
  header.volumeUuid.copy(label, base + f.volumeUuid, 0, UUID_SIZE);
  writeCharField(label, base + f.volumeName, VOLUME_NAME_SIZE, header.volumeName);
  label[base + f.byteOrder] = header.byteOrder;
  label[base + f.encoding] = header.encoding;
  writeU64(label, base + f.volumeSize, header.volumeSize);
  writeU64(label, base + f.createdAt, header.createdAt);
  label[base + f.stripeMode] = header.stripeMode;
  label.writeUInt32LE(header.stripeSize, base + f.stripeSize);
  header.memberUuid.copy(label, base + f.memberUuid, 0, UUID_SIZE);
  label[base + f.memberCount] = header.memberCount;
  header.memberUuids.forEach((uuid, i) => uuid.copy(label, base + f.memberUuids + i * UUID_SIZE, 0, UUID_SIZE));
  return label;
}

/** Formats 16 uuid bytes as the usual 8-4-4-4-12 lower-case text. */
export function formatUuid(uuid: Uint8Array): string {
  const hex = Buffer.from(uuid.buffer, uuid.byteOffset, uuid.length).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
