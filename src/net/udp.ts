// UDP (RFC 768): port bindings for the appliance's own clients (DHCP, DNS)
// and ICMP port unreachable for datagrams to ports that are not bound.
import { randomInt } from 'node:crypto';
import type { Logger } from '../log';
import type { IcmpLayer, ReceivedIcmpError } from './icmp';
import { readIpv4, type Ipv4Address } from './ipv4-address';
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

/** An ICMP error about a datagram sent from a bound port (RFC 1122 4.1.3.3: passed up to the application). */
export interface UdpError {
  type: number;
  code: number;
  /** Destination address of the offending datagram. */
  destination: Ipv4Address;
  destinationPort: number;
}

export type UdpErrorHandler = (error: UdpError) => void;

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
  private readonly errorHandlers = new Map<number, UdpErrorHandler>();

  constructor(
    private readonly ipv4: Ipv4Layer,
    private readonly icmp: IcmpLayer,
    private readonly logger: Logger,
  ) {
    ipv4.register(IpProtocol.UDP, (datagram) => this.input(datagram));
    icmp.onError(IpProtocol.UDP, (error) => this.icmpError(error));
  }

  bind(port: number, handler: UdpHandler, onError?: UdpErrorHandler): void {
    if (this.bindings.has(port)) throw Object.assign(new Error(`UDP port ${port} is already bound`), { code: 'EADDRINUSE' });
    this.bindings.set(port, handler);
    if (onError !== undefined) this.errorHandlers.set(port, onError);
  }

  /** Binds a free port in the dynamic range chosen at random (RFC 6056); returns it. */
  bindEphemeral(handler: UdpHandler, onError?: UdpErrorHandler): number {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    // RFC 6056 and RFC 5452: an unpredictable port protects DNS answers against forgery.
    const start = randomInt(span);
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_PORT_FIRST + ((start + i) % span);
      if (!this.bindings.has(port)) {
        this.bindings.set(port, handler);
        if (onError !== undefined) this.errorHandlers.set(port, onError);
        return port;
      }
    }
    throw Object.assign(new Error('no free UDP port'), { code: 'EADDRINUSE' });
  }

  unbind(port: number): void {
    this.bindings.delete(port);
    this.errorHandlers.delete(port);
  }

  private icmpError(error: ReceivedIcmpError): void {
    const quoted = error.quoted;
    const headerLength = (quoted[0] & 0x0f) * 4;
    if (headerLength < 20 || quoted.length < headerLength + 4) return;
    // Only errors about datagrams we sent: the quoted source is our address.
    if (readIpv4(quoted, 12) !== this.ipv4.iface.address) return;
    const sourcePort = (quoted[headerLength] << 8) | quoted[headerLength + 1];
    const handler = this.errorHandlers.get(sourcePort);
    if (handler === undefined) return;
    handler({
      type: error.type,
      code: error.code,
      destination: readIpv4(quoted, 16),
      destinationPort: (quoted[headerLength + 2] << 8) | quoted[headerLength + 3],
    });
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
