// The transmission control block of one TCP connection (RFC 9293 3.3.1):
// its sequence variables, negotiated options, buffers and timer state,
// with the parameters that bound them and the state changes every part
// of the connection uses. The sender (sender.ts) and the input decision
// (connection.ts) build on it.
import type { Clock } from '../clock';
import type { Ipv4Address } from '../ipv4-address';
import { formatIpv4 } from '../ipv4-address';
import type { Logger } from '../../log';
import { createTcpHeader, formatTcpFlags, type TcpHeader } from '../wire/tcp';
import { NewRenoCongestion } from './congestion';
import type { TcpCounters, TcpDropReason } from './counters';
import { TcpError, type TcpErrorCode } from './errors';
import type { TcpConnection } from './connection';
import type { TcpListener } from './listener';
import { ReassemblyQueue, type ReassemblyBudget } from './reassembly';
import { RTO_MIN_MS, RtoEstimator } from './retransmit';
import { SackScoreboard } from './sack-scoreboard';
import { SendBuffer } from './send-buffer';
import { seqDiff, seqGt } from './sequence';
import { TCP_STATE_NAMES, TcpState } from './state';
import { DeadlineTimer } from './timer';

/**
 * Data segments acknowledged at once after the peer was silent for longer
 * than QUICK_ACK_IDLE_MS, unless we sent data in reply to its last data
 * (request and response traffic, where the ACK rides on the response). A sender that
 * resumes after a timeout has a one-segment window, and a delayed ACK would
 * stall it for DELAYED_ACK_TIMEOUT_MS and inflate its RTT estimate; Linux's
 * quick-ACK and ping-pong modes make the same distinction.
 */
export const QUICK_ACK_SEGMENTS = 8;
/** Silence after which data gets quick ACKs: half the minimum RTO, so a sender's timeout always counts. */
export const QUICK_ACK_IDLE_MS = RTO_MIN_MS / 2;
/** Maximum segment lifetime. RFC 9293 suggests 2 minutes; like Linux's 60 s TIME-WAIT, this is a local choice. */
export const MSL_MS = 30_000;
/** Time a connection lingers in TIME-WAIT (RFC 9293 3.6.1: 2 * MSL). */
export const TIME_WAIT_MS = 2 * MSL_MS;
/** Connections held in TIME-WAIT at once by default; beyond it a connection closes without waiting (about 3.5 KB each). */
export const TIME_WAIT_MAX_CONNECTIONS_DEFAULT = 16_384;
/** Upper bound on delaying an ACK (RFC 1122 4.2.3.2 requires less than 0.5 s; RFC 5681 4.2). */
export const DELAYED_ACK_TIMEOUT_MS = 200;
/** Time an orphaned connection may wait in FIN-WAIT-2 for the peer's FIN (Linux tcp_fin_timeout). */
export const FIN_WAIT_2_TIMEOUT_MS = 60_000;
/** Idle time before the first keep-alive probe when the caller gives none (RFC 1122 4.2.3.6: at least two hours). */
export const KEEPALIVE_IDLE_DEFAULT_MS = 7_200_000;
/** Interval between unanswered keep-alive probes (Linux tcp_keepalive_intvl). */
export const KEEPALIVE_INTERVAL_MS = 75_000;
/** Unanswered keep-alive probes before the connection is aborted (Linux tcp_keepalive_probes). */
export const KEEPALIVE_PROBES_MAX = 9;
/** Retransmissions of one segment before the connection is aborted (RFC 1122 4.2.3.5 R2). */
export const DATA_RETRANSMISSIONS_MAX = 12;
/** Retransmissions of a SYN before an active open fails (Linux tcp_syn_retries). */
export const SYN_RETRANSMISSIONS_MAX = 6;
/** Retransmissions of a SYN-ACK before a half-open connection is dropped (Linux tcp_synack_retries). */
export const SYN_ACK_RETRANSMISSIONS_MAX = 5;
/** Zero-window probes before the connection is aborted: unanswered ones, or any once the application has closed the connection. */
export const PERSIST_PROBES_MAX = 12;
/** MSS assumed when the peer's SYN carries no MSS option (RFC 9293 3.7.1). */
export const DEFAULT_SEND_MSS = 536;
/** Smallest MSS taken from a peer's option; smaller values are raised to it (Linux's tcp_min_snd_mss default). */
export const MIN_SEND_MSS = 48;
/** Smallest path MTU taken from an ICMP "fragmentation needed" message (Linux's min_pmtu default). */
export const MIN_PATH_MTU_BYTES = 552;
/** Minimum interval between ACKs sent in reply to out-of-window pure ACKs, SYNs and resets (RFC 5961 section 7). */
export const OUT_OF_WINDOW_ACK_INTERVAL_MS = 500;
/** Idle time after which TS.Recent is no longer trusted for PAWS (RFC 7323 5.5: 24 days). */
export const PAWS_IDLE_LIMIT_MS = 24 * 24 * 3600 * 1000;
/** Largest window scale shift (RFC 7323 2.3). */
export const WINDOW_SCALE_MAX = 14;
/** Bytes the timestamps option takes in every segment once negotiated, with its padding. */
export const TIMESTAMPS_OPTION_SPACE = 12;
/** SACK option space besides its blocks: kind, length and two NOPs for alignment (RFC 2018 section 3). */
const SACK_OPTION_BASE_SPACE = 4;
/** Bytes of one SACK block: left and right edge. */
const SACK_BLOCK_BYTES = 8;
/** Largest value of the 16-bit window field. */
export const WINDOW_FIELD_MAX = 0xffff;


