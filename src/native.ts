// Typed access to the C addon built by node-gyp from native/ (binding.gyp).
import * as path from 'node:path';

/** Result of `blkOpen`. */
export interface NativeBlockInfo {
  fd: number;
  /** Size in bytes. */
  size: number;
  /** Logical sector size in bytes (512 for regular files). */
  sectorSize: number;
  /** Required alignment of buffers, offsets and lengths for transfers, in bytes. */
  alignment: number;
  blockDevice: boolean;
  /** False when the file system rejected O_DIRECT and the file was opened buffered. */
  direct: boolean;
}

export interface NativeTap {
  readonly name: string;
  readonly fd: number;
  /** Frames the kernel rejected with an error other than EAGAIN. */
  readonly writeErrors: number;
  /** Starts polling; `onFrames` gets the frames of one batch packed back to back. */
  start(onFrames: (frames: Buffer, lengths: Uint32Array) => void): void;
  stop(): void;
  /** Writes frames, each one buffer or a list written with writev; returns how many were consumed. */
  write(frames: Array<Uint8Array | Uint8Array[]>): number;
  setOffload(flags: number): void;
  setVnetHeaderSize(bytes: number): void;
  /** Stops polling and closes the descriptor, which removes a non-persistent TAP. */
  close(): void;
}

export interface NativeAddon {
  Tap: new (name: string, options?: { vnetHeader?: boolean; frameMax?: number }) => NativeTap;
  interfaceIndex(name: string): number;
  setInterfaceUp(name: string, up: boolean): void;
  setInterfaceMtu(name: string, mtu: number): void;
  /** Sets how many frames the kernel queues for the interface (txqueuelen). */
  setInterfaceTxQueueLength(name: string, frames: number): void;
  setInterfaceAddress(name: string, address: string, netmask: string): void;
  createBridge(name: string): void;
  deleteBridge(name: string): void;
  attachToBridge(port: string, bridge: string): void;

  blkOpen(filePath: string, options?: { writable?: boolean; direct?: boolean }): NativeBlockInfo;
  blkRead(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytes?: number) => void,
  ): void;
  blkWrite(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytes?: number) => void,
  ): void;
  blkSync(fd: number, callback: (error: Error | null) => void): void;
  blkClose(fd: number): void;
  /** Allocates aligned memory, zeroed unless `zero` is false (for buffers a read fills). */
  allocAligned(size: number, alignment?: number, zero?: boolean): Buffer;

  /** One's-complement 16-bit sum (RFC 1071) of buffer[start..end), continued from `initial`; not complemented. */
  checksumSum(buffer: Uint8Array, start?: number, end?: number, initial?: number): number;
}

// dist/src/native.js -> <project>/build/Release/minicache_native.node
const addonPath = path.join(__dirname, '..', '..', 'build', 'Release', 'minicache_native.node');

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: NativeAddon = require(addonPath) as NativeAddon;
