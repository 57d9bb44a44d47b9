// Opening the members of a volume: each device's label is checked, and the
// devices are put in volume order by matching their member uuids to the
// uuid list in the label. Devices may be given in any order.
import { BlockDevice, type BlockDeviceOptions, type BlockStorage } from '../blk/block-device';
import { ShfsError } from './errors';
import {
  BYTE_ORDER_LITTLE_ENDIAN,
  LABEL_SIZE,
  MAX_MEMBERS,
  SHFS_MAGIC,
  SHFS_VERSION_MAJOR,
  SHFS_VERSION_MINOR,
  STRIPE_MODE_COMBINED,
  STRIPE_MODE_INDEPENDENT,
  formatUuid,
  parseLabel,
  type CommonHeader,
} from './format/label';
import { chunkSizeOf, requiredMemberBytes, type StripeLayout } from './format/geometry';

/** Smallest and largest stripe size a label may give. */
export const MIN_STRIPE_SIZE = 4096;
export const MAX_STRIPE_SIZE = 1 << 20;

/** A device as the SHFS layer uses it, with the optional facts `BlockDevice` adds. */
export type MemberDevice = BlockStorage & { readonly blockDevice?: boolean; readonly direct?: boolean };

export type OpenDevice = (path: string, options: BlockDeviceOptions) => MemberDevice | Promise<MemberDevice>;

export interface VolumeMember {
  path: string;
  uuid: Buffer;
  device: MemberDevice;
}

export interface AssembledVolume {
  /** The label of the first device given; every member's label differs only in `memberUuid`. */
  header: CommonHeader;
  layout: StripeLayout;
  chunkSize: number;
  /** Volume size in chunks. */
  volumeSize: number;
  /** Members in volume order. */
  members: VolumeMember[];
}

export interface AssembleOptions extends BlockDeviceOptions {
  openDevice?: OpenDevice;
}

export function formatVersion(major: number, minor: number): string {
  return `${major.toString(16)}.${minor.toString(16).padStart(2, '0')}`;
}

function volumeTitle(header: CommonHeader): string {
  return `'${header.volumeName.toString('utf8')}' (${formatUuid(header.volumeUuid)})`;
}

/** Checks one label on its own; throws the reason it cannot be used. */
export function checkLabel(path: string, header: CommonHeader): void {
  if (!header.magic.equals(SHFS_MAGIC)) {
    throw new ShfsError('ENOTSHFS', `${path}: not an SHFS volume member (no SHFS label found)`);
  }
  if (header.versionMajor !== SHFS_VERSION_MAJOR || header.versionMinor !== SHFS_VERSION_MINOR) {
    throw new ShfsError(
      'EVERSION',
      `${path}: SHFS version ${formatVersion(header.versionMajor, header.versionMinor)} is not supported ` +
        `(supported: ${formatVersion(SHFS_VERSION_MAJOR, SHFS_VERSION_MINOR)})`,
    );
  }
  if (header.byteOrder !== BYTE_ORDER_LITTLE_ENDIAN) {
    throw new ShfsError('EVERSION', `${path}: big-endian SHFS volumes are not supported`);
  }
  if (header.stripeMode !== STRIPE_MODE_INDEPENDENT && header.stripeMode !== STRIPE_MODE_COMBINED) {
    throw new ShfsError('EVERSION', `${path}: stripe mode 0x${header.stripeMode.toString(16)} is not supported`);
  }
  if (header.memberCount < 1 || header.memberCount > MAX_MEMBERS) {
    throw new ShfsError('EBADCONFIG', `${path}: invalid member count ${header.memberCount} in the label (1 to ${MAX_MEMBERS})`);
  }
  const stripe = header.stripeSize;
  if (stripe < MIN_STRIPE_SIZE || stripe > MAX_STRIPE_SIZE || (stripe & (stripe - 1)) !== 0) {
    throw new ShfsError('EBADCONFIG', `${path}: invalid stripe size ${stripe} in the label`);
  }
  if (!Number.isSafeInteger(header.volumeSize) || header.volumeSize < 2) {
    throw new ShfsError('EBADCONFIG', `${path}: invalid volume size ${header.volumeSize} chunks in the label`);
  }
}

async function readMemberLabel(path: string, device: MemberDevice): Promise<CommonHeader> {
  if (device.size < LABEL_SIZE) {
    throw new ShfsError('ENOTSHFS', `${path}: not an SHFS volume member (${device.size} bytes, too small for a label)`);
  }
  const label = await device.read(0, LABEL_SIZE);
  const header = parseLabel(label);
  checkLabel(path, header);
  return header;
}