export const EMPTY_PAYLOAD: readonly Uint8Array[] = Object.freeze([]);

/** Settings that a TcpLayer passes to each of its connections. */
export interface TcpConnectionConfig {
  /** Receive buffer in bytes; the advertised window never exceeds it. */
  receiveBufferBytes: number;
  /** Send buffer in bytes, a soft limit: TcpConnection.writable turns false at it. */
  sendBufferBytes: number;
  windowScaling: boolean;
  timestamps: boolean;
  sack: boolean;
  limitedTransmit: boolean;
  /** Connections held in TIME-WAIT at once; more close without waiting. */
  timeWaitMaxConnections: number;
  /**
   * Largest payload of one segment handed to IPv4; above the MSS only with
   * segmentation offload, where the device cuts it into MSS-sized segments.
   */
  maxSegmentPayload: number;
}

/** Services of the TcpLayer that a connection calls. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Counters the connection updates in place. */
  readonly stats: TcpCounters;
  /** Out-of-order bytes of all connections together, and their limit. */
  readonly reassemblyBudget?: ReassemblyBudget;
  readonly config: TcpConnectionConfig;
  /** MSS for segments we receive from `remote` (MTU of the route minus 40). */
  mss(remote: Ipv4Address): number;
  /** Builds the header (with checksum) and hands the segment to IPv4. */
  transmit(from: TcpControlBlock, header: TcpHeader, payload: readonly Uint8Array[], payloadLength: number): void;
  /** Whether the accept queue of a passive connection's listener has room for it. */
  canAccept(connection: TcpConnection): boolean;
  /** A passive connection completed its handshake and joins its listener's accept queue. */
  accept(connection: TcpConnection): void;
  /** The connection reached CLOSED and leaves the demultiplexing table. */
  release(connection: TcpControlBlock): void;
  countDrop(reason: TcpDropReason): void;
}

/** Callbacks from a connection to its user (the socket). */
export interface TcpConnectionHandler {
  /** The three-way handshake completed. */
  onEstablished(): void;
  /** In-order data; the buffer belongs to the handler. */
  onData(data: Buffer): void;
  /** The peer sent FIN: no more data will arrive. */
  onEnd(): void;
  /** Acknowledgments made room in the send buffer. */
  onWritable(): void;
  /** The connection is gone: reset, timed out, or closed by both sides (error undefined). */
  onClose(error: TcpError | undefined): void;
  /** Bytes delivered by onData that the application has not consumed yet; they shrink the window. */
  unreadBytes(): number;
}

