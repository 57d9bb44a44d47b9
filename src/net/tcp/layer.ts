// The TCP layer between IPv4 and the sockets. It verifies and parses each
// segment, finds its connection or listener, and replies to segments for
// closed ports with a reset (RFC 9293 3.10.7.1). It opens connections, and
// it builds and checksums outgoing segments and hands them to IPv4.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import type { Ipv4Address } from '../ipv4-address';
import { formatIpv4 } from '../ipv4-address';
import { createLogger, type Logger } from '../../log';
import {
  createTcpHeader,
  emitTcpHeader,
  clearTcpOptions,
  fillTcpChecksum,
  fillTcpPartialChecksum,
  formatTcpFlags,
  parseTcpHeader,
  TcpFlags,
  TcpFormatError,
  tcpHeaderLength,
  verifyTcpChecksum,
  type TcpHeader,
} from '../wire/tcp';
import {
  TIME_WAIT_MAX_CONNECTIONS_DEFAULT,
  TcpConnection,
  type TcpControlBlock,
  type ConnectionHost,
  type TcpConnectionConfig,
  type TcpConnectionHandler,
} from './connection';
import { createDropCounters, type TcpCounters, type TcpDropReason } from './counters';
import { TcpError, type TcpErrorCode } from './errors';
import { ISN_KEY_BYTES, IsnGenerator } from './isn';
import { LISTEN_BACKLOG_DEFAULT, TcpListener, type TcpListenerHandler } from './listener';
import type { ReassemblyBudget } from './reassembly';
import { seqAdd, seqGt } from './sequence';
import { TCP_STATE_NAMES, TcpState } from './state';
import { SYN_COOKIE_PERIOD_MS, SynCookies } from './syn-cookie';

/** Receive buffer per connection when the caller gives none. */
export const RECEIVE_BUFFER_DEFAULT_BYTES = 256 * 1024;
/** Out-of-order bytes all connections may hold together when the caller gives no limit: 256 full receive windows. */
export const OUT_OF_ORDER_MAX_BYTES_DEFAULT = 64 * 1024 * 1024;
/** Send buffer per connection (a soft limit on unacknowledged data) when the caller gives none. */
export const SEND_BUFFER_DEFAULT_BYTES = 4 * 1024 * 1024;
/** Dynamic port range for active opens (RFC 6335 section 6). */
export const EPHEMERAL_PORT_FIRST = 49152;
export const EPHEMERAL_PORT_LAST = 65535;
/** How far above the old connection's sequence numbers a connection reopened from TIME-WAIT starts. */
const TIME_WAIT_ISN_GAP = 65536;

export interface TcpTransmit {
  source: Ipv4Address;
  destination: Ipv4Address;
  /** Complete TCP header including options, checksum filled in (partially with checksum offload). */
  header: Uint8Array;
  /** Zero or more views into data the application wrote (not copied). */
  payload: readonly Uint8Array[];
  payloadLength: number;
  /** The checksum field contains the pseudo-header sum; the device completes it. */
  checksumPartial: boolean;
  /** Payload bytes per segment when the device must segment (payloadLength above it); 0 otherwise. */
  segmentSize: number;
}

export interface TcpLayerOptions {
  clock: Clock;
  /** Hands one segment to IPv4. The header and the payload views stay valid after the call. */
  output(segment: TcpTransmit): void;
  /** MTU - 40 for the route to `destination`. */
  mss(destination: Ipv4Address): number;
  /** Addresses we accept segments for; the first is the source of active opens. */
  localAddresses(): readonly Ipv4Address[];
  /** Random bytes for keys and offsets; crypto.randomBytes by default. */
  random?: (bytes: number) => Buffer;
  logger?: Logger;
  /** Receive buffer per connection in bytes (RECEIVE_BUFFER_DEFAULT_BYTES). */
  receiveBufferBytes?: number;
  /** Send buffer per connection in bytes (SEND_BUFFER_DEFAULT_BYTES). */
  sendBufferBytes?: number;
  /** Offer and accept window scaling (RFC 7323); default true. */
  windowScaling?: boolean;
  /** Offer and accept timestamps (RFC 7323); default true. */
  timestamps?: boolean;
  /** Offer and accept SACK (RFC 2018, RFC 6675); default true. */
  sack?: boolean;
  /** Limited transmit (RFC 3042); default true. */
  limitedTransmit?: boolean;
  /** Reply to SYNs with SYN cookies when a half-open queue is full; default true. */
  synCookies?: boolean;
  /** Connections held in TIME-WAIT at once (TIME_WAIT_MAX_CONNECTIONS_DEFAULT); more close without waiting. */
  timeWaitMaxConnections?: number;
  /** Out-of-order bytes all connections may hold together (OUT_OF_ORDER_MAX_BYTES_DEFAULT); more is discarded. */
  outOfOrderMaxBytes?: number;
  /** Leave checksums to the device (TcpTransmit.checksumPartial); default false. */
  checksumOffload?: boolean;
  /**
   * Hand segments of up to this many payload bytes to the device, which
   * cuts them into MSS-sized ones (TCP segmentation offload); needs
   * checksumOffload. Default 0: every segment fits the MSS.
   */
  segmentationOffloadBytes?: number;
}

