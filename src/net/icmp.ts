// ICMP for IPv4 (RFC 792, RFC 1122 section 3.2.2): echo replies, error
// messages about datagrams we cannot deliver, and received errors handed to
// the transport that sent the offending datagram.
import type { Logger } from '../log';
import type { Clock } from './clock';
import { formatIpv4 } from './ipv4-address';
import type { Ipv4Layer, ReceivedDatagram } from './ipv4';
import { emitIcmp, IcmpType, IcmpUnreachableCode, parseIcmp } from './wire/icmp';
import { IpProtocol } from './wire/ipv4';

/** Error messages allowed per second on average (token bucket rate). */
export const ICMP_ERRORS_PER_SECOND = 1000;
/** Error messages allowed in a burst (token bucket depth). */
export const ICMP_ERROR_BURST = 50;
/** Quoted bytes of the offending datagram are limited so the error fits in 576 bytes (RFC 1812 4.3.2.3). */
const ICMP_ERROR_MAX_QUOTE_BYTES = 576 - 20 - 8;
/** Offset of the flags byte in the quoted IPv4 header, and the DF bit in that byte. */
const QUOTED_FLAGS_OFFSET = 6;
const QUOTED_DONT_FRAGMENT = 0x40;

/** An ICMP error received about a datagram we sent. */
export interface ReceivedIcmpError {
  type: number;
  code: number;
  /** The 4 bytes after the checksum (next-hop MTU for "fragmentation needed"). */
  rest: number;
  /** The quoted datagram: our IPv4 header and at least 8 bytes of its payload. */
  quoted: Uint8Array;
  /** The router or host that sent the error. */
  reporter: number;
}

export type IcmpErrorListener = (error: ReceivedIcmpError) => void;

export interface IcmpCounters {
  echoRequests: number;
  echoReplies: number;
  errorsSent: number;
  errorsRateLimited: number;
  errorsReceived: number;
}

export class IcmpLayer {
  readonly counters: IcmpCounters = { echoRequests: 0, echoReplies: 0, errorsSent: 0, errorsRateLimited: 0, errorsReceived: 0 };
  private readonly errorListeners = new Map<number, IcmpErrorListener>();
  private tokens = ICMP_ERROR_BURST;
  private tokensUpdatedMs: number;

  constructor(
    private readonly ipv4: Ipv4Layer,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.tokensUpdatedMs = clock.now();
    ipv4.register(IpProtocol.ICMP, (datagram) => this.input(datagram));
  }

  /** Routes received errors about datagrams of `protocol` to `listener`. */
  onError(protocol: number, listener: IcmpErrorListener): void {
    this.errorListeners.set(protocol, listener);
  }

  private input(datagram: ReceivedDatagram): void {
    const drops = this.ipv4.iface.drops;
    const parsed = parseIcmp(datagram.payload);
    if (!parsed.ok) {
      drops.drop('malformed ICMP', parsed.reason);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case IcmpType.ECHO_REQUEST:
        // Linux ignores broadcast pings by default (icmp_echo_ignore_broadcasts).
        if (datagram.broadcast) {
          drops.drop('broadcast echo request');
          return;
        }
        this.counters.echoRequests++;
        this.ipv4.send(IpProtocol.ICMP, datagram.header.source, [emitIcmp({ type: IcmpType.ECHO_REPLY, code: 0, rest: message.rest, data: message.data })], {
          source: datagram.header.destination,
        });
        this.counters.echoReplies++;
        return;
      case IcmpType.DESTINATION_UNREACHABLE:
      case IcmpType.TIME_EXCEEDED:
      case IcmpType.PARAMETER_PROBLEM:
      case IcmpType.SOURCE_QUENCH:
        this.receiveError(message.type, message.code, message.rest, message.data, datagram.header.source);
        return;
      case IcmpType.ECHO_REPLY:
        drops.drop('echo reply to a request we did not send');
        return;
      default:
        drops.drop('unhandled ICMP type', String(message.type));
    }
  }

  private receiveError(type: number, code: number, rest: number, quoted: Uint8Array, reporter: number): void {
    this.counters.errorsReceived++;
    // The quote must hold our header and 8 bytes of the transport header
    // (RFC 792); its checksum is not verified because routers may alter it.
    if (quoted.length < 28 || quoted[0] >>> 4 !== 4) {
      this.ipv4.iface.drops.drop('ICMP error with a short quote');
      return;
    }
    // RFC 1191 section 4: routers send "fragmentation needed" only for
    // datagrams with DF set; one that quotes a datagram without DF is forged.
    if (type === IcmpType.DESTINATION_UNREACHABLE && code === IcmpUnreachableCode.FRAGMENTATION_NEEDED && (quoted[QUOTED_FLAGS_OFFSET] & QUOTED_DONT_FRAGMENT) === 0) {
      this.ipv4.iface.drops.drop('fragmentation needed for a datagram without DF', formatIpv4(reporter));
      return;
    }
    const listener = this.errorListeners.get(quoted[9]);
    if (listener === undefined) {
      if (this.logger.debugEnabled) this.logger.debug(`ICMP error type ${type} code ${code} from ${formatIpv4(reporter)} for protocol ${quoted[9]}`);
      return;
    }
    listener({ type, code, rest, quoted, reporter });
  }

  /**
   * Sends an error about `offending` to its source, unless RFC 1122
   * 3.2.2 forbids it (errors about ICMP errors, broadcasts, non-initial
   * fragments, or invalid sources) or the rate limit is exhausted.
   */
  sendError(type: number, code: number, offending: ReceivedDatagram, rest = 0): void {
    const header = offending.header;
    if (offending.broadcast || header.fragmentOffset !== 0 || header.source === 0) return;
    if (header.protocol === IpProtocol.ICMP && offending.payload.length > 0) {
      const innerType = offending.payload[0];
      const isQuery = innerType === IcmpType.ECHO_REQUEST || innerType === IcmpType.ECHO_REPLY || innerType === 13 || innerType === 14;
      if (!isQuery) return;
    }
    if (!this.takeToken()) {
      this.counters.errorsRateLimited++;
      return;
    }
    const quoteLength = Math.min(offending.headerBytes.length + offending.payload.length, ICMP_ERROR_MAX_QUOTE_BYTES);
    const quote = Buffer.concat([offending.headerBytes, offending.payload]).subarray(0, quoteLength);
    this.counters.errorsSent++;
    this.ipv4.send(IpProtocol.ICMP, header.source, [emitIcmp({ type, code, rest, data: quote })]);
  }

  private takeToken(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(ICMP_ERROR_BURST, this.tokens + ((now - this.tokensUpdatedMs) * ICMP_ERRORS_PER_SECOND) / 1000);
    this.tokensUpdatedMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