/** Purpose of the retransmission timer while it runs. */
export const enum TimerMode {
  RETRANSMIT,
  /** Zero-window probing or the sender SWS override (RFC 9293 3.8.6.1, 3.8.6.2.1). */
  PERSIST,
}

/**
 * The connection's variables and state changes. Abstract: the timer
 * handlers are implemented by the sender and the connection.
 */
export abstract class TcpControlBlock {
  state = TcpState.CLOSED;
  handler: TcpConnectionHandler | undefined;
  /** Next connection in the same demultiplexing bucket. */
  bucketNext: TcpConnection | undefined;
  /** True when a listener created the connection (passive open). */
  readonly passive: boolean;
  /** Listener of a passive open while the connection is half-open or waits in its accept queue. */
  listener: TcpListener | undefined;

  // Send sequence variables (RFC 9293 3.3.1). sndNxt may move back to
  // sndUna after a timeout (go-back-N); sndMax stays at the highest
  // sequence number sent plus one.
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndMax = 0;
  /** Peer's window in bytes, already scaled. */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer has offered, for SWS avoidance and RFC 5961 5.2. */
  maxSndWnd = 0;

  // Receive sequence variables.
  irs = 0;
  rcvNxt = 0;
  /** RCV.NXT + RCV.WND as last advertised; the right edge never moves left. */
  rcvAdvertisedEdge = 0;

  // Negotiated in the handshake.
  sendMss = DEFAULT_SEND_MSS;
  receiveMss: number;
  sndWndScale = 0;
  rcvWndScale = 0;
  windowScalingEnabled = false;
  timestampsEnabled = false;
  sackEnabled = false;
  protected offeredWindowScale = false;
  protected offeredTimestamps = false;
  protected offeredSack = false;
  protected tsRecent = 0;
  protected tsRecentTime = 0;
  protected lastAckSent = 0;
  protected readonly tsOffset: number;

  // Data.
  readonly sendBuffer = new SendBuffer();
  /** Scratch list for dataSegmentMss. */
  private readonly sackScratch: number[] = [];
  readonly reassembly: ReassemblyQueue;
  readonly scoreboard = new SackScoreboard();
  protected synAcknowledged = false;
  protected finQueued = false;
  protected finSent = false;
  protected finSeq = 0;
  /** Sequence number of a FIN that arrived ahead of missing data, or -1. */
  protected pendingFinSeq = -1;
  protected finReceived = false;
  /** The user closed the connection, so data that still arrives draws a reset. */
  protected receiveShutdown = false;
  /** Data received before a handler was attached (a connection still in the accept queue). */
  protected pendingReceive: Buffer[] = [];
  protected pendingReceiveBytes = 0;
  protected pendingEnd = false;

  // Timers and their state.
  readonly rto = new RtoEstimator();
  congestion: NewRenoCongestion;
  protected readonly retransmitTimer: DeadlineTimer;
  protected readonly delayedAckTimer: DeadlineTimer;
  protected readonly keepaliveTimer: DeadlineTimer;
  protected readonly closeTimer: DeadlineTimer;
  protected timerMode = TimerMode.RETRANSMIT;
  /** Timer expirations since the last acknowledgment of new data. */
  protected retransmissions = 0;
  /** Zero-window probes sent since the window closed; the exponent of the probe interval. */
  protected persistBackoff = 0;
  /** Zero-window probes sent since the peer last sent us anything. */
  protected persistProbes = 0;
  protected synRetransmitted = false;
  protected rttTiming = false;
  protected rttSeq = 0;
  protected rttStart = 0;
  protected lastSendTime = 0;
  /** End of the last segment sent shorter than the MSS (Linux snd_sml), for Nagle. */
  protected smallSegmentEnd = 0;
  protected unackedReceivedBytes = 0;
  protected lastDataReceived = 0;
  protected quickAcks = 0;
  /** Whether we sent data since the peer's last data arrived (request and response traffic). */
  protected repliedSinceReceive = false;
  /** Largest data segment seen from the peer, for "full-sized" in the delayed ACK rule (Linux rcv_mss). */
  protected peerSegmentEstimate = DEFAULT_SEND_MSS;
  protected lastOutOfWindowAck = -Infinity;
  protected keepaliveEnabled = false;
  protected keepaliveIdleMs = KEEPALIVE_IDLE_DEFAULT_MS;
  protected keepaliveProbes = 0;
  noDelay = false;
  /** An ICMP error seen while the connection retried (RFC 5927); reported if it then times out. */
  softError: TcpErrorCode | undefined;

