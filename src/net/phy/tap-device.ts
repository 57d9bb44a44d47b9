// A TAP device (the C addon) as a FrameDevice: created on open, optionally
// attached to a bridge, brought up, and removed again on close.
import { native, type NativeTap } from '../../native';
import { ETHERNET_HEADER_BYTES } from '../wire/ethernet';
import type { FrameDevice, FrameReceiver, OutgoingFrame } from './device';

/** Room for an 802.1Q tag on frames the kernel hands us. */
const VLAN_TAG_BYTES = 4;

export interface TapOptions {
  /** Interface name; empty lets the kernel choose (tap0, tap1, ...). */
  name?: string;
  mtu: number;
  /** Bridge to attach to, or undefined to leave the TAP unattached. */
  bridge?: string;
}

export class TapDevice implements FrameDevice {
  readonly name: string;
  readonly mtu: number;
  private tap: NativeTap | undefined;

  private constructor(tap: NativeTap, mtu: number) {
    this.tap = tap;
    this.name = tap.name;
    this.mtu = mtu;
  }

  /** Creates the TAP, sets its MTU, attaches it to the bridge and brings it up. */
  static open(options: TapOptions): TapDevice {
    const frameMax = options.mtu + ETHERNET_HEADER_BYTES + VLAN_TAG_BYTES;
    const tap = new native.Tap(options.name ?? '', { frameMax });
    try {
      native.setInterfaceMtu(tap.name, options.mtu);
      if (options.bridge !== undefined) native.attachToBridge(tap.name, options.bridge);
      native.setInterfaceUp(tap.name, true);
    } catch (error) {
      tap.close();
      throw error;
    }
    return new TapDevice(tap, options.mtu);
  }

  start(receiver: FrameReceiver): void {
    if (this.tap === undefined) throw new Error(`TAP ${this.name} is closed`);
    this.tap.start((packed, lengths) => {
      const frames: Uint8Array[] = new Array(lengths.length);
      let offset = 0;
      for (let i = 0; i < lengths.length; i++) {
        frames[i] = packed.subarray(offset, offset + lengths[i]);
        offset += lengths[i];
      }
      receiver(frames);
    });
  }

  send(frames: readonly OutgoingFrame[]): number {
    if (this.tap === undefined) return 0;
    return this.tap.write(frames as Array<Uint8Array | Uint8Array[]>);
  }

  /** Frames the kernel rejected since the TAP was opened. */
  get writeErrors(): number {
    return this.tap?.writeErrors ?? 0;
  }

  close(): void {
    this.tap?.close();
    this.tap = undefined;
  }
}
