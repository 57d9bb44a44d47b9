// The IPv4 layer (RFC 791, RFC 1122 section 3): validates received
// datagrams, reassembles fragments, hands payloads to the transport
// protocols, and sends datagrams, fragmenting those larger than the MTU.
import { randomInt } from 'node:crypto';
import type { Logger } from '../log';
import { internetChecksum } from './checksum';
import type { Clock } from './clock';
import type { NetworkInterface } from './interface';
import { formatIpv4, type Ipv4Address } from './ipv4-address';
import { Ipv4Reassembler } from './ipv4-reassembly';
import { ETHERNET_HEADER_BYTES } from './wire/ethernet';
import { emitIpv4, hasSourceRoute, IPV4_MAX_DATAGRAM_BYTES, IPV4_MIN_HEADER_BYTES, IpProtocol, parseIpv4, type Ipv4Header } from './wire/ipv4';

/** TTL of datagrams we send (Linux's default). */
export const DEFAULT_TTL = 64;
/** First octet of 127.0.0.0/8, the loopback network. */
const LOOPBACK_NETWORK = 127;

/** A received datagram after validation (and reassembly). */
export interface ReceivedDatagram {
  header: Ipv4Header;
  /** Header bytes as received (of the first fragment, for reassembled datagrams). */
  headerBytes: Uint8Array;
  payload: Uint8Array;
  /** Sent to a broadcast address (IP or link level). */
  broadcast: boolean;
  /** Reassembled from fragments. */
  reassembled: boolean;
}

export type ProtocolHandler = (datagram: ReceivedDatagram) => void;

export interface SendOptions {
  /** Source address; defaults to the interface's address. */
  source?: Ipv4Address;
  ttl?: number;
  tos?: number;
  /** Sets DF; such datagrams larger than the MTU are not sent. */
  dontFragment?: boolean;
  /**
   * Leaves the L4 checksum (and, with segmentSize, the segmentation) to the
   * device; only for devices with a virtio-net header. The checksum field
   * must hold the pseudo-header sum.
   */
  offload?: TransportOffload;
}

export interface TransportOffload {
  /** Offset of the checksum field in the L4 header (TCP 16). */
  checksumOffset: number;
  l4HeaderLength: number;
  /** Payload bytes per segment for TCP segmentation offload; 0 for none. */
  segmentSize: number;
}

export interface Ipv4Counters {
  datagramsIn: number;
  datagramsOut: number;
  fragmentsIn: number;
  fragmentsOut: number;
  reassembled: number;
}

export class Ipv4Layer {
  readonly counters: Ipv4Counters = { datagramsIn: 0, datagramsOut: 0, fragmentsIn: 0, fragmentsOut: 0, reassembled: 0 };
  readonly reassembler: Ipv4Reassembler;
  private readonly handlers = new Map<number, ProtocolHandler>();
  private unknownProtocolHandler: ProtocolHandler | undefined;
  private reassemblyTimeoutHandler: ProtocolHandler | undefined;
  private identification = randomInt(0x10000);

  constructor(
    readonly iface: NetworkInterface,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    this.reassembler = new Ipv4Reassembler(clock, {
      onTimeout: (firstFragment) => {
        this.iface.drops.drop('fragment reassembly timed out');
        if (firstFragment !== undefined) this.reportReassemblyTimeout(firstFragment);
      },
      onEvict: () => this.iface.drops.drop('incomplete datagram evicted from reassembly'),
    });
    iface.onIpv4((bytes, linkBroadcast) => this.input(bytes, linkBroadcast));
  }

  /**
   * Called with the first fragment (header and 8 bytes) of a datagram whose
   * reassembly timed out, for ICMP time exceeded (RFC 792, code 1).
   */
  onReassemblyTimeout(handler: ProtocolHandler): void {
    this.reassemblyTimeoutHandler = handler;
  }

