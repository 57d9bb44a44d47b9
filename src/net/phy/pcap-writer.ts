// Wraps a frame device and records every frame it sends and receives in a
// pcap file (the classic libpcap format, link type Ethernet) that tcpdump
// and Wireshark open.
import * as fs from 'node:fs';
import { VIRTIO_NET_HEADER_BYTES } from '../wire/virtio-net';
import { flattenFrame, type FrameDevice, type FrameReceiver, type OutgoingFrame } from './device';

const PCAP_MAGIC = 0xa1b2c3d4;
const PCAP_VERSION_MAJOR = 2;
const PCAP_VERSION_MINOR = 4;
const PCAP_SNAPLEN = 65535;
const LINKTYPE_ETHERNET = 1;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

export class PcapWriter implements FrameDevice {
  private fd: number | undefined;

  /** Creates (or truncates) `path` and writes the global header at once. */
  constructor(
    private readonly inner: FrameDevice,
    readonly path: string,
  ) {
    this.fd = fs.openSync(path, 'w');
    const header = Buffer.alloc(GLOBAL_HEADER_BYTES);
    header.writeUInt32LE(PCAP_MAGIC, 0);
    header.writeUInt16LE(PCAP_VERSION_MAJOR, 4);
    header.writeUInt16LE(PCAP_VERSION_MINOR, 6);
    header.writeInt32LE(0, 8);
    header.writeUInt32LE(0, 12);
    header.writeUInt32LE(PCAP_SNAPLEN, 16);
    header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    fs.writeSync(this.fd, header);
  }

  get name(): string {
    return this.inner.name;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  get virtioNetHeader(): boolean {
    return this.inner.virtioNetHeader === true;
  }

  onDrop(handler: (reason: string, detail?: string) => void): void {
    this.inner.onDrop?.(handler);
  }

  start(receiver: FrameReceiver): void {
    this.inner.start((frames) => {
      this.record(frames);
      receiver(frames);
    });
  }

  send(frames: readonly OutgoingFrame[]): number {
    // The capture contains Ethernet frames: a virtio-net header is left out.
    // A frame handed over for segmentation offload is recorded as one large
    // frame, as tcpdump shows such frames on Linux.
    const skip = this.virtioNetHeader ? VIRTIO_NET_HEADER_BYTES : 0;
    this.record(frames.map((frame) => flattenFrame(frame).subarray(skip)));
    return this.inner.send(frames);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.inner.close();
  }

  // Synchronous writes keep the records in order and complete when the
  // process stops; a capture is a debugging aid, not a fast path.
  private record(frames: readonly Uint8Array[]): void {
    if (this.fd === undefined || frames.length === 0) return;
    const nowMs = Date.now();
    const seconds = Math.floor(nowMs / 1000);
    const micros = (nowMs % 1000) * 1000;
    const parts: Uint8Array[] = [];
    for (const frame of frames) {
      const captured = Math.min(frame.length, PCAP_SNAPLEN);
      const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
      header.writeUInt32LE(seconds, 0);
      header.writeUInt32LE(micros, 4);
      header.writeUInt32LE(captured, 8);
      header.writeUInt32LE(frame.length, 12);
      parts.push(header, frame.subarray(0, captured));
    }
    fs.writeSync(this.fd, Buffer.concat(parts));
  }
}
