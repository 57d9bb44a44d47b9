// One hash table entry (SHFS 2.1): 245 bytes in a 256-byte slot. The
// object fields (f.*) and link fields (l.*) overlay bytes 64..171, and the
// link flag selects which set applies.
import { readCharField, readU64, writeCharField, writeU64 } from './label';

export const ENTRY_SLOT_SIZE = 256;
/** Bytes of the packed entry structure inside its slot. */
export const ENTRY_RAW_SIZE = 245;
export const MAX_DIGEST_SIZE = 64;

/** Offsets of the entry fields, relative to the start of the slot. */
export const ENTRY_FIELDS = {
  digest: 0,
  // Objects.
  chunk: 64,
  offset: 72,
  length: 80,
  mime: 88,
  encoding: 120,
  // Links.
  hostType: 64,
  host: 65,
  port: 98,
  path: 100,
  linkType: 171,
  // Both.
  createdAt: 172,
  flags: 180,
  name: 181,
} as const;

export const ENTRY_FIELD_SIZES = {
  mime: 32,
  encoding: 16,
  host: 32,
  path: 71,
  name: 64,
} as const;

export const FLAG_HIDDEN = 0x1;
export const FLAG_LINK = 0x4;
export const FLAG_DEFAULT = 0x8;

export const HOST_TYPE_NAME = 0;
export const HOST_TYPE_IPV4 = 1;
export const HOST_TYPE_IPV6 = 2;

export const LINK_TYPE_REDIRECT = 0;
export const LINK_TYPE_RAW = 1;
export const LINK_TYPE_AUTO = 2;

export interface RawObjectFields {
  chunk: number;
  offset: number;
  length: number;
  mime: Buffer;
  encoding: Buffer;
}

export interface RawLinkFields {
  hostType: number;
  /** The 32 bytes of the host field: name text, or the address in its first 4 (IPv4) or 16 (IPv6) bytes. */
  host: Buffer;
  port: number;
  path: Buffer;
  linkType: number;
}

/** A decoded slot; `object` or `link` is set according to the link flag. */
export interface RawEntry {
  digest: Buffer;
  createdAt: number;
  flags: number;
  name: Buffer;
  object?: RawObjectFields;
  link?: RawLinkFields;
}

/** True when the first `hashLength` bytes of the slot are zero: the slot is free. */
export function isFreeSlot(slot: Uint8Array, hashLength: number): boolean {
  for (let i = 0; i < hashLength; i++) {
    if (slot[i] !== 0) return false;
  }
  return true;
}

export function parseEntry(slot: Uint8Array, hashLength: number): RawEntry {
  const bytes = Buffer.from(slot.buffer, slot.byteOffset, ENTRY_SLOT_SIZE);
  const f = ENTRY_FIELDS;
  const s = ENTRY_FIELD_SIZES;
  const flags = bytes[f.flags];
  const entry: RawEntry = {
    digest: Buffer.from(bytes.subarray(f.digest, f.digest + hashLength)),
    createdAt: readU64(bytes, f.createdAt),
    flags,
    name: readCharField(bytes, f.name, s.name),
  };

  if (flags & FLAG_LINK) {
    entry.link = {
      hostType: bytes[f.hostType],
      host: Buffer.from(bytes.subarray(f.host, f.host + s.host)),
      port: bytes.readUInt16LE(f.port),
      path: readCharField(bytes, f.path, s.path),
      linkType: bytes[f.linkType],
    };
  } else {
    entry.object = {
      chunk: readU64(bytes, f.chunk),
      offset: readU64(bytes, f.offset),
      length: readU64(bytes, f.length),
      mime: readCharField(bytes, f.mime, s.mime),
      encoding: readCharField(bytes, f.encoding, s.encoding),
    };
  }
  return entry;
}

export function writeDigest(slot: Buffer, digest: Uint8Array): void {
  Buffer.from(digest.buffer, digest.byteOffset, digest.length).copy(slot, ENTRY_FIELDS.digest);
}

export function writeObjectFields(slot: Buffer, fields: { chunk: number; offset: number; length: number }): void {
  writeU64(slot, ENTRY_FIELDS.chunk, fields.chunk);
  writeU64(slot, ENTRY_FIELDS.offset, fields.offset);
  writeU64(slot, ENTRY_FIELDS.length, fields.length);
}

export function writeMime(slot: Buffer, mime: Uint8Array): void {
  writeCharField(slot, ENTRY_FIELDS.mime, ENTRY_FIELD_SIZES.mime, mime);
}

export function clearEncoding(slot: Buffer): void {
  slot.fill(0, ENTRY_FIELDS.encoding, ENTRY_FIELDS.encoding + ENTRY_FIELD_SIZES.encoding);
}

export function writeName(slot: Buffer, name: Uint8Array): void {
  writeCharField(slot, ENTRY_FIELDS.name, ENTRY_FIELD_SIZES.name, name);
}

export function writeCreatedAt(slot: Buffer, seconds: number): void {
  writeU64(slot, ENTRY_FIELDS.createdAt, seconds);
}

export function writeFlags(slot: Buffer, flags: number): void {
  slot[ENTRY_FIELDS.flags] = flags;
}