  private reportReassemblyTimeout(firstFragment: Uint8Array): void {
    if (this.reassemblyTimeoutHandler === undefined) return;
    // The header was validated on arrival; its total length is that of the
    // whole fragment, so it is parsed from a copy cut down to what is kept.
    const copy = Buffer.from(firstFragment);
    copy.writeUInt16BE(copy.length, 2);
    copy.writeUInt16BE(0, 10);
    copy.writeUInt16BE(internetChecksum(copy, 0, (copy[0] & 0x0f) * 4), 10);
    const parsed = parseIpv4(copy);
    if (!parsed.ok) return;
    const header = parsed.header;
    this.reassemblyTimeoutHandler({
      header: { ...header, moreFragments: false },
      headerBytes: firstFragment.subarray(0, header.headerLength),
      payload: firstFragment.subarray(header.headerLength),
      broadcast: this.iface.isBroadcast(header.destination),
      reassembled: false,
    });
  }

  register(protocol: number, handler: ProtocolHandler): void {
    this.handlers.set(protocol, handler);
  }

  /** Sets the handler of datagrams to us whose protocol has no handler (for ICMP protocol unreachable). */
  onUnknownProtocol(handler: ProtocolHandler): void {
    this.unknownProtocolHandler = handler;
  }

  input(bytes: Uint8Array, linkBroadcast: boolean): void {
    const drops = this.iface.drops;
    const parsed = parseIpv4(bytes);
    if (!parsed.ok) {
      drops.drop('malformed IPv4', parsed.reason);
      return;
    }
    const header = parsed.header;
    const source = header.source;
    const destination = header.destination;

    // RFC 1122 3.2.1.3: a source that is broadcast, multicast, class E,
    // 0.0.0.0 or in 127.0.0.0/8 (loopback, which never appears on a wire)
    // is invalid. Our own address as source means a loop or a spoof.
    if (source >>> 28 >= 0xe || this.iface.isBroadcast(source) || source === 0 || source >>> 24 === LOOPBACK_NETWORK) {
      drops.drop('invalid source address', formatIpv4(source));
      return;
    }
    const ours = this.iface.address;
    if (ours !== undefined && source === ours) {
      drops.drop('datagram from our own address');
      return;
    }

    // RFC 7126 sections 4.3 and 4.4: source-routed datagrams are dropped,
    // as Linux does by default (accept_source_route 0). Replies would have
    // to follow the route, and the route lets a sender pose as another host.
    if (header.headerLength > IPV4_MIN_HEADER_BYTES && hasSourceRoute(bytes, header.headerLength)) {
      drops.drop('source-routed datagram', formatIpv4(source));
      return;
    }

    const broadcast = this.iface.isBroadcast(destination);
    if (destination >>> 28 === 0xe) {
      drops.drop('multicast datagram', formatIpv4(destination));
      return;
    }
    if (!broadcast) {
      // Before the address is configured (DHCP), unicast UDP addressed to
      // our MAC is accepted: DHCP servers may send the offer to the
      // address being offered.
      const acceptUnconfigured = ours === undefined && header.protocol === IpProtocol.UDP;
      if (destination !== ours && !acceptUnconfigured) {
        drops.drop('datagram for another address', formatIpv4(destination));
        return;
      }
      if (linkBroadcast) {
        // RFC 1122 3.3.6: unicast IP in a link-layer broadcast is discarded.
        drops.drop('unicast datagram in a link-layer broadcast');
        return;
      }
    }

    this.counters.datagramsIn++;
    let datagram: ReceivedDatagram;
    if (header.moreFragments || header.fragmentOffset !== 0) {
      this.counters.fragmentsIn++;
      const result = this.reassembler.add(header, bytes);
      if (result.status === 'incomplete') {
        if (result.duplicate === true) drops.drop('duplicate fragment');
        return;
      }
      if (result.status === 'dropped') {
        drops.drop('bad fragment', result.reason);
        return;
      }
      this.counters.reassembled++;
      const headerBytes = result.header;
      datagram = {
        header: { ...header, totalLength: headerBytes.length + result.payload.length, moreFragments: false, fragmentOffset: 0 },
        headerBytes,
        payload: result.payload,
        broadcast: broadcast || linkBroadcast,
        reassembled: true,
      };
    } else {
      datagram = {
        header,
        headerBytes: bytes.subarray(0, header.headerLength),
        payload: bytes.subarray(header.headerLength, header.totalLength),
        broadcast: broadcast || linkBroadcast,
        reassembled: false,
      };
    }

    const handler = this.handlers.get(header.protocol);
    if (handler !== undefined) {
      handler(datagram);
      return;
    }
    drops.drop('unknown protocol', String(header.protocol));
    this.unknownProtocolHandler?.(datagram);
  }

