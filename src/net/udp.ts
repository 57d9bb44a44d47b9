// UDP (RFC 768): port bindings for the appliance's own clients (DHCP, DNS)
// and ICMP port unreachable for datagrams to ports nobody bound.
import type { Logger } from '../log';
import type { IcmpLayer } from './icmp';
import type { Ipv4Address } from './ipv4-address';
import type { Ipv4Layer, ReceivedDatagram, SendOptions } from './ipv4';
import { IcmpType, IcmpUnreachableCode } from './wire/icmp';
import { IpProtocol } from './wire/ipv4';
import { emitUdp, parseUdp } from './wire/udp';

export interface UdpMessage {
  source: Ipv4Address;
  sourcePort: number;
  destination: Ipv4Address;
  destinationPort: number;
  payload: Uint8Array;
  broadcast: boolean;
}

export type UdpHandler = (message: UdpMessage) => void;

/** Range for ports chosen by bindEphemeral (IANA dynamic ports, RFC 6335). */
const EPHEMERAL_PORT_FIRST = 49152;
const EPHEMERAL_PORT_LAST = 65535;

export interface UdpCounters {
  datagramsIn: number;
  datagramsOut: number;
  noPort: number;
}

export class UdpLayer {
  readonly counters: UdpCounters = { datagramsIn: 0, datagramsOut: 0, noPort: 0 };
  private readonly bindings = new Map<number, UdpHandler>();

  constructor(
    private readonly ipv4: Ipv4Layer,
    private readonly icmp: IcmpLayer,
    private readonly logger: Logger,
  ) {
    ipv4.register(IpProtocol.UDP, (datagram) => this.input(datagram));
  }

  bind(port: number, handler: UdpHandler): void {
    if (this.bindings.has(port)) throw Object.assign(new Error(`UDP port ${port} is already bound`), { code: 'EADDRINUSE' });
    this.bindings.set(port, handler);
  }

  /** Binds a free port in the dynamic range chosen at random (RFC 6056); returns it. */
  bindEphemeral(handler: UdpHandler): number {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_PORT_FIRST + ((start + i) % span);
      if (!this.bindings.has(port)) {
        this.bindings.set(port, handler);
        return port;
      }
    }
    throw Object.assign(new Error('no free UDP port'), { code: 'EADDRINUSE' });
  }

  unbind(port: number): void {
    this.bindings.delete(port);
  }

  send(sourcePort: number, destination: Ipv4Address, destinationPort: number, payload: Uint8Array, options: SendOptions = {}): boolean {
    const source = options.source ?? this.ipv4.iface.address ?? 0;
    const datagram = emitUdp({ sourcePort, destinationPort, payload }, source, destination);
    this.counters.datagramsOut++;
    return this.ipv4.send(IpProtocol.UDP, destination, [datagram], { ...options, source });
  }

  private input(datagram: ReceivedDatagram): void {
    const parsed = parseUdp(datagram.payload, datagram.header.source, datagram.header.destination);
    if (!parsed.ok) {
      this.ipv4.iface.drops.drop('malformed UDP', parsed.reason);
      return;
    }
    this.counters.datagramsIn++;
    const udp = parsed.datagram;
    const handler = this.bindings.get(udp.destinationPort);
    if (handler === undefined) {
      this.counters.noPort++;
      this.ipv4.iface.drops.drop('UDP to a closed port', String(udp.destinationPort));
      this.icmp.sendError(IcmpType.DESTINATION_UNREACHABLE, IcmpUnreachableCode.PORT, datagram);
      return;
    }
    try {
      handler({
        source: datagram.header.source,
        sourcePort: udp.sourcePort,
        destination: datagram.header.destination,
        destinationPort: udp.destinationPort,
        payload: udp.payload,
        broadcast: datagram.broadcast,
      });
    } catch (error) {
      this.logger.error(`UDP handler for port ${udp.destinationPort} failed: ${(error as Error).message}`);
    }
  }
}