/** Largest TCP payload in one IPv4 datagram: 65535 minus the IPv4 header and a TCP header with 40 bytes of options. */
export const SEGMENTATION_OFFLOAD_MAX_BYTES = 65535 - 20 - 60;

export interface ListenOptions {
  port: number;
  /** Local address to listen on; 0 or absent for all. */
  address?: Ipv4Address;
  /** Accept queue and half-open limit (LISTEN_BACKLOG_DEFAULT). */
  backlog?: number;
  handler: TcpListenerHandler;
}

export interface ConnectOptions {
  remoteAddress: Ipv4Address;
  remotePort: number;
  localAddress?: Ipv4Address;
  /** Local port; an ephemeral port when absent or 0. */
  localPort?: number;
}

/** One connection as diagnostics list it. */
export interface TcpConnectionInfo {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  sendQueueBytes: number;
}

export class TcpLayer implements ConnectionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: TcpConnectionConfig;
  readonly stats: TcpCounters;
  readonly reassemblyBudget: ReassemblyBudget;
  private readonly outputSegment: (segment: TcpTransmit) => void;
  private readonly routeMss: (destination: Ipv4Address) => number;
  private readonly localAddresses: () => readonly Ipv4Address[];
  private readonly random: (bytes: number) => Buffer;
  private readonly isn: IsnGenerator;
  private readonly cookies: SynCookies | undefined;
  /** Connections by (local port << 16 | remote port), chained through bucketNext. */
  private readonly table = new Map<number, TcpConnection>();
  private connectionCount = 0;
  private readonly listeners = new Map<number, TcpListener[]>();
  private lastConnection: TcpConnection | undefined;
  private nextEphemeralOffset: number;
  private readonly scratch: TcpHeader = createTcpHeader();
  private readonly replyHeader: TcpHeader = createTcpHeader();
  private outputFailures = 0;
  private readonly checksumOffload: boolean;

  constructor(options: TcpLayerOptions) {
    this.clock = options.clock;
    this.logger = options.logger ?? createLogger('tcp');
    this.outputSegment = options.output;
    this.routeMss = options.mss;
    this.localAddresses = options.localAddresses;
    this.random = options.random ?? randomBytes;
    this.config = {
      receiveBufferBytes: options.receiveBufferBytes ?? RECEIVE_BUFFER_DEFAULT_BYTES,
      sendBufferBytes: options.sendBufferBytes ?? SEND_BUFFER_DEFAULT_BYTES,
      windowScaling: options.windowScaling ?? true,
      timestamps: options.timestamps ?? true,
      sack: options.sack ?? true,
      limitedTransmit: options.limitedTransmit ?? true,
      timeWaitMaxConnections: options.timeWaitMaxConnections ?? TIME_WAIT_MAX_CONNECTIONS_DEFAULT,
      maxSegmentPayload: Math.min(options.segmentationOffloadBytes ?? 0, SEGMENTATION_OFFLOAD_MAX_BYTES),
    };
    this.checksumOffload = options.checksumOffload ?? false;
    if (this.config.maxSegmentPayload > 0 && !this.checksumOffload) {
      throw new TcpError('EINVAL', 'segmentation offload needs checksum offload');
    }
    this.reassemblyBudget = { heldBytes: 0, maxBytes: options.outOfOrderMaxBytes ?? OUT_OF_ORDER_MAX_BYTES_DEFAULT };
    this.isn = new IsnGenerator(this.random(ISN_KEY_BYTES), this.clock);
    this.cookies = options.synCookies ?? true ? new SynCookies(this.random(ISN_KEY_BYTES), this.clock) : undefined;
    this.nextEphemeralOffset = this.random(2).readUInt16BE(0) % (EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1);
    this.stats = {
      segmentsReceived: 0,
      segmentsSent: 0,
      retransmittedSegments: 0,
      resetsSent: 0,
      resetsReceived: 0,
      activeOpens: 0,
      passiveOpens: 0,
      timeouts: 0,
      synCookiesSent: 0,
      synCookiesAccepted: 0,
      challengeAcksSent: 0,
      timeWaitOverflows: 0,
      dropped: createDropCounters(),
      connectionsByState: Object.fromEntries(TCP_STATE_NAMES.map((name) => [name, 0])),
    };
  }

  // ---------------------------------------------------------------------
  // From IPv4
  // ---------------------------------------------------------------------

  /** Takes one TCP segment (the IP payload) as received; verifies the checksum itself. */
  input(source: Ipv4Address, destination: Ipv4Address, segment: Uint8Array): void {
    this.stats.segmentsReceived++;
    if (!this.isLocal(destination)) {
      this.dropUnparsed('not-local', source, destination, segment.length, 'destination is not a local address');
      return;
    }
    if (segment.length < 20 || !verifyTcpChecksum(source, destination, segment)) {
      this.dropUnparsed('checksum', source, destination, segment.length, segment.length < 20 ? 'segment shorter than a TCP header' : 'bad checksum');
      return;
    }
    let header: TcpHeader;
    try {
      header = parseTcpHeader(segment, this.scratch);
    } catch (error) {
      if (!(error instanceof TcpFormatError)) throw error;
      this.dropUnparsed('malformed', source, destination, segment.length, error.message);
      return;
    }
    if (isInvalidSource(source)) {
      // RFC 1122 4.2.3.10: segments from broadcast or multicast sources are ignored.
      this.dropRaw('invalid-source', source, destination, 'source is not a unicast address');
      return;
    }
    if (header.sourcePort === 0 || header.destinationPort === 0) {
      // Port 0 is reserved and names no connection, so a reply would only
      // help a scan. smoltcp rejects such segments as malformed too, while
      // Linux (6.x) still replies to them.
      this.dropRaw('malformed', source, destination, 'port 0');
      return;
    }
    const payload = segment.subarray(header.headerLength);

    const connection = this.find(destination, header.destinationPort, source, header.sourcePort);
    if (connection !== undefined) {
      const flags = header.flags;
      const newSyn = (flags & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === TcpFlags.SYN;
      if (newSyn && connection.state === TcpState.TIME_WAIT && connection.acceptsNewSyn(header)) {
        // RFC 9293 3.10.7.4 and RFC 6191: a new SYN may reopen a connection
        // in TIME-WAIT when its sequence number (or timestamp) is above the
        // old one. The new ISN starts above the old connection's sequence space.
        const listener = this.findListener(destination, header.destinationPort);
        if (listener !== undefined) {
          const floor = seqAdd(connection.sendHighWater, TIME_WAIT_ISN_GAP);
          connection.terminate(undefined);
          this.listenInput(listener, source, destination, header, floor);
          return;
        }
      }
      connection.input(header, payload);
      return;
    }

    const listener = this.findListener(destination, header.destinationPort);
    if (listener !== undefined) {
      this.listenInput(listener, source, destination, header, undefined, payload);
      return;
    }
    this.closedInput(source, destination, header, payload.length);
  }

  /**
   * Takes an ICMP error about a segment we sent (RFC 5927). `source` and
   * `destination` are those of the quoted IP header (ours and the peer's),
   * `quotedSegment` the quoted TCP bytes (at least 8). `nextHopMtu` is the
   * MTU of a "fragmentation needed" message (RFC 1191), 0 otherwise.
   */
  icmpError(
    source: Ipv4Address,
    destination: Ipv4Address,
    quotedSegment: Uint8Array,
    type: number,
    code: number,
    nextHopMtu = 0,
  ): void {
    if (quotedSegment.length < 8) return;
    const localPort = (quotedSegment[0] << 8) | quotedSegment[1];
    const remotePort = (quotedSegment[2] << 8) | quotedSegment[3];
    const seq = ((quotedSegment[4] << 24) | (quotedSegment[5] << 16) | (quotedSegment[6] << 8) | quotedSegment[7]) >>> 0;
    const connection = this.find(source, localPort, destination, remotePort);
    if (connection === undefined) {
      if (this.logger.debugEnabled) {
        this.logger.debug(
          `ignored ICMP type ${type} code ${code} about ${formatIpv4(source)}:${localPort} ${formatIpv4(destination)}:${remotePort}: no such connection`,
        );
      }
      return;
    }

    const classified = classifyIcmp(type, code);
    if (classified === undefined) return;
    const mtu = type === 3 && code === 4 ? nextHopMtu : 0;
    if (type === 3 && code === 4 && mtu === 0) return;
    const accepted = connection.icmpError(seq, classified.code, classified.hard, mtu);
    if (!accepted && this.logger.debugEnabled) {
      this.logger.debug(`${connection.label}: ignored ICMP type ${type} code ${code} quoting sequence ${seq} outside the send window`);
    }
  }

  // ---------------------------------------------------------------------
  // Opening
  // ---------------------------------------------------------------------

  /** Starts listening on a port (passive open). Throws TcpError EADDRINUSE when the port is taken. */
  listen(options: ListenOptions): TcpListener {
    const address = options.address ?? 0;
    let port = options.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TcpError('EINVAL', `invalid port ${port}: expected an integer from 0 to 65535`);
    }
    if (port === 0) port = this.allocateListenPort();
    const existing = this.listeners.get(port) ?? [];
    for (const listener of existing) {
      if (listener.address === 0 || address === 0 || listener.address === address) {
        throw new TcpError('EADDRINUSE', `port ${port} on ${formatIpv4(address)} is already in use`);
      }
    }
    const backlog = Math.max(1, options.backlog ?? LISTEN_BACKLOG_DEFAULT);
    const listener = new TcpListener(this, address, port, backlog, options.handler);
    existing.push(listener);
    this.stats.connectionsByState[TCP_STATE_NAMES[TcpState.LISTEN]]++;
    this.listeners.set(port, existing);
    return listener;
  }

  /** Part of TcpListenerOwner: called by TcpListener.close. */
  removeListener(listener: TcpListener): void {
    const list = this.listeners.get(listener.port);
    if (list === undefined) return;
    const index = list.indexOf(listener);
    if (index < 0) return;
    list.splice(index, 1);
    this.stats.connectionsByState[TCP_STATE_NAMES[TcpState.LISTEN]]--;
    if (list.length === 0) this.listeners.delete(listener.port);
  }

  /**
   * Starts an active open (RFC 9293 3.10.1) and returns the connection in
   * SYN-SENT. The handler, when given, is attached before the SYN goes out.
   */
  connect(options: ConnectOptions, handler?: TcpConnectionHandler): TcpConnection {
    const { remoteAddress, remotePort } = options;
    if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 65535) {
      throw new TcpError('EINVAL', `invalid remote port ${remotePort}: expected an integer from 1 to 65535`);
    }
    if (remoteAddress === 0 || isInvalidSource(remoteAddress)) {
      throw new TcpError('EINVAL', `cannot connect to ${formatIpv4(remoteAddress)}: not a unicast address`);
    }
    const localAddress = options.localAddress ?? this.localAddresses()[0];
    if (localAddress === undefined) {
      throw new TcpError('EADDRNOTAVAIL', 'cannot connect: no local IPv4 address is configured');
    }
    let localPort = options.localPort ?? 0;
    if (localPort === 0) {
      localPort = this.allocateEphemeralPort(localAddress, remoteAddress, remotePort);
    } else if (this.find(localAddress, localPort, remoteAddress, remotePort) !== undefined) {
      throw new TcpError(
        'EADDRINUSE',
        `connection ${formatIpv4(localAddress)}:${localPort} to ${formatIpv4(remoteAddress)}:${remotePort} already exists`,
      );
    }

    const iss = this.isn.next(localAddress, localPort, remoteAddress, remotePort);
    const timestampOffset = this.isn.timestampOffset(localAddress, localPort, remoteAddress, remotePort);
    const connection = new TcpConnection(this, localAddress, localPort, remoteAddress, remotePort, iss, false, timestampOffset);
    if (handler !== undefined) connection.attach(handler);
    this.register(connection);
    this.stats.activeOpens++;
    connection.openActive();
    return connection;
  }

  // ---------------------------------------------------------------------
  // Reporting
  // ---------------------------------------------------------------------

  /** Returns a snapshot of the counters; connections by state are kept current as states change. */
  counters(): TcpCounters {
    return { ...this.stats, dropped: { ...this.stats.dropped }, connectionsByState: { ...this.stats.connectionsByState } };
  }

  /** Lists the connections in the table, for diagnostics such as `lsof`. */
  connections(): TcpConnectionInfo[] {
    const result: TcpConnectionInfo[] = [];
    for (const connection of this.allConnections()) {
      result.push({
        localAddress: formatIpv4(connection.localAddress),
        localPort: connection.localPort,
        remoteAddress: formatIpv4(connection.remoteAddress),
        remotePort: connection.remotePort,
        state: connection.stateName,
        sendQueueBytes: connection.sendBuffer.length,
      });
    }
    return result;
  }

  get connectionTotal(): number {
    return this.connectionCount;
  }

  /**
   * Drops every listener and connection, for a stack that is shutting
   * down. Half-open and queued connections are reset as a closing listener
   * does, and the others end without a segment. Their timers stop, and
   * their sockets see the end of the stream and close without an 'error'
   * event, which the application may no longer handle.
   */
  close(): void {
    for (const list of [...this.listeners.values()]) for (const listener of [...list]) listener.close();
    for (const connection of [...this.allConnections()]) connection.terminate(undefined);
  }

  // ---------------------------------------------------------------------
  // ConnectionHost
  // ---------------------------------------------------------------------

  mss(remote: Ipv4Address): number {
    return this.routeMss(remote);
  }

  transmit(from: TcpControlBlock, header: TcpHeader, payload: readonly Uint8Array[], payloadLength: number): void {
    this.emit(from.localAddress, from.remoteAddress, header, payload, payloadLength, from.dataSegmentMss);
  }

  canAccept(connection: TcpConnection): boolean {
    const listener = connection.listener;
    return listener === undefined || (!listener.isClosed && listener.acceptQueueHasRoom);
  }

  accept(connection: TcpConnection): void {
    connection.listener?.enqueue(connection);
  }

  release(block: TcpControlBlock): void {
    // Every control block this layer creates is a TcpConnection.
    const connection = block as TcpConnection;
    connection.listener?.forget(connection);
    connection.listener = undefined;
    this.unregister(connection);
  }

  countDrop(reason: TcpDropReason): void {
    this.stats.dropped[reason]++;
  }

  // ---------------------------------------------------------------------
  // LISTEN and CLOSED
  // ---------------------------------------------------------------------

  /** RFC 9293 3.10.7.2, LISTEN. */
  private listenInput(
    listener: TcpListener,
    source: Ipv4Address,
    destination: Ipv4Address,
    header: TcpHeader,
    isnFloor: number | undefined,
    payload?: Uint8Array,
  ): void {
    const flags = header.flags;

    // First, check for a RST: an incoming RST is ignored.
    if ((flags & TcpFlags.RST) !== 0) {
      this.dropRaw('listener', source, destination, 'RST to a listener');
      return;
    }

    // Second, check for an ACK: it is bad in LISTEN unless it returns a SYN cookie.
    if ((flags & TcpFlags.ACK) !== 0) {
      if ((flags & TcpFlags.SYN) === 0 && this.acceptCookie(listener, source, destination, header, payload)) return;
      this.dropRaw('listener', source, destination, 'ACK to a listener, sending RST');
      this.sendReset(destination, source, header.destinationPort, header.sourcePort, header.acknowledgmentNumber, 0, TcpFlags.RST);
      return;
    }

    // Third, check for a SYN.
    if ((flags & TcpFlags.SYN) === 0) {
      this.dropRaw('listener', source, destination, 'segment without SYN to a listener');
      return;
    }
    if ((flags & TcpFlags.FIN) !== 0) {
      // SYN and FIN together open and close at once; no real client sends
      // that, scanners do. Linux discards it in LISTEN as well.
      this.dropRaw('listener', source, destination, 'SYN with FIN to a listener');
      return;
    }
    if (!listener.acceptQueueHasRoom) {
      // Like Linux: no new handshakes while completed ones wait to be accepted.
      this.dropRaw('accept-queue-full', source, destination, 'accept queue full, SYN dropped');
      return;
    }
    if (!listener.admit(source, header.sourcePort)) {
      // Connection limit hook: reject with <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
      const ack = seqAdd(header.sequenceNumber, 1 + (payload?.length ?? 0) + ((flags & TcpFlags.FIN) !== 0 ? 1 : 0));
      this.sendReset(destination, source, header.destinationPort, header.sourcePort, 0, ack, TcpFlags.RST | TcpFlags.ACK);
      return;
    }
    if (listener.halfOpenQueueFull) {
      if (this.cookies !== undefined) {
        this.sendCookie(listener, source, destination, header);
        return;
      }
      this.dropRaw('half-open-queue-full', source, destination, 'half-open queue full, SYN dropped');
      return;
    }

    // Data and FIN on the SYN are not taken (no TCP Fast Open): the SYN-ACK
    // acknowledges only the SYN and the peer sends the data again.
    let iss = this.isn.next(destination, header.destinationPort, source, header.sourcePort);
    if (isnFloor !== undefined && !seqGt(iss, isnFloor)) iss = isnFloor;
    const connection = new TcpConnection(
      this,
      destination,
      header.destinationPort,
      source,
      header.sourcePort,
      iss,
      true,
      this.isn.timestampOffset(destination, header.destinationPort, source, header.sourcePort),
    );
    connection.listener = listener;
    listener.halfOpen.add(connection);
    this.register(connection);
    this.stats.passiveOpens++;
    connection.openPassive(header);
  }

  private sendCookie(listener: TcpListener, source: Ipv4Address, destination: Ipv4Address, syn: TcpHeader): void {
    const cookies = this.cookies as SynCookies;
    const peerMss = syn.mss !== 0 ? syn.mss : 536;
    const { isn, mss } = cookies.encode(
      destination,
      syn.destinationPort,
      source,
      syn.sourcePort,
      syn.sequenceNumber,
      Math.min(peerMss, this.routeMss(source)),
    );
    const reply = this.replyHeader;
    resetHeader(reply);
    reply.sourcePort = syn.destinationPort;
    reply.destinationPort = syn.sourcePort;
    reply.sequenceNumber = isn;
    reply.acknowledgmentNumber = seqAdd(syn.sequenceNumber, 1);
    reply.flags = TcpFlags.SYN | TcpFlags.ACK;
    reply.window = Math.min(this.config.receiveBufferBytes, 0xffff);
    reply.mss = mss;
    listener.lastCookieTime = this.clock.now();
    this.stats.synCookiesSent++;
    this.emit(destination, source, reply, [], 0);
  }

  /** Creates the connection for an ACK that returns a valid SYN cookie; false when it does not. */
  private acceptCookie(
    listener: TcpListener,
    source: Ipv4Address,
    destination: Ipv4Address,
    header: TcpHeader,
    payload: Uint8Array | undefined,
  ): boolean {
    if (this.cookies === undefined) return false;
    // Cookies are checked only while the listener has been sending them, so
    // that stray ACKs cannot be used to guess one at leisure.
    if (this.clock.now() - listener.lastCookieTime > 2 * SYN_COOKIE_PERIOD_MS) return false;
    if (!listener.acceptQueueHasRoom) return false;
    const iss = seqAdd(header.acknowledgmentNumber, -1);
    const mss = this.cookies.decode(
      destination,
      header.destinationPort,
      source,
      header.sourcePort,
      seqAdd(header.sequenceNumber, -1),
      iss,
    );
    if (mss === 0) return false;

    const connection = new TcpConnection(this, destination, header.destinationPort, source, header.sourcePort, iss, true, 0);
    connection.listener = listener;
    this.register(connection);
    this.stats.passiveOpens++;
    this.stats.synCookiesAccepted++;
    connection.openFromCookie(header, mss);
    listener.enqueue(connection);
    if (connection.state !== TcpState.CLOSED) connection.input(header, payload ?? new Uint8Array(0));
    return true;
  }

  /** RFC 9293 3.10.7.1, CLOSED: no connection and no listener. */
  private closedInput(source: Ipv4Address, destination: Ipv4Address, header: TcpHeader, payloadLength: number): void {
    const flags = header.flags;
    if ((flags & TcpFlags.RST) !== 0) {
      // An incoming RST is discarded.
      this.dropRaw('closed-port', source, destination, 'RST for a closed port');
      return;
    }
    this.dropRaw('closed-port', source, destination, 'segment for a closed port, sending RST');
    if ((flags & TcpFlags.ACK) !== 0) {
      // ACK on: <SEQ=SEG.ACK><CTL=RST>.
      this.sendReset(destination, source, header.destinationPort, header.sourcePort, header.acknowledgmentNumber, 0, TcpFlags.RST);
    } else {
      // ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, where SYN and FIN count in SEG.LEN.
      const length = payloadLength + ((flags & TcpFlags.SYN) !== 0 ? 1 : 0) + ((flags & TcpFlags.FIN) !== 0 ? 1 : 0);
      this.sendReset(
        destination,
        source,
        header.destinationPort,
        header.sourcePort,
        0,
        seqAdd(header.sequenceNumber, length),
        TcpFlags.RST | TcpFlags.ACK,
      );
    }
  }

  private sendReset(
    source: Ipv4Address,
    destination: Ipv4Address,
    sourcePort: number,
    destinationPort: number,
    seq: number,
    ack: number,
    flags: number,
  ): void {
    const reply = this.replyHeader;
    resetHeader(reply);
    reply.sourcePort = sourcePort;
    reply.destinationPort = destinationPort;
    reply.sequenceNumber = seq;
    reply.acknowledgmentNumber = ack;
    reply.flags = flags;
    this.stats.resetsSent++;
    this.emit(source, destination, reply, [], 0);
  }

  // ---------------------------------------------------------------------
  // Segments out
  // ---------------------------------------------------------------------

  private emit(
    source: Ipv4Address,
    destination: Ipv4Address,
    header: TcpHeader,
    payload: readonly Uint8Array[],
    payloadLength: number,
    segmentMss = 0,
  ): void {
    const bytes = Buffer.allocUnsafe(tcpHeaderLength(header));
    emitTcpHeader(header, bytes, 0);
    if (this.checksumOffload) {
      fillTcpPartialChecksum(source, destination, bytes, payloadLength);
    } else {
      fillTcpChecksum(source, destination, bytes, payload, payloadLength);
    }
    this.stats.segmentsSent++;
    const segmentSize = segmentMss > 0 && payloadLength > segmentMss ? segmentMss : 0;
    try {
      this.outputSegment({ source, destination, header: bytes, payload, payloadLength, checksumPartial: this.checksumOffload, segmentSize });
    } catch (error) {
      // A failing output must not corrupt the connection that sent; the
      // segment counts as lost and the retransmission timer recovers it.
      this.outputFailures++;
      if (this.outputFailures === 1 || this.logger.debugEnabled) {
        this.logger.error(`sending a segment to ${formatIpv4(destination)} failed: ${(error as Error).message}`);
      }
    }
  }

  // ---------------------------------------------------------------------
  // Demultiplexing
  // ---------------------------------------------------------------------

  private find(
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
  ): TcpConnection | undefined {
    const last = this.lastConnection;
    if (
      last !== undefined &&
      last.remotePort === remotePort &&
      last.localPort === localPort &&
      last.remoteAddress === remoteAddress &&
      last.localAddress === localAddress
    ) {
      return last;
    }
    let connection = this.table.get(bucketKey(localPort, remotePort));
    while (connection !== undefined) {
      if (connection.remoteAddress === remoteAddress && connection.localAddress === localAddress) {
        this.lastConnection = connection;
        return connection;
      }
      connection = connection.bucketNext;
    }
    return undefined;
  }

  private findListener(localAddress: Ipv4Address, port: number): TcpListener | undefined {
    const list = this.listeners.get(port);
    if (list === undefined) return undefined;
    let wildcard: TcpListener | undefined;
    for (const listener of list) {
      if (listener.address === localAddress) return listener;
      if (listener.address === 0) wildcard = listener;
    }
    return wildcard;
  }

  private register(connection: TcpConnection): void {
    const key = bucketKey(connection.localPort, connection.remotePort);
    connection.bucketNext = this.table.get(key);
    this.table.set(key, connection);
    this.connectionCount++;
  }

  private unregister(connection: TcpConnection): void {
    const key = bucketKey(connection.localPort, connection.remotePort);
    let previous: TcpConnection | undefined;
    let current = this.table.get(key);
    while (current !== undefined && current !== connection) {
      previous = current;
      current = current.bucketNext;
    }
    if (current === undefined) return;
    if (previous === undefined) {
      if (connection.bucketNext === undefined) this.table.delete(key);
      else this.table.set(key, connection.bucketNext);
    } else {
      previous.bucketNext = connection.bucketNext;
    }
    connection.bucketNext = undefined;
    this.connectionCount--;
    if (this.lastConnection === connection) this.lastConnection = undefined;
  }

  private *allConnections(): IterableIterator<TcpConnection> {
    for (const head of this.table.values()) {
      for (let connection: TcpConnection | undefined = head; connection !== undefined; connection = connection.bucketNext) {
        yield connection;
      }
    }
  }

  private allocateEphemeralPort(localAddress: Ipv4Address, remoteAddress: Ipv4Address, remotePort: number): number {
    const range = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    for (let i = 0; i < range; i++) {
      const port = EPHEMERAL_PORT_FIRST + ((this.nextEphemeralOffset + i) % range);
      if (this.listeners.has(port) || this.find(localAddress, port, remoteAddress, remotePort) !== undefined) continue;
      this.nextEphemeralOffset = (this.nextEphemeralOffset + i + 1) % range;
      return port;
    }
    throw new TcpError(
      'EADDRNOTAVAIL',
      `no free local port for a connection to ${formatIpv4(remoteAddress)}:${remotePort}: all ${range} ephemeral ports are in use`,
    );
  }

  private allocateListenPort(): number {
    const range = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    for (let i = 0; i < range; i++) {
      const port = EPHEMERAL_PORT_FIRST + ((this.nextEphemeralOffset + i) % range);
      if (this.listeners.has(port)) continue;
      this.nextEphemeralOffset = (this.nextEphemeralOffset + i + 1) % range;
      return port;
    }
    throw new TcpError('EADDRINUSE', `no free port to listen on: all ${range} ephemeral ports are in use`);
  }

  private isLocal(address: Ipv4Address): boolean {
    const addresses = this.localAddresses();
    for (let i = 0; i < addresses.length; i++) if (addresses[i] === address) return true;
    return false;
  }

  /** Counts and logs a segment dropped before its header could be parsed. */
  private dropUnparsed(reason: TcpDropReason, source: Ipv4Address, destination: Ipv4Address, length: number, explanation: string): void {
    this.stats.dropped[reason]++;
    if (this.logger.debugEnabled) {
      this.logger.debug(`${formatIpv4(source)} to ${formatIpv4(destination)}: dropped a ${length}-byte segment: ${explanation}`);
    }
  }

  /** Counts and logs a dropped segment whose header is in the scratch record. */
  private dropRaw(reason: TcpDropReason, source: Ipv4Address, destination: Ipv4Address, explanation: string): void {
    this.stats.dropped[reason]++;
    if (this.logger.debugEnabled) {
      const header = this.scratch;
      this.logger.debug(
        `${formatIpv4(destination)}:${header.destinationPort} ${formatIpv4(source)}:${header.sourcePort}: dropped ${formatTcpFlags(header.flags)} seq=${header.sequenceNumber}: ${explanation}`,
      );
    }
  }
}

