// The TCP/IP stack of one interface: Ethernet and ARP, IPv4, ICMP, UDP
// and TCP over a frame device, composed in the order packets climb.
import { createLogger, type Logger } from '../log';
import { SystemClock, type Clock } from './clock';
import { IcmpLayer, type IcmpCounters } from './icmp';
import { NetworkInterface, type InterfaceCounters, type Ipv4Config } from './interface';
import { readIpv4, type Ipv4Address } from './ipv4-address';
import { Ipv4Layer, type Ipv4Counters } from './ipv4';
import type { FrameDevice } from './phy/device';
import type { TcpCounters } from './tcp/counters';
import { SEGMENTATION_OFFLOAD_MAX_BYTES, TcpLayer, type TcpLayerOptions } from './tcp/layer';
import { UdpLayer, type UdpCounters } from './udp';
import { IcmpType, IcmpUnreachableCode } from './wire/icmp';
import { IpProtocol } from './wire/ipv4';
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
  /** TCP settings other than the ones the stack provides (clock, output, routes, addresses). */
  tcp?: Omit<TcpLayerOptions, 'clock' | 'output' | 'mss' | 'localAddresses' | 'logger'>;
}

/** Code of ICMP time exceeded for a datagram whose reassembly timed out (RFC 792). */
const ICMP_REASSEMBLY_TIME_EXCEEDED = 1;
/** Offset of the checksum field in the TCP header. */
const TCP_CHECKSUM_OFFSET = 16;

/** IPv4 and TCP headers without options: what the MSS leaves out of the MTU (RFC 9293 3.7.1). */
const IPV4_TCP_HEADER_BYTES = 40;

export class NetworkStack {
  readonly clock: Clock;
  readonly iface: NetworkInterface;
  readonly ipv4: Ipv4Layer;
  readonly icmp: IcmpLayer;
  readonly udp: UdpLayer;
  readonly tcp: TcpLayer;
  private started = false;
  private localAddressList: readonly Ipv4Address[] = [];
  private localAddressListFor: Ipv4Address | undefined;

  constructor(options: StackOptions) {
    const logger = options.logger ?? createLogger('net');
    this.clock = options.clock ?? new SystemClock();
    this.iface = new NetworkInterface(options.device, options.mac, this.clock, logger);
    for (const entry of options.staticArp ?? []) this.iface.arp.addStatic(entry.ip, entry.mac);
    this.ipv4 = new Ipv4Layer(this.iface, this.clock, logger);
    this.icmp = new IcmpLayer(this.ipv4, this.clock, logger);
    this.udp = new UdpLayer(this.ipv4, this.icmp, logger);
    // A device with a virtio-net header computes TCP checksums and cuts
    // large segments itself, which saves most of the per-byte and
    // per-segment work.
    const offload = options.device.virtioNetHeader === true;
    this.tcp = new TcpLayer({
      checksumOffload: offload,
      segmentationOffloadBytes: offload ? SEGMENTATION_OFFLOAD_MAX_BYTES : 0,
      ...options.tcp,
      clock: this.clock,
      logger: logger.child('tcp'),
      output: (segment) => {
        const parts: Uint8Array[] = [segment.header];
        for (const piece of segment.payload) parts.push(piece);
        this.ipv4.send(IpProtocol.TCP, segment.destination, parts, {
          source: segment.source,
          offload: segment.checksumPartial
            ? { checksumOffset: TCP_CHECKSUM_OFFSET, l4HeaderLength: segment.header.length, segmentSize: segment.segmentSize }
            : undefined,
        });
      },
      mss: () => this.iface.mtu - IPV4_TCP_HEADER_BYTES,
      localAddresses: () => this.localAddresses(),
    });
    // RFC 5927: errors about our segments reach the connection, which checks
    // the quoted sequence number before acting on them.
    this.icmp.onError(IpProtocol.TCP, (error) => {
      const headerLength = (error.quoted[0] & 0x0f) * 4;
      if (headerLength < 20 || error.quoted.length < headerLength + 8) return;
      // Path MTU discovery (RFC 1191) is not implemented: no datagram is sent
      // with DF, so a "fragmentation needed" can only be forged. It reaches
      // TCP without a next-hop MTU, which makes TCP ignore it.
      this.tcp.icmpError(readIpv4(error.quoted, 12), readIpv4(error.quoted, 16), error.quoted.subarray(headerLength), error.type, error.code, 0);
    });
    this.ipv4.register(IpProtocol.TCP, (datagram) => {
      if (datagram.broadcast) {
        this.iface.drops.drop('TCP segment to a broadcast address');
        return;
      }
      this.tcp.input(datagram.header.source, datagram.header.destination, datagram.payload);
    });
    // RFC 1122 3.2.2.1: a host SHOULD send protocol unreachable.
    this.ipv4.onUnknownProtocol((datagram) => this.icmp.sendError(IcmpType.DESTINATION_UNREACHABLE, IcmpUnreachableCode.PROTOCOL, datagram));
    // RFC 792: time exceeded, code 1 (fragment reassembly time exceeded), when fragment zero had arrived.
    this.ipv4.onReassemblyTimeout((datagram) => this.icmp.sendError(IcmpType.TIME_EXCEEDED, ICMP_REASSEMBLY_TIME_EXCEEDED, datagram));
  }

