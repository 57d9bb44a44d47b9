// The network interface: one Ethernet device with our MAC, an optional
// IPv4 configuration (address, prefix, gateway), ARP (RFC 826) with its
// cache, next-hop selection, and batched transmission (frames queued while
// a received batch or a burst of writes is processed go to the device in
// one call).
import type { Logger } from '../log';
import { ArpCache, ARP_REQUEST_INTERVAL_MS } from './arp-cache';
import type { Clock } from './clock';
import { DropCounters } from './drop-counters';
import { formatIpv4, prefixToMask, type Ipv4Address } from './ipv4-address';
import type { FrameDevice, FrameOffload, OutgoingFrame } from './phy/device';
import { ARP_PACKET_BYTES, ArpOperation, emitArp, parseArp, type ArpPacket } from './wire/arp';
import { emitVirtioNetHeader, VIRTIO_NET_HEADER_BYTES, VirtioNetFlags, VirtioNetGso } from './wire/virtio-net';
import {
  emitEthernet,
  ETHERNET_HEADER_BYTES,
  ETHERNET_MIN_FRAME_BYTES,
  EtherType,
  formatMac,
  isMulticastMac,
  MAC_BROADCAST,
  parseEthernet,
  type MacAddress,
} from './wire/ethernet';

/** Parts per frame the TAP writes with one writev; frames with more parts are joined first. */
const MAX_FRAME_PARTS = 64;
/** The virtio-net header of frames that request no offload; never written to. */
const PLAIN_VIRTIO_NET_HEADER = new Uint8Array(VIRTIO_NET_HEADER_BYTES);
/** Frames handed to the device per call. */
const MAX_FRAMES_PER_SEND = 256;
/** Minimum interval between two warnings about another host using our address. */
const ADDRESS_CONFLICT_WARNING_INTERVAL_MS = 10_000;
/** Minimum interval between two error lines about received frames whose processing threw. */
const FRAME_FAILURE_LOG_INTERVAL_MS = 10_000;
/** First octet of 127.0.0.0/8, the loopback network. */
const LOOPBACK_NETWORK = 127;

export interface Ipv4Config {
  address: Ipv4Address;
  prefixLength: number;
  gateway?: Ipv4Address;
}

export interface InterfaceCounters {
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Frames the device did not accept. */
  sendFailures: number;
}

/** Receives the IPv4 datagrams of frames addressed to us (the frame's Ethernet payload). */
export type Ipv4Receiver = (datagram: Uint8Array, linkBroadcast: boolean) => void;

