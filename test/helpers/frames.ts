// Builders for test frames: Ethernet + IPv4 + ICMP/UDP bytes assembled with
// the project's codecs, and a probe end of a memory link that records what
// the stack sends.
import { emitArp, type ArpPacket } from '../../src/net/wire/arp';
import { emitEthernet, EtherType, type MacAddress } from '../../src/net/wire/ethernet';
import { emitIcmp, type IcmpMessage } from '../../src/net/wire/icmp';
import { emitIpv4, IpProtocol, type Ipv4HeaderFields } from '../../src/net/wire/ipv4';
import { emitUdp } from '../../src/net/wire/udp';
import type { FrameDevice } from '../../src/net/phy/device';

export function ethernetFrame(destination: MacAddress, source: MacAddress, etherType: number, payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(14 + payload.length);
  emitEthernet({ destination, source, etherType }, frame, 0);
  frame.set(payload, 14);
  return frame;
}

export function arpFrame(destination: MacAddress, source: MacAddress, packet: ArpPacket): Buffer {
  const bytes = Buffer.alloc(28);
  emitArp(packet, bytes, 0);
  return ethernetFrame(destination, source, EtherType.ARP, bytes);
}

export type DatagramFields = Omit<Ipv4HeaderFields, 'totalLength' | 'identification' | 'ttl'> & Partial<Pick<Ipv4HeaderFields, 'identification' | 'ttl'>>;

export function ipv4Datagram(fields: DatagramFields, payload: Uint8Array): Buffer {
  const datagram = Buffer.alloc(20 + payload.length);
  emitIpv4({ identification: 1, ttl: 64, ...fields, totalLength: datagram.length }, datagram, 0);
  datagram.set(payload, 20);
  return datagram;
}

export function icmpDatagram(source: number, destination: number, message: IcmpMessage): Buffer {
  return ipv4Datagram({ protocol: IpProtocol.ICMP, source, destination }, emitIcmp(message));
}

export function udpDatagram(source: number, destination: number, sourcePort: number, destinationPort: number, payload: Uint8Array): Buffer {
  return ipv4Datagram({ protocol: IpProtocol.UDP, source, destination }, emitUdp({ sourcePort, destinationPort, payload }, source, destination));
}

/** The far end of a memory link, driven by a test: records received frames and sends raw ones. */
export class ProbeHost {
  readonly received: Uint8Array[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly device: FrameDevice) {
    device.start((frames) => {
      this.received.push(...frames);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  send(...frames: Uint8Array[]): void {
    this.device.send(frames);
  }

  /** Waits until at least `count` frames arrived in total, or fails after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 1000): Promise<Uint8Array[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} frames, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return this.received;
  }

  /** Lets queued deliveries run, then returns what arrived. */
  async settle(): Promise<Uint8Array[]> {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    return this.received;
  }
}