  /** The interface's address as a list, rebuilt only when the address changes (TCP reads it for every segment). */
  private localAddresses(): readonly Ipv4Address[] {
    const address = this.iface.address;
    if (address !== this.localAddressListFor) {
      this.localAddressListFor = address;
      this.localAddressList = address === undefined ? [] : [address];
    }
    return this.localAddressList;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.iface.start();
  }

  configure(config: Ipv4Config): void {
    this.iface.configure(config);
  }

  /**
   * Stops the stack: every TCP connection and listener is dropped, so that
   * no timer of theirs fires later into the closed device, and the device
   * is closed.
   */
  close(): void {
    this.tcp.close();
    this.iface.close();
  }

  /** Returns a snapshot of every counter of the stack, for the shell and for tests. */
  counters(): StackCounters {
    const reassembler = this.ipv4.reassembler;
    const arp = this.iface.arp;
    return {
      interface: { ...this.iface.counters },
      drops: this.iface.drops.entries(),
      dropsTotal: this.iface.drops.total,
      ipv4: { ...this.ipv4.counters },
      reassembly: {
        datagrams: reassembler.datagramsInProgress,
        bytes: reassembler.bytesInProgress,
        timeouts: reassembler.timeouts,
        evictions: reassembler.evictions,
      },
      arp: {
        entries: arp.list().length,
        pendingAddresses: arp.pendingAddresses,
        pendingFrames: arp.pendingFrames,
        unresolvedDrops: arp.unresolvedDrops,
      },
      icmp: { ...this.icmp.counters },
      udp: { ...this.udp.counters },
      tcp: this.tcp.counters(),
      tcpOutOfOrderBytes: this.tcp.reassemblyBudget.heldBytes,
    };
  }
}

/** Every counter of a NetworkStack at one moment. */
export interface StackCounters {
  interface: InterfaceCounters;
  /** Frames dropped by the interface, IPv4, ICMP and UDP, by reason, most frequent first (TCP counts its own). */
  drops: Array<[string, number]>;
  dropsTotal: number;
  ipv4: Ipv4Counters;
  /** Datagrams and fragment bytes in reassembly now, and datagrams given up. */
  reassembly: { datagrams: number; bytes: number; timeouts: number; evictions: number };
  /** Cache entries, resolutions in progress with the datagrams they hold, and datagrams dropped unresolved. */
  arp: { entries: number; pendingAddresses: number; pendingFrames: number; unresolvedDrops: number };
  icmp: IcmpCounters;
  udp: UdpCounters;
  /** TCP counters, with its drops by reason and its connections by state. */
  tcp: TcpCounters;
  /** Out-of-order TCP data held by all connections together. */
  tcpOutOfOrderBytes: number;
}