  /**
   * Sends `payload` (one or more parts) to `destination`. Datagrams larger
   * than the MTU are fragmented unless `dontFragment` is set. Returns false
   * when nothing was sent (no address, no route, or too big with DF).
   */
  send(protocol: number, destination: Ipv4Address, payload: readonly Uint8Array[], options: SendOptions = {}): boolean {
    const source = options.source ?? this.iface.address;
    if (source === undefined) {
      this.iface.drops.drop('no source address for an outgoing datagram');
      return false;
    }
    let payloadLength = 0;
    for (const part of payload) payloadLength += part.length;
    const totalLength = IPV4_MIN_HEADER_BYTES + payloadLength;
    if (totalLength > IPV4_MAX_DATAGRAM_BYTES) {
      this.logger.warn(`not sending a ${totalLength}-byte datagram to ${formatIpv4(destination)}: above the IPv4 maximum`);
      return false;
    }
    const identification = this.nextIdentification();
    const ttl = options.ttl ?? DEFAULT_TTL;
    const offload = options.offload;
    if (offload !== undefined && this.iface.device.virtioNetHeader !== true) {
      throw new Error(`offload requested on ${this.iface.name}, which has no virtio-net header`);
    }

    // A GSO frame may exceed the MTU: the device cuts it into segments that fit.
    if (totalLength <= this.iface.mtu || (offload !== undefined && offload.segmentSize > 0)) {
      const head = Buffer.allocUnsafe(ETHERNET_HEADER_BYTES + IPV4_MIN_HEADER_BYTES);
      emitIpv4({ totalLength, identification, ttl, protocol, source, destination, tos: options.tos, dontFragment: options.dontFragment }, head, ETHERNET_HEADER_BYTES);
      this.counters.datagramsOut++;
      const parts: Uint8Array[] = [head];
      for (const part of payload) parts.push(part);
      if (offload === undefined) return this.iface.sendIpv4(destination, parts);
      const l4Start = ETHERNET_HEADER_BYTES + IPV4_MIN_HEADER_BYTES;
      return this.iface.sendIpv4(destination, parts, {
        l4Start,
        checksumOffset: offload.checksumOffset,
        headerLength: l4Start + offload.l4HeaderLength,
        segmentSize: offload.segmentSize,
      });
    }
    if (options.dontFragment === true) {
      this.iface.drops.drop('datagram larger than the MTU with DF set', `${totalLength} bytes`);
      return false;
    }
    return this.sendFragments(protocol, destination, payload, { source, identification, ttl, tos: options.tos });
  }

  /** RFC 791 section 3.2 fragmentation: pieces of the payload, multiples of 8 bytes except the last. */
  private sendFragments(
    protocol: number,
    destination: Ipv4Address,
    payload: readonly Uint8Array[],
    fields: { source: Ipv4Address; identification: number; ttl: number; tos?: number },
  ): boolean {
    const data = payload.length === 1 ? payload[0] : Buffer.concat(payload as Uint8Array[]);
    const pieceBytes = Math.floor((this.iface.mtu - IPV4_MIN_HEADER_BYTES) / 8) * 8;
    this.counters.datagramsOut++;
    for (let offset = 0; offset < data.length; offset += pieceBytes) {
      const piece = data.subarray(offset, Math.min(data.length, offset + pieceBytes));
      const moreFragments = offset + piece.length < data.length;
      const head = Buffer.allocUnsafe(ETHERNET_HEADER_BYTES + IPV4_MIN_HEADER_BYTES);
      emitIpv4(
        { totalLength: IPV4_MIN_HEADER_BYTES + piece.length, ...fields, protocol, destination, moreFragments, fragmentOffset: offset },
        head,
        ETHERNET_HEADER_BYTES,
      );
      this.counters.fragmentsOut++;
      if (!this.iface.sendIpv4(destination, [head, piece])) return false;
    }
    return true;
  }

  private nextIdentification(): number {
    this.identification = (this.identification + 1) & 0xffff;
    return this.identification;
  }
}