function defaultOpenDevice(path: string, options: BlockDeviceOptions): MemberDevice {
  return BlockDevice.open(path, options);
}

/**
 * Opens the devices and assembles the volume. Rejects non-SHFS devices,
 * unsupported versions, devices of different volumes, members given twice or
 * missing, and members too small for the volume (truncated images), each
 * with its own message. Every device opened is closed again on failure.
 */
export async function assembleVolume(paths: readonly string[], options: AssembleOptions = {}): Promise<AssembledVolume> {
  if (paths.length === 0) {
    throw new ShfsError('EMEMBER', 'no volume member given');
  }
  if (paths.length > MAX_MEMBERS) {
    throw new ShfsError('EMEMBER', `${paths.length} devices given, but a volume has at most ${MAX_MEMBERS} members`);
  }

  const openDevice = options.openDevice ?? defaultOpenDevice;
  const opened: Array<{ path: string; device: MemberDevice; header: CommonHeader }> = [];
  try {
    for (const path of paths) {
      const device = await openDevice(path, { writable: options.writable, direct: options.direct });
      try {
        opened.push({ path, device, header: await readMemberLabel(path, device) });
      } catch (error) {
        await device.close();
        throw error;
      }
    }
    return orderMembers(opened);
  } catch (error) {
    await Promise.all(opened.map((member) => member.device.close()));
    throw error;
  }
}

/**
 * Returns the first volume-wide field in which two members' labels differ,
 * or undefined when they agree. The volume is read with the first label, so
 * a member whose label differs (say in its stripe mode) would be read
 * wrongly, and which label is first depends on the order of the arguments.
 */
function labelDisagreement(first: CommonHeader, other: CommonHeader): string | undefined {
  if (first.volumeSize !== other.volumeSize) return 'volume size';
  if (first.stripeMode !== other.stripeMode) return 'stripe mode';
  if (first.stripeSize !== other.stripeSize) return 'stripe size';
  if (first.memberCount !== other.memberCount) return 'member count';
  if (first.memberUuids.some((uuid, index) => !uuid.equals(other.memberUuids[index]))) return 'member list';
  return undefined;
}

function orderMembers(opened: Array<{ path: string; device: MemberDevice; header: CommonHeader }>): AssembledVolume {
  const first = opened[0];
  const header = first.header;
  const members: Array<VolumeMember | undefined> = new Array(header.memberCount).fill(undefined);

  for (const candidate of opened) {
    if (!candidate.header.volumeUuid.equals(header.volumeUuid)) {
      throw new ShfsError(
        'EMEMBER',
        `${candidate.path} belongs to volume ${volumeTitle(candidate.header)}, not to volume ${volumeTitle(header)} of ${first.path}`,
      );
    }
    const disagreement = labelDisagreement(header, candidate.header);
    if (disagreement !== undefined) {
      throw new ShfsError(
        'EMEMBER',
        `the labels of ${first.path} and ${candidate.path} differ in the ${disagreement} of volume ${volumeTitle(header)} (damaged label?)`,
      );
    }
    const index = header.memberUuids.findIndex((uuid) => uuid.equals(candidate.header.memberUuid));
    if (index < 0) {
      throw new ShfsError('EMEMBER', `${candidate.path} is not listed as a member of volume ${volumeTitle(header)}`);
    }
    const earlier = members[index];
    if (earlier) {
      throw new ShfsError('EMEMBER', `${candidate.path} is the same member of volume ${volumeTitle(header)} as ${earlier.path} (given twice)`);
    }
    members[index] = { path: candidate.path, uuid: candidate.header.memberUuid, device: candidate.device };
  }

  const missing = members.findIndex((member) => member === undefined);
  if (missing >= 0) {
    throw new ShfsError(
      'EMEMBER',
      `member ${missing + 1} of ${header.memberCount} of volume ${volumeTitle(header)} is missing ` +
        `(uuid ${formatUuid(header.memberUuids[missing])}); pass every member`,
    );
  }

  const layout: StripeLayout = { stripeMode: header.stripeMode, stripeSize: header.stripeSize, memberCount: header.memberCount };
  const ordered = members as VolumeMember[];
  const required = requiredMemberBytes(layout, header.volumeSize);
  ordered.forEach((member, index) => {
    if (member.device.size < required[index]) {
      throw new ShfsError(
        'ETRUNCATED',
        `${member.path}: ${member.device.size} bytes, but volume ${volumeTitle(header)} needs ${required[index]} bytes ` +
          `on this member (truncated image?)`,
      );
    }
  });

  return { header, layout, chunkSize: chunkSizeOf(layout), volumeSize: header.volumeSize, members: ordered };
}