export class NetworkInterface {
  readonly arp: ArpCache;
  readonly drops: DropCounters;
  readonly counters: InterfaceCounters = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, sendFailures: 0 };
  private ipv4: Ipv4Config | undefined;
  private ipv4Receiver: Ipv4Receiver = () => undefined;
  private queue: OutgoingFrame[] = [];
  private flushScheduled = false;
  private receiving = false;
  private lastConflictWarningMs = -Infinity;
  private lastFailureLogMs = -Infinity;

  constructor(
    readonly device: FrameDevice,
    readonly mac: MacAddress,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.arp = new ArpCache(clock);
    this.drops = new DropCounters(logger);
  }

  get name(): string {
    return this.device.name;
  }

  get mtu(): number {
    return this.device.mtu;
  }

  get config(): Ipv4Config | undefined {
    return this.ipv4;
  }

  get address(): Ipv4Address | undefined {
    return this.ipv4?.address;
  }

  onIpv4(receiver: Ipv4Receiver): void {
    this.ipv4Receiver = receiver;
  }

  start(): void {
    this.device.onDrop?.((reason, detail) => this.drops.drop(reason, detail));
    this.device.start((frames) => this.receiveBatch(frames));
  }

  /** Sets the IPv4 configuration and announces it with a gratuitous ARP (RFC 5227 section 2.3). */
  configure(config: Ipv4Config): void {
    this.ipv4 = { ...config };
    this.sendArp({ operation: ArpOperation.REQUEST, senderMac: this.mac, senderIp: config.address, targetMac: 0, targetIp: config.address }, MAC_BROADCAST);
  }

  unconfigure(): void {
    this.ipv4 = undefined;
  }

  /** True for the limited broadcast and for the directed broadcast of our subnet. */
  isBroadcast(ip: Ipv4Address): boolean {
    if (ip === 0xffffffff) return true;
    const config = this.ipv4;
    if (config === undefined || config.prefixLength >= 31) return false;
    const mask = prefixToMask(config.prefixLength);
    return (ip & ~mask) >>> 0 === (~mask >>> 0) && (ip & mask) >>> 0 === (config.address & mask) >>> 0;
  }

  isOnLink(ip: Ipv4Address): boolean {
    const config = this.ipv4;
    if (config === undefined) return false;
    const mask = prefixToMask(config.prefixLength);
    return (ip & mask) >>> 0 === (config.address & mask) >>> 0;
  }

  /** Returns the address to resolve for sending to `destination`, or undefined when there is no route. */
  nextHop(destination: Ipv4Address): Ipv4Address | undefined {
    if (this.isBroadcast(destination) || this.isOnLink(destination)) return destination;
    return this.ipv4?.gateway;
  }

  /**
   * Sends an IPv4 datagram. `parts[0]` starts with ETHERNET_HEADER_BYTES of
   * room for the Ethernet header, followed by the IPv4 header; the other
   * parts are payload. `offload` is only given when the device has a
   * virtio-net header. Returns false when there is no route.
   */
  sendIpv4(destination: Ipv4Address, parts: Uint8Array[], offload?: FrameOffload): boolean {
    if (destination === 0xffffffff || this.isBroadcast(destination)) {
      this.queueFrame(parts, MAC_BROADCAST, offload);
      return true;
    }
    const hop = this.nextHop(destination);
    if (hop === undefined) {
      this.drops.drop('no route', formatIpv4(destination));
      return false;
    }
    const mac = this.arp.lookup(hop);
    if (mac !== undefined) {
      this.queueFrame(parts, mac, offload);
      if (this.arp.takeRefresh(hop)) {
        this.sendArp({ operation: ArpOperation.REQUEST, senderMac: this.mac, senderIp: this.ipv4?.address ?? 0, targetMac: mac, targetIp: hop }, mac);
      }
      return true;
    }
    switch (this.arp.enqueue(hop, { parts, offload })) {
      case 'started':
        this.resolve(hop);
        break;
      case 'displaced':
        this.drops.drop('ARP queue full: oldest waiting datagram dropped', formatIpv4(hop));
        break;
      case 'rejected':
        this.drops.drop('ARP resolution table full', formatIpv4(hop));
        break;
      case 'queued':
        break;
    }
    return true;
  }

  /** Sends what is queued now instead of at the end of the current batch. */
  flush(): void {
    this.flushScheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    for (let start = 0; start < queue.length; start += MAX_FRAMES_PER_SEND) {
      const batch = queue.length <= MAX_FRAMES_PER_SEND ? queue : queue.slice(start, start + MAX_FRAMES_PER_SEND);
      const accepted = this.device.send(batch);
      this.counters.framesOut += accepted;
      if (accepted < batch.length) this.counters.sendFailures += batch.length - accepted;
    }
  }

  close(): void {
    this.flush();
    this.device.close();
  }

  private receiveBatch(frames: Uint8Array[]): void {
    this.receiving = true;
    try {
      for (const frame of frames) {
        // One frame that trips a bug further up must cost only that frame:
        // the rest of the batch is processed and the process lives on.
        try {
          this.receiveFrame(frame);
        } catch (error) {
          this.reportFrameFailure(frame, error);
        }
      }
    } finally {
      this.receiving = false;
      this.flush();
    }
  }

  private reportFrameFailure(frame: Uint8Array, error: unknown): void {
    this.drops.drop('frame processing failed', `${frame.length} bytes`);
    const now = this.clock.now();
    if (now - this.lastFailureLogMs < FRAME_FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLogMs = now;
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.logger.error(`processing a received ${frame.length}-byte frame failed; the frame was dropped: ${stack}`);
  }

  private receiveFrame(frame: Uint8Array): void {
    this.counters.framesIn++;
    this.counters.bytesIn += frame.length;
    const header = parseEthernet(frame);
    if (header === undefined) {
      this.drops.drop('runt frame', `${frame.length} bytes`);
      return;
    }
    const toUs = header.destination === this.mac;
    const broadcast = header.destination === MAC_BROADCAST;
    if (!toUs && !broadcast) {
      this.drops.drop(isMulticastMac(header.destination) ? 'multicast frame' : 'frame for another host');
      return;
    }
    if (header.source === this.mac) {
      this.drops.drop('frame with our own source MAC');
      return;
    }
    if (isMulticastMac(header.source)) {
      this.drops.drop('multicast source MAC', formatMac(header.source));
      return;
    }
    const payload = frame.subarray(ETHERNET_HEADER_BYTES);
    switch (header.etherType) {
      case EtherType.IPV4:
        this.ipv4Receiver(payload, broadcast);
        return;
      case EtherType.ARP:
        this.receiveArp(payload, header.source);
        return;
      case EtherType.VLAN:
        this.drops.drop('VLAN-tagged frame');
        return;
      case EtherType.IPV6:
        this.drops.drop('IPv6 is not supported');
        return;
      default:
        this.drops.drop('unknown EtherType', `0x${header.etherType.toString(16).padStart(4, '0')}`);
    }
  }

  private receiveArp(bytes: Uint8Array, frameSource: MacAddress): void {
    const parsed = parseArp(bytes);
    if (!parsed.ok) {
      this.drops.drop('malformed ARP', parsed.reason);
      return;
    }
    const packet = parsed.packet;
    if (isMulticastMac(packet.senderMac) || packet.senderMac === 0 || packet.senderMac === this.mac) {
      // Our own MAC as sender would teach us to send frames to ourselves.
      this.drops.drop('ARP with an invalid sender MAC', formatMac(packet.senderMac));
      return;
    }
    // A mapping for a multicast, broadcast or loopback address is never
    // used and only fills the cache; sender 0.0.0.0 is a probe (RFC 5227).
    const senderIp = packet.senderIp;
    if (senderIp >>> 28 >= 0xe || senderIp >>> 24 === LOOPBACK_NETWORK || (senderIp !== 0 && this.isBroadcast(senderIp))) {
      this.drops.drop('ARP with an invalid sender address', formatIpv4(senderIp));
      return;
    }
    const ours = this.ipv4?.address;
    if (ours !== undefined && packet.senderIp === ours && packet.senderMac !== this.mac) {
      this.warnConflict(packet.senderMac);
      // RFC 5227 2.4: defend the address. A reply to the other host's
      // announcement shows it, too, that the address is in use.
      if (packet.operation === ArpOperation.REQUEST && packet.targetIp === ours) {
        this.sendArp({ operation: ArpOperation.REPLY, senderMac: this.mac, senderIp: ours, targetMac: packet.senderMac, targetIp: ours }, packet.senderMac);
      }
      return;
    }
    const forUs = ours !== undefined && packet.targetIp === ours;

    // RFC 826 merge: update an existing entry from any packet; create one
    // only from a packet whose target is us. Sender address 0 is an RFC 5227
    // probe and teaches nothing.
    if (packet.senderIp !== 0) {
      for (const waiting of this.arp.learn(packet.senderIp, packet.senderMac, forUs)) this.queueFrame(waiting.parts, packet.senderMac, waiting.offload);
    }
    if (forUs && packet.operation === ArpOperation.REQUEST) {
      const reply: ArpPacket = {
        operation: ArpOperation.REPLY,
        senderMac: this.mac,
        senderIp: ours,
        targetMac: packet.senderMac,
        targetIp: packet.senderIp,
      };
      this.sendArp(reply, frameSource);
    }
  }

  private warnConflict(otherMac: MacAddress): void {
    const now = this.clock.now();
    this.drops.drop('ARP claiming our address', formatMac(otherMac));
    if (now - this.lastConflictWarningMs < ADDRESS_CONFLICT_WARNING_INTERVAL_MS) return;
    this.lastConflictWarningMs = now;
    this.logger.warn(`address conflict: ${formatMac(otherMac)} also claims ${formatIpv4(this.ipv4?.address ?? 0)}`);
  }

  private resolve(ip: Ipv4Address): void {
    if (!this.arp.noteRequest(ip)) {
      this.drops.drop('ARP resolution failed', formatIpv4(ip));
      return;
    }
    const ours = this.ipv4?.address ?? 0;
    this.sendArp({ operation: ArpOperation.REQUEST, senderMac: this.mac, senderIp: ours, targetMac: 0, targetIp: ip }, MAC_BROADCAST);
    this.clock.setTimer(ARP_REQUEST_INTERVAL_MS, () => {
      if (this.arp.isPending(ip)) this.resolve(ip);
    });
  }

  private sendArp(packet: ArpPacket, destination: MacAddress): void {
    const frame = new Uint8Array(Math.max(ETHERNET_MIN_FRAME_BYTES, ETHERNET_HEADER_BYTES + ARP_PACKET_BYTES));
    emitArp(packet, frame, ETHERNET_HEADER_BYTES);
    emitEthernet({ destination, source: this.mac, etherType: EtherType.ARP }, frame, 0);
    this.queue.push(this.device.virtioNetHeader === true ? [PLAIN_VIRTIO_NET_HEADER, frame] : frame);
    this.counters.bytesOut += frame.length;
    this.scheduleFlush();
  }

  private queueFrame(parts: Uint8Array[], destination: MacAddress, offload: FrameOffload | undefined): void {
    emitEthernet({ destination, source: this.mac, etherType: EtherType.IPV4 }, parts[0], 0);
    let length = 0;
    for (const part of parts) length += part.length;
    this.counters.bytesOut += length;
    if (this.device.virtioNetHeader === true) {
      // The header leads the frame; a frame with too many parts is joined
      // behind it, so the header stays a part of its own.
      const header = offload === undefined ? PLAIN_VIRTIO_NET_HEADER : virtioNetHeaderFor(offload);
      this.queue.push(parts.length < MAX_FRAME_PARTS ? [header, ...parts] : [header, Buffer.concat(parts)]);
    } else {
      let frame: OutgoingFrame = parts;
      if (parts.length === 1) frame = parts[0];
      else if (parts.length > MAX_FRAME_PARTS) frame = Buffer.concat(parts);
      this.queue.push(frame);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.receiving || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      if (this.flushScheduled) this.flush();
    });
  }
}

function virtioNetHeaderFor(offload: FrameOffload): Uint8Array {
  const header = new Uint8Array(VIRTIO_NET_HEADER_BYTES);
  emitVirtioNetHeader(
    {
      flags: VirtioNetFlags.NEEDS_CSUM,
      gsoType: offload.segmentSize > 0 ? VirtioNetGso.TCPV4 : VirtioNetGso.NONE,
      headerLength: offload.headerLength,
      gsoSize: offload.segmentSize,
      checksumStart: offload.l4Start,
      checksumOffset: offload.checksumOffset,
    },
    header,
  );
  return header;
}
