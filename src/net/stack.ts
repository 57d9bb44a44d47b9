// The TCP/IP stack of one interface: Ethernet and ARP, IPv4, ICMP, UDP
// and TCP over a frame device, composed in the order packets climb.
import { createLogger, type Logger } from '../log';
import { SystemClock, type Clock } from './clock';
import { IcmpLayer } from './icmp';
import { NetworkInterface, type Ipv4Config } from './interface';
import type { Ipv4Address } from './ipv4-address';
import { Ipv4Layer } from './ipv4';
import type { FrameDevice } from './phy/device';
import { UdpLayer } from './udp';
import { IcmpType, IcmpUnreachableCode } from './wire/icmp';
import type { MacAddress } from './wire/ethernet';

export interface StaticArpEntry {
  ip: Ipv4Address;
  mac: MacAddress;
}

export interface StackOptions {
  device: FrameDevice;
  mac: MacAddress;
  clock?: Clock;
  logger?: Logger;
  staticArp?: readonly StaticArpEntry[];
}

export class NetworkStack {
  readonly clock: Clock;
  readonly iface: NetworkInterface;
  readonly ipv4: Ipv4Layer;
  readonly icmp: IcmpLayer;
  readonly udp: UdpLayer;
  private started = false;

  constructor(options: StackOptions) {
    const logger = options.logger ?? createLogger('net');
    this.clock = options.clock ?? new SystemClock();
    this.iface = new NetworkInterface(options.device, options.mac, this.clock, logger);
    for (const entry of options.staticArp ?? []) this.iface.arp.addStatic(entry.ip, entry.mac);
    this.ipv4 = new Ipv4Layer(this.iface, this.clock, logger);
    this.icmp = new IcmpLayer(this.ipv4, this.clock, logger);
    this.udp = new UdpLayer(this.ipv4, this.icmp, logger);
    // RFC 1122 3.2.2.1: a host SHOULD send protocol unreachable.
    this.ipv4.onUnknownProtocol((datagram) => this.icmp.sendError(IcmpType.DESTINATION_UNREACHABLE, IcmpUnreachableCode.PROTOCOL, datagram));
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.iface.start();
  }

  configure(config: Ipv4Config): void {
    this.iface.configure(config);
  }

  close(): void {
    this.iface.close();
  }
}