  // Input bookkeeping: output triggered by callbacks while a segment is
  // processed is deferred until the segment has been handled.
  protected processing = false;
  protected outputDeferred = false;
  protected ackNow = false;
  protected forceSend = false;
  protected closeNotified = false;

  protected readonly header: TcpHeader = createTcpHeader();
  readonly label: string;

  constructor(
    protected readonly host: ConnectionHost,
    readonly localAddress: Ipv4Address,
    readonly localPort: number,
    readonly remoteAddress: Ipv4Address,
    readonly remotePort: number,
    iss: number,
    passive: boolean,
    timestampOffset: number,
  ) {
    this.passive = passive;
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.smallSegmentEnd = this.iss;
    this.tsOffset = timestampOffset >>> 0;
    this.receiveMss = host.mss(remoteAddress);
    this.reassembly = new ReassemblyQueue(host.reassemblyBudget);
    this.congestion = new NewRenoCongestion(DEFAULT_SEND_MSS, this.iss, false);
    const clock = host.clock;
    this.retransmitTimer = new DeadlineTimer(clock, () => this.onRetransmitTimer());
    this.delayedAckTimer = new DeadlineTimer(clock, () => this.onDelayedAckTimer());
    this.keepaliveTimer = new DeadlineTimer(clock, () => this.onKeepaliveTimer());
    this.closeTimer = new DeadlineTimer(clock, () => this.onCloseTimer());
    this.label = `${formatIpv4(localAddress)}:${localPort} ${formatIpv4(remoteAddress)}:${remotePort}`;
  }

  get stateName(): string {
    return TCP_STATE_NAMES[this.state];
  }

  /** True in CLOSED; a getter so that checks after callbacks are not narrowed away by the compiler. */
  get closed(): boolean {
    return this.state === TcpState.CLOSED;
  }

  /** False once the send buffer reaches its limit; onWritable follows when it drains. */
  get writable(): boolean {
    return this.sendBuffer.length < this.host.config.sendBufferBytes;
  }

  /** Effective MSS for data we send: the negotiated MSS minus options in every segment (RFC 9293 3.7.1). */
  get effectiveSendMss(): number {
    return this.sendMss - (this.timestampsEnabled ? TIMESTAMPS_OPTION_SPACE : 0);
  }

  /**
   * Payload limit of the next data segment: the effective MSS minus the
   * SACK option that prepareHeader adds while out-of-order data is queued
   * (4 + 8 bytes per block, padded), so the segment still fits the MTU.
   */
  get dataSegmentMss(): number {
    if (!this.sackEnabled || this.reassembly.empty) return this.effectiveSendMss;
    this.sackScratch.length = 0;
    this.reassembly.sackBlocks(this.rcvNxt, this.timestampsEnabled ? 3 : 4, this.sackScratch);
    const blocks = this.sackScratch.length / 2;
    return blocks === 0 ? this.effectiveSendMss : this.effectiveSendMss - (SACK_OPTION_BASE_SPACE + SACK_BLOCK_BYTES * blocks);
  }

  /** Bytes sent and not yet acknowledged. */
  get flightSize(): number {
    return seqDiff(this.sndNxt, this.sndUna);
  }

