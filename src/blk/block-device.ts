// Block devices and image files over the native addon: O_DIRECT where the
// file system allows it, transfers on libuv's thread pool, aligned buffers.
import * as fs from 'node:fs';
import { native, type NativeBlockInfo } from '../native';
import { createLogger } from '../log';
import { BlockDeviceError, toBlockDeviceError } from './block-device-error';

const logger = createLogger('blk');

export interface BlockDeviceOptions {
  writable?: boolean;
  /** Try O_DIRECT (the default); false opens the file through the page cache. */
  direct?: boolean;
}

/**
 * The operations the SHFS layer needs from a device. `BlockDevice`
 * implements it; tests wrap it to count or fail transfers.
 */
export interface BlockStorage {
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** Required alignment of buffers, positions and lengths for direct `readInto` transfers, in bytes. */
  readonly alignment: number;
  read(position: number, length: number): Promise<Buffer>;
  /**
   * Reads `length` bytes at `position` into `target[offset..]`. With O_DIRECT,
   * `target` must come from `allocAligned` and offset, length and position
   * must be multiples of `alignment`; other requests go through `read`.
   */
  readInto(target: Buffer, offset: number, length: number, position: number): Promise<void>;
  write(position: number, data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Rejects anything but regular files and block devices before they are
 * opened. The addon checks the type as well, but only after open(2), which
 * blocks the whole process on a FIFO until a writer appears. A path that
 * cannot be examined is left to open(2), which reports why.
 */
function checkDeviceType(filePath: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(filePath);
  } catch {
    return;
  }
  if (!stat.isFile() && !stat.isBlockDevice()) {
    throw new BlockDeviceError('EINVAL', `${filePath} is neither a regular file nor a block device`, filePath);
  }
}

function roundDown(value: number, multiple: number): number {
  return Math.floor(value / multiple) * multiple;
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** Allocates a zeroed buffer whose memory starts at a multiple of `alignment`. */
export function allocAligned(size: number, alignment = 4096): Buffer {
  return native.allocAligned(size, alignment);
}

/** Allocates an aligned buffer without clearing it, for a read that fills all of it. */
export function allocAlignedForRead(size: number, alignment = 4096): Buffer {
  return native.allocAligned(size, alignment, false);
}

export class BlockDevice implements BlockStorage {
  readonly path: string;
  readonly size: number;
  readonly sectorSize: number;
  readonly alignment: number;
  readonly blockDevice: boolean;
  /** True when transfers bypass the page cache (O_DIRECT). */
  readonly direct: boolean;
  readonly writable: boolean;

  private fd: number;
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private closing: Promise<void> | undefined;

  private constructor(filePath: string, info: NativeBlockInfo, writable: boolean) {
    this.path = filePath;
    this.fd = info.fd;
    this.size = info.size;
    this.sectorSize = info.sectorSize;
    this.alignment = info.alignment;
    this.blockDevice = info.blockDevice;
    this.direct = info.direct;
    this.writable = writable;
  }

  /**
   * Opens an image file or block device. Throws a `BlockDeviceError` whose
   * code is the errno name ('ENOENT', 'EACCES', ...) and whose message names
   * the path.
   */
  static open(filePath: string, options: BlockDeviceOptions = {}): BlockDevice {
    const writable = options.writable ?? false;
    const wantDirect = options.direct ?? true;
    checkDeviceType(filePath);
    let info: NativeBlockInfo;
    try {
      info = native.blkOpen(filePath, { writable, direct: wantDirect });
    } catch (error) {
      throw toBlockDeviceError(error, filePath, 'cannot open');
    }

    if (wantDirect && !info.direct) {
      logger.info(`${filePath}: the file system rejects O_DIRECT, so it is read through the page cache`);
    }
    return new BlockDevice(filePath, info, writable);
  }

  async read(position: number, length: number): Promise<Buffer> {
    this.checkRange(position, length);
    if (length === 0) return Buffer.alloc(0);

    // O_DIRECT transfers whole aligned blocks, so the request is widened and
    // the requested bytes are returned as a view into the aligned buffer.
    const start = roundDown(position, this.alignment);
    const end = roundUp(position + length, this.alignment);
    const buffer = allocAlignedForRead(end - start, this.alignment);
    const done = await this.transfer('read', buffer, 0, end - start, start);
    if (done < position + length - start) {
      throw new BlockDeviceError('EIO', `${this.path}: unexpected end of device reading ${length} bytes at byte ${position}`, this.path);
    }
    return buffer.subarray(position - start, position - start + length);
  }

  async readInto(target: Buffer, offset: number, length: number, position: number): Promise<void> {
    this.checkRange(position, length);
    if (length === 0) return;

    const aligned = offset % this.alignment === 0 && length % this.alignment === 0 && position % this.alignment === 0;
    if (this.direct && !aligned) {
      const data = await this.read(position, length);
      data.copy(target, offset);
      return;
    }

    const done = await this.transfer('read', target, offset, length, position);
    if (done < length) {
      throw new BlockDeviceError('EIO', `${this.path}: unexpected end of device reading ${length} bytes at byte ${position}`, this.path);
    }
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    if (!this.writable) {
      throw new BlockDeviceError('EBADF', `${this.path}: the device is open read-only`, this.path);
    }
    this.checkRange(position, data.length);
    if (data.length === 0) return;

    if (!this.direct) {
      await this.transferAll('write', data, 0, data.length, position);
      return;
    }

    // O_DIRECT needs aligned memory, positions and lengths: unaligned edges
    // are read first so that the bytes around the request stay as they are.
    const start = roundDown(position, this.alignment);
    const end = roundUp(position + data.length, this.alignment);
    if (end > this.size) {
      throw new BlockDeviceError(
        'EINVAL',
        `${this.path}: cannot write the last ${this.size % this.alignment} bytes of a device whose size is not a multiple of ${this.alignment} with O_DIRECT`,
        this.path,
      );
    }
    const buffer = allocAligned(end - start, this.alignment);
    if (start !== position || end !== position + data.length) {
      const done = await this.transfer('read', buffer, 0, end - start, start);
      if (done < end - start) {
        throw new BlockDeviceError('EIO', `${this.path}: unexpected end of device at byte ${start + done}`, this.path);
      }
    }
    Buffer.from(data.buffer, data.byteOffset, data.length).copy(buffer, position - start);
    await this.transferAll('write', buffer, 0, end - start, start);
  }

  sync(): Promise<void> {
    return this.track(
      () =>
        new Promise<void>((resolve, reject) => {
          native.blkSync(this.fd, (error) => {
            if (error) reject(toBlockDeviceError(error, this.path, 'sync failed', 'EIO'));
            else resolve();
          });
        }),
    );
  }

  /** Closes the descriptor once the transfers in flight have finished; later calls fail with EBADF. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.waitIdle().then(() => {
        native.blkClose(this.fd);
        this.fd = -1;
      });
    }
    return this.closing;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  private checkRange(position: number, length: number): void {
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0) {
      throw new BlockDeviceError('EINVAL', `${this.path}: invalid transfer of ${length} bytes at byte ${position}`, this.path);
    }
    if (position + length > this.size) {
      throw new BlockDeviceError(
        'EINVAL',
        `${this.path}: transfer of ${length} bytes at byte ${position} ends beyond the device size of ${this.size} bytes`,
        this.path,
      );
    }
  }

  // A write that the kernel shortens (a full disk) is an error, unlike a read at the end of a file.
  private async transferAll(kind: 'write', buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    const done = await this.transfer(kind, buffer, offset, length, position);
    if (done < length) {
      throw new BlockDeviceError('EIO', `${this.path}: short write of ${done} of ${length} bytes at byte ${position}`, this.path);
    }
  }

  private transfer(kind: 'read' | 'write', buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.track(
      () =>
        new Promise<number>((resolve, reject) => {
          const call = kind === 'read' ? native.blkRead : native.blkWrite;
          call(this.fd, buffer, offset, length, position, (error, bytes) => {
            if (error) reject(toBlockDeviceError(error, this.path, `${kind} failed`, 'EIO'));
            else resolve(bytes ?? 0);
          });
        }),
    );
  }

  // Counts transfers in flight so that close() never frees a descriptor that
  // a worker thread still uses (the number could be reused by another open).
  private async track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing) {
      throw new BlockDeviceError('EBADF', `${this.path}: the device is closed`, this.path);
    }
    this.pending += 1;
    try {
      return await operation();
    } finally {
      this.pending -= 1;
      if (this.pending === 0) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    }
  }

  private waitIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
