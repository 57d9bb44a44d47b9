// The actions of the control channel. The first six are the original's
// XenStore control triggers. add-obj and rm-obj change the mounted volume
// with shfs-admin and remount it, get-stats reads the statistics device
// back, and status reports what the appliance serves.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatIpv4 } from '../net/ipv4-address';
import { formatMac } from '../net/wire/ethernet';
import type { Appliance } from './appliance';
import type { ControlRequest } from './control-channel';
import { ApplianceShellContext } from './shell-context';

/** shfs-admin next to this module's compiled tree (dist/src/appliance -> bin/). */
const SHFS_ADMIN = path.join(__dirname, '..', '..', '..', 'bin', 'shfs-admin');
/** Bytes read at a time from the statistics device. */
const STATISTICS_READ_BYTES = 64 * 1024;
/** Maximum bytes get-stats reads while looking for the end of the export. */
const STATISTICS_MAX_BYTES = 64 * 1024 * 1024;
/** Time shfs-admin may take to store an object. */
const SHFS_ADMIN_TIMEOUT_MS = 30 * 60_000;

export const CONTROL_ACTIONS: Record<string, string> = {
  mount: 'mount PATH...       mount the volume on these members',
  umount: 'umount              unmount the volume',
  remount: 'remount             unmount and mount the same members again',
  flush: 'flush               drop every cached chunk',
  prefetch: 'prefetch [OBJECT]   load one object (name or digest), or all, into the cache',
  'export-stats': 'export-stats        write the access statistics to the -x device',
  'add-obj': 'add-obj FILE [shfs-admin options]  store FILE on the volume and remount',
  'rm-obj': 'rm-obj DIGEST       remove an object from the volume and remount',
  'get-stats': 'get-stats           print the statistics last exported to the -x device',
  status: 'status              print the address, TAP and volume',
};

export async function runControlAction(appliance: Appliance, request: ControlRequest): Promise<string> {
  const { action, args } = request;
  const volumes = appliance.volumes;
  switch (action) {
    case 'mount': {
      const volume = await volumes.mount(args);
      return `mounted volume '${volume.name}' (${volume.entries().length} objects)`;
    }
    case 'umount':
      expectNoArguments(action, args);
      await volumes.umount();
      return 'unmounted';
    case 'remount': {
      expectNoArguments(action, args);
      const volume = await volumes.remount();
      return `remounted volume '${volume.name}' (${volume.entries().length} objects)`;
    }
    case 'flush': {
      expectNoArguments(action, args);
      const volume = volumes.volume;
      if (volume === undefined) throw new Error('no volume is mounted');
      volume.flushCache();
      return 'cache flushed';
    }
    case 'prefetch':
      return prefetch(appliance, args);
    case 'export-stats': {
      expectNoArguments(action, args);
      const result = await new ApplianceShellContext(appliance).exportStatistics();
      return `exported ${result.bytes} bytes of statistics to ${result.device}`;
    }
    case 'add-obj': {
      if (args.length === 0) throw new Error('add-obj: missing FILE');
      return changeVolume(appliance, ['-a', path.resolve(args[0]), ...args.slice(1)]);
    }
    case 'rm-obj': {
      if (args.length !== 1) throw new Error('rm-obj: expected exactly one DIGEST');
      return changeVolume(appliance, ['-r', args[0]]);
    }
    case 'get-stats':
      expectNoArguments(action, args);
      return readStatistics(appliance);
    case 'status':
      expectNoArguments(action, args);
      return status(appliance);
    default:
      throw new Error(`unknown action '${action}'; actions: ${Object.keys(CONTROL_ACTIONS).join(', ')}`);
  }
}

function expectNoArguments(action: string, args: readonly string[]): void {
  if (args.length > 0) throw new Error(`${action} takes no arguments`);
}

async function prefetch(appliance: Appliance, args: readonly string[]): Promise<string> {
  const volume = appliance.volumes.volume;
  if (volume === undefined) throw new Error('no volume is mounted');
  if (args.length === 0) {
    await volume.prefetchAll();
    return `prefetched ${volume.entries().length} objects`;
  }
  for (const name of args) {
    const entry = volume.findByDigestHex(name) ?? volume.findByName(name);
    if (entry === undefined) throw new Error(`prefetch: ${name}: no such object`);
    await appliance.volumes.prefetch(entry);
  }
  return `prefetched ${args.join(', ')}`;
}

/**
 * Runs shfs-admin on the mounted volume's members, then remounts so the
 * change is served. The volume stays mounted while shfs-admin writes: the
 * tool writes object data before the table entry, so readers never see a
 * half-written object, and the new table is only read at the remount.
 */
async function changeVolume(appliance: Appliance, adminArgs: string[]): Promise<string> {
  const paths = appliance.volumes.devicePaths;
  if (appliance.volumes.volume === undefined || paths.length === 0) throw new Error('no volume is mounted');
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [SHFS_ADMIN, ...adminArgs, ...paths], { timeout: SHFS_ADMIN_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(stderr.trim() || stdout.trim() || error.message));
        return;
      }
      resolve(`${stdout}${stderr}`.trim());
    });
  });
  const volume = await appliance.volumes.remount();
  const summary = `remounted volume '${volume.name}' (${volume.entries().length} objects)`;
  return output.length > 0 ? `${output}\n${summary}` : summary;
}

async function readStatistics(appliance: Appliance): Promise<string> {
  const device = appliance.options.statsDevice;
  if (device === undefined) throw new Error('no statistics device is configured (start the appliance with -x PATH)');
  // The export ends at its zero byte; a block device goes on far beyond it.
  const handle = await fs.promises.open(device, 'r').catch((error: Error) => {
    throw new Error(`cannot read ${device}: ${error.message}`);
  });
  try {
    const pieces: Buffer[] = [];
    let total = 0;
    for (;;) {
      const piece = Buffer.alloc(STATISTICS_READ_BYTES);
      const { bytesRead } = await handle.read(piece, 0, piece.length, total);
      const end = piece.subarray(0, bytesRead).indexOf(0);
      pieces.push(piece.subarray(0, end < 0 ? bytesRead : end));
      total += bytesRead;
      if (end >= 0 || bytesRead === 0) break;
      if (total >= STATISTICS_MAX_BYTES) throw new Error(`${device} contains no statistics export: no end within ${STATISTICS_MAX_BYTES} bytes`);
    }
    return Buffer.concat(pieces).toString('utf8').trimEnd();
  } finally {
    await handle.close();
  }
}

function status(appliance: Appliance): string {
  const config = appliance.stack?.iface.config;
  const volume = appliance.volumes.volume;
  return [
    `MAC:     ${formatMac(appliance.mac)}`,
    `IP:      ${config === undefined ? 'none' : `${formatIpv4(config.address)}/${config.prefixLength}`}`,
    `TAP:     ${appliance.tapName ?? '-'}`,
    `Volume:  ${volume === undefined ? 'none' : `${volume.name} (${volume.entries().length} objects) on ${appliance.volumes.devicePaths.join(', ')}`}`,
  ].join('\n');
}
