// mount, umount, remount, shfs-info and lsvbd.
import type { HashFunctionName } from '../../shfs/types';
import { EXIT_FAILURE, type ShellCommand } from '../command-registry';
import { formatListingDate, printable } from '../format';
import { NOT_MOUNTED, printUsage, requireVolume } from './command-helpers';

const HASH_FUNCTION_LABELS: Record<HashFunctionName, string> = {
  sha: 'SHA',
  crc: 'CRC-32',
  md5: 'MD5',
  haval: 'HAVAL',
  manual: 'manual',
};

// Xen virtual block device numbers (51712 is xvda) name no device on Linux.
const DEVICE_NUMBER = /^\d+$/;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const mountCommand: ShellCommand = {
  name: 'mount',
  summary: 'Mount an SHFS volume from image files or block devices, or show the mounted one',
  usage: 'mount [DEVICE-PATH]...',
  async run(args, session) {
    const { context } = session;
    if (args.length === 0) {
      const volume = context.volume();
      if (volume === undefined) {
        session.print(NOT_MOUNTED);
        session.print();
        session.print(`Usage: ${this.usage}`);
        return;
      }
      session.print(`${volume.members.map((member) => member.path).join(',')} on / type shfs (ro)`);
      return;
    }

    const numeric = args.find((argument) => DEVICE_NUMBER.test(argument));
    if (numeric !== undefined) {
      session.print(`${numeric} is a Xen block device number; pass the path of an image file or block device instead`);
      return EXIT_FAILURE;
    }
    const duplicate = args.find((argument, index) => args.indexOf(argument) !== index);
    if (duplicate !== undefined) {
      session.print(`${duplicate} is given twice`);
      return EXIT_FAILURE;
    }
    if (context.volume() !== undefined) {
      session.print('A filesystem is already mounted');
      session.print('Please unmount it first');
      return EXIT_FAILURE;
    }
    try {
      await context.mount(args);
    } catch (error) {
      session.print(`Could not mount: ${messageOf(error)}`);
      return EXIT_FAILURE;
    }
  },
};

export const umountCommand: ShellCommand = {
  name: 'umount',
  summary: 'Unmount the mounted volume (-f: also while objects are being served)',
  usage: 'umount [-f]',
  async run(args, session) {
    if (args.length > 1 || (args.length === 1 && args[0] !== '-f')) return printUsage(session, this.usage);
    if (requireVolume(session) === undefined) return EXIT_FAILURE;
    try {
      await session.context.umount(args[0] === '-f');
    } catch (error) {
      session.print(`Could not unmount: ${messageOf(error)}`);
      return EXIT_FAILURE;
    }
  },
};

export const remountCommand: ShellCommand = {
  name: 'remount',
  summary: 'Mount the mounted volume again, to see changes made by the SHFS tools',
  usage: 'remount',
  async run(_args, session) {
    if (requireVolume(session) === undefined) return EXIT_FAILURE;
    try {
      await session.context.remount();
    } catch (error) {
      session.print(`Could not remount: ${messageOf(error)}`);
      return EXIT_FAILURE;
    }
  },
};

export const shfsInfoCommand: ShellCommand = {
  name: 'shfs-info',
  summary: 'Show the properties of the mounted volume',
  usage: 'shfs-info',
  run(_args, session) {
    const volume = requireVolume(session);
    if (volume === undefined) return EXIT_FAILURE;
    const chunkKiB = volume.chunkSize / 1024;
    const lines = [
      `Volume name:        ${printable(volume.name)}`,
      `Volume UUID:        ${volume.uuid}`,
      `Creation date:      ${formatListingDate(volume.createdAt)}`,
      `Chunksize:          ${chunkKiB} KiB`,
      `Volume size:        ${volume.volumeSize * chunkKiB} KiB`,
      `Hash function:      ${HASH_FUNCTION_LABELS[volume.hashFunction]} (${volume.hashLength * 8} bits)`,
      `Hash table:         ${volume.bucketCount * volume.entriesPerBucket} entries in ${volume.bucketCount} buckets`,
      `Metadata:           ${volume.metadataChunks} chunks (${volume.metadataChunks * chunkKiB} KiB)`,
      `Objects:            ${volume.entries().length}`,
      '',
      `Member stripe size: ${volume.stripeSize / 1024} KiB`,
      `Member stripe mode: ${volume.stripeMode === 'combined' ? 'Combined' : 'Independent'}`,
      `Volume members:     ${volume.members.length} device(s)`,
    ];
    volume.members.forEach((member, index) => {
      lines.push(
        `  Member ${String(index).padStart(2)}:`,
        `    Device:         ${member.path}`,
        `    UUID:           ${member.uuid}`,
        `    Size:           ${member.size} B`,
        `    Type:           ${member.blockDevice ? 'block device' : 'image file'}${member.direct ? ', O_DIRECT' : ''}`,
      );
    });
    for (const line of lines) session.print(line);
  },
};

export const lsvbdCommand: ShellCommand = {
  name: 'lsvbd',
  summary: 'List the block devices and image files the appliance knows',
  usage: 'lsvbd',
  run(_args, session) {
    for (const device of session.context.blockDevices()) {
      const kind = device.blockDevice ? 'block device' : 'image file';
      session.print(` ${device.path}: ${kind}, block size = ${device.sectorSize} bytes, size = ${device.size} bytes${device.inUse ? ', in use' : ''}`);
    }
  },
};
