// A TAP device (the C addon) as a FrameDevice: created on open, optionally
// attached to a bridge, brought up, and removed again on close. With
// offload, the TAP carries a virtio-net header on every frame
// (IFF_VNET_HDR), so the kernel computes TCP checksums and cuts large TCP
// segments for us, and may hand us frames with checksums still to complete.
import { native, type NativeTap } from '../../native';
import { finishChecksum, onesComplementSum } from '../checksum';
import { ETHERNET_HEADER_BYTES } from '../wire/ethernet';
import { IPV4_MAX_DATAGRAM_BYTES } from '../wire/ipv4';
import { parseVirtioNetHeader, TunOffload, VIRTIO_NET_HEADER_BYTES, VirtioNetFlags } from '../wire/virtio-net';
import type { FrameDevice, FrameReceiver, OutgoingFrame } from './device';

/**
 * Frames the kernel queues for us to read (txqueuelen of the TAP; Linux
 * defaults to 1000). Bursts of client ACKs and SYN floods overflow 1000
 * while the appliance is busy writing.
 */
const TAP_QUEUE_FRAMES = 10_000;
/** Room for an 802.1Q tag on frames the kernel hands us. */
const VLAN_TAG_BYTES = 4;

export interface TapOptions {
  /** Interface name; empty lets the kernel choose (tap0, tap1, ...). */
  name?: string;
  mtu: number;
  /** Bridge to attach to, or undefined to leave the TAP unattached. */
  bridge?: string;
  /** Checksum and segmentation offload through a virtio-net header (default false). */
  offload?: boolean;
}

export class TapDevice implements FrameDevice {
  readonly name: string;
  readonly mtu: number;
  readonly virtioNetHeader: boolean;
  private tap: NativeTap | undefined;
  private dropHandler: (reason: string, detail?: string) => void = () => undefined;

  private constructor(tap: NativeTap, mtu: number, offload: boolean) {
    this.tap = tap;
    this.name = tap.name;
    this.mtu = mtu;
    this.virtioNetHeader = offload;
  }

  /** Creates the TAP, sets its MTU and offloads, attaches it to the bridge and brings it up. */
  static open(options: TapOptions): TapDevice {
    const offload = options.offload === true;
    // With TSO enabled the kernel may pass on segments up to the IPv4 maximum.
    const frameMax = offload
      ? VIRTIO_NET_HEADER_BYTES + ETHERNET_HEADER_BYTES + VLAN_TAG_BYTES + IPV4_MAX_DATAGRAM_BYTES
      : options.mtu + ETHERNET_HEADER_BYTES + VLAN_TAG_BYTES;
    const tap = new native.Tap(options.name ?? '', { frameMax, vnetHeader: offload });
    try {
      if (offload) {
        tap.setVnetHeaderSize(VIRTIO_NET_HEADER_BYTES);
        tap.setOffload(TunOffload.CSUM | TunOffload.TSO4);
      }
      native.setInterfaceMtu(tap.name, options.mtu);
      native.setInterfaceTxQueueLength(tap.name, TAP_QUEUE_FRAMES);
      if (options.bridge !== undefined) native.attachToBridge(tap.name, options.bridge);
      native.setInterfaceUp(tap.name, true);
    } catch (error) {
      tap.close();
      throw error;
    }
    return new TapDevice(tap, options.mtu, offload);
  }

  onDrop(handler: (reason: string, detail?: string) => void): void {
    this.dropHandler = handler;
  }

  start(receiver: FrameReceiver): void {
    if (this.tap === undefined) throw new Error(`TAP ${this.name} is closed`);
    const headerBytes = this.virtioNetHeader ? VIRTIO_NET_HEADER_BYTES : 0;
    this.tap.start((packed, lengths) => {
      const frames: Uint8Array[] = [];
      let offset = 0;
      for (let i = 0; i < lengths.length; i++) {
        const frame = packed.subarray(offset, offset + lengths[i]);
        offset += lengths[i];
        if (headerBytes === 0) {
          frames.push(frame);
          continue;
        }
        const stripped = this.stripVirtioNetHeader(frame);
        if (stripped !== undefined) frames.push(stripped);
      }
      if (frames.length > 0) receiver(frames);
    });
  }

  send(frames: readonly OutgoingFrame[]): number {
    const tap = this.tap;
    if (tap === undefined) return 0;
    const errorsBefore = tap.writeErrors;
    const consumed = tap.write(frames as Array<Uint8Array | Uint8Array[]>);
    const rejected = tap.writeErrors - errorsBefore;
    for (let i = 0; i < rejected; i++) this.dropHandler('frame rejected by the kernel');
    return consumed - rejected;
  }

  close(): void {
    this.tap?.close();
    this.tap = undefined;
  }

  /**
   * Removes the virtio-net header and completes a partial checksum
   * (NEEDS_CSUM: the field contains the pseudo-header sum and the sum from
   * checksumStart to the end of the frame is still to be added), so the
   * stack can verify every checksum as usual.
   */
  private stripVirtioNetHeader(frame: Uint8Array): Uint8Array | undefined {
    if (frame.length < VIRTIO_NET_HEADER_BYTES + ETHERNET_HEADER_BYTES) {
      this.dropHandler('frame shorter than its virtio-net header', `${frame.length} bytes`);
      return undefined;
    }
    const header = parseVirtioNetHeader(frame);
    const body = frame.subarray(VIRTIO_NET_HEADER_BYTES);
    if ((header.flags & VirtioNetFlags.NEEDS_CSUM) === 0) return body;
    const field = header.checksumStart + header.checksumOffset;
    if (header.checksumStart < ETHERNET_HEADER_BYTES || field + 2 > body.length) {
      this.dropHandler('virtio-net checksum offsets outside the frame', `start ${header.checksumStart}, offset ${header.checksumOffset}, ${body.length} bytes`);
      return undefined;
    }
    const checksum = finishChecksum(onesComplementSum(body, header.checksumStart, body.length));
    body[field] = checksum >>> 8;
    body[field + 1] = checksum & 0xff;
    return body;
  }
}