  /** Current retransmission timeout in ms. */
  get retransmissionTimeout(): number {
    return this.rto.rto;
  }

  // ---------------------------------------------------------------------
  // State changes
  // ---------------------------------------------------------------------

  /** Returns whether a SYN may reopen this connection from TIME-WAIT (RFC 6191, RFC 1122 4.2.2.13). */
  acceptsNewSyn(segment: TcpHeader): boolean {
    if (this.state !== TcpState.TIME_WAIT) return false;
    if (this.timestampsEnabled && segment.hasTimestamp) return seqGt(segment.timestampValue, this.tsRecent);
    return seqGt(segment.sequenceNumber, this.rcvNxt);
  }

  /** The next sequence number this side would have used, for choosing a new ISN above it. */
  get sendHighWater(): number {
    return this.sndMax;
  }

  protected enterTimeWait(): void {
    this.setState(TcpState.TIME_WAIT);
    this.retransmitTimer.dispose();
    this.keepaliveTimer.dispose();
    this.delayedAckTimer.dispose();
    this.closeTimer.arm(TIME_WAIT_MS);
    this.notifyClose(undefined);
  }

  protected fail(code: TcpErrorCode, message: string): void {
    this.terminate(new TcpError(code, message));
  }

  /** Enters CLOSED: stops the timers, drops buffers, leaves the table and notifies the handler once. */
  terminate(error: TcpError | undefined): void {
    if (this.state === TcpState.CLOSED && this.closeNotified) return;
    this.setState(TcpState.CLOSED);
    this.retransmitTimer.dispose();
    this.delayedAckTimer.dispose();
    this.keepaliveTimer.dispose();
    this.closeTimer.dispose();
    this.reassembly.clear();
    this.scoreboard.clear();
    this.pendingReceive = [];
    this.pendingReceiveBytes = 0;
    this.host.release(this);
    this.notifyClose(error);
  }

  protected notifyClose(error: TcpError | undefined): void {
    if (this.closeNotified) return;
    this.closeNotified = true;
    const handler = this.handler;
    if (error !== undefined && this.host.logger.debugEnabled) this.host.logger.debug(`${this.label}: ${error.message}`);
    handler?.onClose(error);
  }

  protected setState(state: TcpState): void {
    if (this.host.logger.debugEnabled && state !== this.state) {
      this.host.logger.debug(`${this.label}: ${TCP_STATE_NAMES[this.state]} -> ${TCP_STATE_NAMES[state]}`);
    }
    // The per-state counts stay current, so that readers of the live
    // counters (the shell) need not walk the connection table.
    const byState = this.host.stats.connectionsByState;
    if (this.state !== TcpState.CLOSED) byState[TCP_STATE_NAMES[this.state]]--;
    if (state !== TcpState.CLOSED) byState[TCP_STATE_NAMES[state]] = (byState[TCP_STATE_NAMES[state]] ?? 0) + 1;
    this.state = state;
  }

  protected drop(reason: TcpDropReason, segment: TcpHeader, explanation: string): void {
    this.host.countDrop(reason);
    const logger = this.host.logger;
    if (logger.debugEnabled) {
      logger.debug(
        `${this.label} ${this.stateName}: dropped ${formatTcpFlags(segment.flags)} seq=${segment.sequenceNumber} ack=${segment.acknowledgmentNumber}: ${explanation}`,
      );
    }
  }

  protected abstract onRetransmitTimer(): void;
  protected abstract onDelayedAckTimer(): void;
  protected abstract onKeepaliveTimer(): void;
  protected abstract onCloseTimer(): void;
}

/** Smallest window scale shift that lets a 16-bit field cover `bufferBytes` (RFC 7323 2.3). */
export function windowScaleFor(bufferBytes: number): number {
  let shift = 0;
  while (shift < WINDOW_SCALE_MAX && bufferBytes > WINDOW_FIELD_MAX * 2 ** shift) shift++;
  return shift;
}
