// The volume the appliance serves: mount, unmount and remount on request
// (command line, shell, control channel), and the list of block devices
// given to the appliance.
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { Logger } from '../log';
import { mountVolume } from '../shfs/volume';
import type { MountedVolume, ShfsEntry } from '../shfs/types';
import type { BlockDeviceInfo } from '../ushell/context';

export class VolumeManager {
  private current: MountedVolume | undefined;
  private currentPaths: string[] = [];
  private readonly knownDevices = new Set<string>();
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cacheSizeBytes: number,
    private readonly logger: Logger,
  ) {}

  get volume(): MountedVolume | undefined {
    return this.current;
  }

  get devicePaths(): readonly string[] {
    return this.currentPaths;
  }

  /** Records a device path (-b, -x) so that `lsvbd` lists it even when unmounted. */
  remember(path: string): void {
    this.knownDevices.add(path);
  }

  /** Mounts the volume made of `paths`; fails when one is mounted already. */
  mount(paths: readonly string[]): Promise<MountedVolume> {
    return this.serialize(() => this.mountNow(paths));
  }

  /** Unmounts the volume; requests being served fail their reads. */
  umount(): Promise<void> {
    return this.serialize(() => this.unmountNow());
  }

  /**
   * Unmounts and mounts the same devices again, picking up changes made by
   * the SHFS tools, as one operation: no other mount operation runs between
   * the two steps.
   */
  remount(): Promise<MountedVolume> {
    return this.serialize(async () => {
      const paths = [...this.currentPaths];
      if (this.current === undefined || paths.length === 0) throw new Error('no volume is mounted');
      await this.unmountNow();
      return this.mountNow(paths);
    });
  }

  private async mountNow(paths: readonly string[]): Promise<MountedVolume> {
    if (paths.length === 0) throw new Error('mount: no device given');
    if (this.current !== undefined) throw new Error(`volume '${this.current.name}' is mounted already: unmount it first`);
    for (const path of paths) this.remember(path);
    const volume = await mountVolume(paths, { cacheSizeBytes: this.cacheSizeBytes });
    this.current = volume;
    this.currentPaths = [...paths];
    const direct = volume.members.every((member) => member.direct) ? 'O_DIRECT' : 'buffered';
    this.logger.info(`mounted volume '${volume.name}' (${volume.entries().length} objects, ${direct}) from ${paths.join(', ')}`);
    return volume;
  }

  private async unmountNow(): Promise<void> {
    const volume = this.current;
    if (volume === undefined) throw new Error('no volume is mounted');
    this.current = undefined;
    await volume.unmount();
    this.logger.info(`unmounted volume '${volume.name}'`);
  }

  /** Reads every chunk of one object through the cache. */
  async prefetch(entry: ShfsEntry): Promise<void> {
    const volume = this.current;
    if (volume === undefined) throw new Error('no volume is mounted');
    if (entry.link !== undefined || entry.size === 0) return;
    await pipeline(
      volume.createReadStream(entry),
      new Writable({
        write(_chunk, _encoding, callback) {
          callback();
        },
      }),
    );
  }

  blockDevices(): BlockDeviceInfo[] {
    const mounted = new Map((this.current?.members ?? []).map((member) => [member.path, member]));
    const result: BlockDeviceInfo[] = [];
    for (const path of this.knownDevices) {
      const member = mounted.get(path);
      let size = member?.size ?? 0;
      let blockDevice = member?.blockDevice ?? false;
      if (member === undefined) {
        try {
          const stat = fs.statSync(path);
          size = stat.size;
          blockDevice = stat.isBlockDevice();
        } catch {
          // Listed with size 0: the path no longer exists.
        }
      }
      result.push({ path, size, sectorSize: 512, blockDevice, inUse: member !== undefined });
    }
    return result;
  }

  async close(): Promise<void> {
    if (this.current !== undefined) await this.umount().catch((error: Error) => this.logger.warn(`unmount failed: ${error.message}`));
  }

  // Mount operations run one at a time, so that a remount from the shell and
  // one from the control channel cannot interleave.
  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.busy.then(operation, operation);
    this.busy = result.catch(() => undefined);
    return result;
  }
}