function bucketKey(localPort: number, remotePort: number): number {
  return localPort * 65536 + remotePort;
}

/** True for 0.0.0.0, multicast (224.0.0.0/4), and the limited broadcast address. */
function isInvalidSource(address: Ipv4Address): boolean {
  return address === 0 || address >>> 28 === 0xe || address === 0xffffffff;
}

function resetHeader(header: TcpHeader): void {
  header.window = 0;
  header.checksum = 0;
  header.urgentPointer = 0;
  clearTcpOptions(header);
}

/**
 * Maps an ICMP error to the error a connection reports and whether it is
 * hard (RFC 1122 4.2.3.9, RFC 5927). Returns undefined for messages TCP
 * ignores, such as source quench (RFC 6633).
 */
function classifyIcmp(type: number, code: number): { code: TcpErrorCode; hard: boolean } | undefined {
  if (type === 3) {
    switch (code) {
      case 0:
      case 6:
      case 11:
        return { code: 'ENETUNREACH', hard: false };
      case 2:
      case 3:
        return { code: 'ECONNREFUSED', hard: true };
      case 4:
        return { code: 'EHOSTUNREACH', hard: false };
      case 9:
      case 10:
      case 13:
        return { code: 'EHOSTUNREACH', hard: true };
      default:
        return { code: 'EHOSTUNREACH', hard: false };
    }
  }
  if (type === 11 || type === 12) return { code: 'EHOSTUNREACH', hard: false };
  return undefined;
}
