// One TCP connection: the state machine of RFC 9293 with the companions a
// host implements today. Those are RFC 5961 (challenge ACKs), RFC 6298
// (retransmission timer), RFC 5681 and RFC 6582 (congestion control), RFC
// 7323 (window scale, timestamps, PAWS), RFC 2018 and RFC 6675 (SACK), RFC
// 3042 (limited transmit) and RFC 1122 (delayed ACKs, keep-alive). Input
// runs through one flat decision in `input`, in the order of RFC 9293
// 3.10.7.4, and each branch names the rule it applies. The variables live
// in control-block.ts and the output side in sender.ts.
import type { Ipv4Address } from '../ipv4-address';
import { TcpFlags, type TcpHeader } from '../wire/tcp';
import { NewRenoCongestion, RecoveryAction } from './congestion';
import {
  DEFAULT_SEND_MSS,
  MIN_PATH_MTU_BYTES,
  MIN_SEND_MSS,
  FIN_WAIT_2_TIMEOUT_MS,
  PAWS_IDLE_LIMIT_MS,
  QUICK_ACK_IDLE_MS,
  QUICK_ACK_SEGMENTS,
  DELAYED_ACK_TIMEOUT_MS,
  TIME_WAIT_MS,
  TIMESTAMPS_OPTION_SPACE,
  TimerMode,
  WINDOW_FIELD_MAX,
  WINDOW_SCALE_MAX,
  windowScaleFor,
  type ConnectionHost,
  type TcpConnectionHandler,
} from './control-block';
import { TcpError, type TcpErrorCode } from './errors';
import { REASSEMBLY_MAX_BLOCKS } from './reassembly';
import { RTO_AFTER_SYN_LOSS_MS, RTO_MAX_MS } from './retransmit';
import { TcpSender } from './sender';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from './sequence';
import { TCP_STATE_NAMES, TcpState } from './state';

export * from './control-block';

/** One TCP connection, as the layer and the sockets use it. */
export class TcpConnection extends TcpSender {
  constructor(
    host: ConnectionHost,
    localAddress: Ipv4Address,
    localPort: number,
    remoteAddress: Ipv4Address,
    remotePort: number,
    iss: number,
    passive: boolean,
    timestampOffset: number,
  ) {
    super(host, localAddress, localPort, remoteAddress, remotePort, iss, passive, timestampOffset);
  }

  // ---------------------------------------------------------------------
  // Opening
  // ---------------------------------------------------------------------

  /** Starts an active open (RFC 9293 3.10.1): sends SYN and enters SYN-SENT. */
  openActive(): void {
    const config = this.host.config;
    this.offeredWindowScale = config.windowScaling;
    this.offeredTimestamps = config.timestamps;
    this.offeredSack = config.sack;
    this.rcvWndScale = config.windowScaling ? windowScaleFor(config.receiveBufferBytes) : 0;
    this.setState(TcpState.SYN_SENT);
    this.sendSyn();
    this.armRetransmit(this.rto.rto);
  }

  /**
   * Takes a SYN that arrived at a listener (RFC 9293 3.10.7.2): records the
   * peer's ISN and options, sends SYN-ACK and enters SYN-RECEIVED.
   */
  openPassive(syn: TcpHeader): void {
    this.acceptPeerSyn(syn);
    this.setState(TcpState.SYN_RECEIVED);
    this.sendSyn();
    this.armRetransmit(this.rto.rto);
  }

  /**
   * Creates the connection that a valid SYN cookie stands for, directly in
   * ESTABLISHED. The cookie keeps only the MSS, so window scaling,
   * timestamps and SACK stay off, as the cookie SYN-ACK did not offer them.
   */
  openFromCookie(ack: TcpHeader, mss: number): void {
    this.irs = seqAdd(ack.sequenceNumber, -1);
    this.rcvNxt = ack.sequenceNumber;
    this.rcvAdvertisedEdge = seqAdd(this.rcvNxt, Math.min(this.host.config.receiveBufferBytes, WINDOW_FIELD_MAX));
    this.setSendMss(mss);
    this.sndUna = ack.acknowledgmentNumber;
    this.sndNxt = this.sndUna;
    this.sndMax = this.sndUna;
    this.synAcknowledged = true;
    this.sndWnd = ack.window;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = ack.sequenceNumber;
    this.sndWl2 = ack.acknowledgmentNumber;
    this.lastAckSent = this.rcvNxt;
    this.congestion = new NewRenoCongestion(this.effectiveSendMss, this.iss, false);
    this.lastSendTime = this.host.clock.now();
    this.lastDataReceived = this.lastSendTime;
    this.setState(TcpState.ESTABLISHED);
    this.armKeepalive();
  }

  private acceptPeerSyn(syn: TcpHeader): void {
    const config = this.host.config;
    this.irs = syn.sequenceNumber;
    this.rcvNxt = seqAdd(syn.sequenceNumber, 1);
    this.setSendMss(syn.mss !== 0 ? syn.mss : DEFAULT_SEND_MSS);

    // RFC 7323 1.3 and 2.2: each option is on only when both SYNs carry it.
    if (config.windowScaling && syn.windowScale >= 0) {
      this.offeredWindowScale = true;
      this.windowScalingEnabled = true;
      this.sndWndScale = Math.min(syn.windowScale, WINDOW_SCALE_MAX);
      this.rcvWndScale = windowScaleFor(config.receiveBufferBytes);
    }
    if (config.timestamps && syn.hasTimestamp) {
      this.offeredTimestamps = true;
      this.timestampsEnabled = true;
      this.tsRecent = syn.timestampValue;
      this.tsRecentTime = this.host.clock.now();
    }
    if (config.sack && syn.sackPermitted) {
      this.offeredSack = true;
      this.sackEnabled = true;
    }

    // RFC 7323 2.2: the window of a SYN is never scaled.
    this.sndWnd = syn.window;
    this.maxSndWnd = syn.window;
    this.sndWl1 = syn.sequenceNumber;
    this.sndWl2 = syn.acknowledgmentNumber;
  }

  private setSendMss(peerMss: number): void {
    // A peer that announces a tiny MSS would make us cut every write into
    // a flood of tiny segments (and, below the option space, into none).
    this.sendMss = Math.max(MIN_SEND_MSS, Math.min(peerMss, this.host.mss(this.remoteAddress)));
    this.congestion.smss = this.effectiveSendMss;
  }

  // ---------------------------------------------------------------------
  // User calls
  // ---------------------------------------------------------------------

  /** Attaches the user and hands over data and FIN that arrived before. */
  attach(handler: TcpConnectionHandler): void {
    this.handler = handler;
    const pending = this.pendingReceive;
    this.pendingReceive = [];
    this.pendingReceiveBytes = 0;
    for (const data of pending) {
      if (this.handler !== handler) return;
      handler.onData(data);
    }
    if (this.pendingEnd && this.handler === handler) {
      this.pendingEnd = false;
      handler.onEnd();
    }
  }

  /**
   * Queues `chunk` for sending without copying it (RFC 9293 3.10.2 SEND).
   * The chunk must stay unchanged until acknowledged. With `push` false the
   * chunk only joins the queue, so that a batch of writes can leave in full
   * segments on the last one. Throws when the sending side is closed.
   */
  write(chunk: Uint8Array, push = true): void {
    if (this.state === TcpState.CLOSED) {
      throw new TcpError('EINVAL', `cannot write to connection ${this.label}: it is closed`);
    }
    if (this.finQueued || this.state === TcpState.TIME_WAIT) {
      throw new TcpError('EINVAL', `cannot write to connection ${this.label} in ${this.stateName}: its sending side was closed by end()`);
    }
    this.sendBuffer.push(chunk);
    if (push) this.output();
  }

  /**
   * Closes the sending side (RFC 9293 3.10.4 CLOSE as a half-close): FIN
   * follows the queued data. Receiving continues.
   */
  end(): void {
    if (this.finQueued) return;
    switch (this.state) {
      case TcpState.SYN_SENT:
      case TcpState.SYN_RECEIVED:
        // Queued until the handshake completes.
        this.finQueued = true;
        return;
      case TcpState.ESTABLISHED:
        this.finQueued = true;
        this.setState(TcpState.FIN_WAIT_1);
        break;
      case TcpState.CLOSE_WAIT:
        this.finQueued = true;
        this.setState(TcpState.LAST_ACK);
        break;
      default:
        return;
    }
    this.output();
  }

  /**
   * Closes both directions the way close() on a socket does: the handler is
   * detached, FIN follows the queued data, and data that still arrives
   * draws a reset (RFC 1122 4.2.2.13). In SYN-SENT the connection
   * simply goes away (RFC 9293 3.10.4).
   */
  close(): void {
    this.handler = undefined;
    this.closeNotified = true;
    this.receiveShutdown = true;
    if (this.state === TcpState.SYN_SENT || this.state === TcpState.CLOSED) {
      this.terminate(undefined);
      return;
    }
    if (this.pendingReceiveBytes > 0 || !this.reassembly.empty) {
      // RFC 1122 4.2.2.13: closing with unread data sends a reset.
      this.abort();
      return;
    }
    this.end();
    if (this.state === TcpState.FIN_WAIT_2) this.closeTimer.arm(FIN_WAIT_2_TIMEOUT_MS);
  }

  /** Aborts the connection (RFC 9293 3.10.5 ABORT): sends RST where the state calls for it. */
  abort(): void {
    switch (this.state) {
      case TcpState.SYN_RECEIVED:
      case TcpState.ESTABLISHED:
      case TcpState.FIN_WAIT_1:
      case TcpState.FIN_WAIT_2:
      case TcpState.CLOSE_WAIT:
        this.sendReset(this.sndMax);
        break;
      default:
        break;
    }
    this.handler = undefined;
    this.closeNotified = true;
    this.terminate(undefined);
  }

  /** Turns Nagle's algorithm off (true) or on (RFC 1122 4.2.3.4). */
  setNoDelay(noDelay: boolean): void {
    this.noDelay = noDelay;
    if (noDelay) this.output();
  }

  /** Turns keep-alive probes on or off (RFC 1122 4.2.3.6); 0 keeps the previous idle time. */
  setKeepAlive(enable: boolean, idleMs = 0): void {
    if (idleMs > 0) this.keepaliveIdleMs = idleMs;
    this.keepaliveEnabled = enable;
    if (enable) this.armKeepalive();
    else this.keepaliveTimer.cancel();
  }

  /**
   * Records that the application consumed received data. A window update
   * goes out when the window has grown enough to matter: to at least double
   * the window the peer last received, and by at least min(buffer / 2, MSS)
   * (RFC 9293 3.8.6.2.2).
   */
  onDataConsumed(): void {
    if (this.state !== TcpState.ESTABLISHED && this.state !== TcpState.FIN_WAIT_1 && this.state !== TcpState.FIN_WAIT_2) {
      return;
    }
    const capacity = this.host.config.receiveBufferBytes;
    const current = Math.max(0, seqDiff(this.rcvAdvertisedEdge, this.rcvNxt));
    const available = this.availableReceiveSpace();
    const threshold = Math.min(capacity / 2, this.receiveMss);
    if (current * 2 <= capacity && available >= 2 * current && available - current >= threshold) {
      this.ackNow = true;
      this.output();
    }
  }

  // ---------------------------------------------------------------------
  // Segment arrives (RFC 9293 3.10.7)
  // ---------------------------------------------------------------------

  /** Processes one segment addressed to this connection; `payload` is the data after the header. */
  input(segment: TcpHeader, payload: Uint8Array): void {
    this.processing = true;
    try {
      if (this.state === TcpState.SYN_SENT) this.processSynSent(segment, payload);
      else this.processSynchronizing(segment, payload);
    } finally {
      this.processing = false;
    }
    if (this.state === TcpState.CLOSED) return;
    if (this.outputDeferred || this.ackNow) {
      this.outputDeferred = false;
      this.output();
    }
  }

  /** RFC 9293 3.10.7.3, SYN-SENT. */
  private processSynSent(segment: TcpHeader, payload: Uint8Array): void {
    const flags = segment.flags;
    const hasAck = (flags & TcpFlags.ACK) !== 0;
    const hasRst = (flags & TcpFlags.RST) !== 0;
    const hasSyn = (flags & TcpFlags.SYN) !== 0;
    const ack = segment.acknowledgmentNumber;

    // First, check the ACK: it must acknowledge our SYN and nothing beyond.
    if (hasAck && (seqLe(ack, this.iss) || seqGt(ack, this.sndMax))) {
      if (hasRst) {
        this.drop('state', segment, 'RST with an unacceptable ACK in SYN-SENT');
        return;
      }
      this.drop('ack', segment, 'unacceptable ACK in SYN-SENT, sending RST');
      this.sendReset(ack);
      return;
    }

    // Second, check RST: refused when it acknowledges our SYN (RFC 5961 3.2).
    if (hasRst) {
      if (!hasAck) {
        this.drop('state', segment, 'RST without ACK in SYN-SENT');
        return;
      }
      this.host.stats.resetsReceived++;
      this.fail('ECONNREFUSED', 'connection refused by the peer');
      return;
    }

    // Third, the security check of RFC 9293 does not apply to this stack.
    // Fourth, check SYN.
    if (!hasSyn) {
      this.drop('state', segment, 'segment without SYN or RST in SYN-SENT');
      return;
    }

    this.irs = segment.sequenceNumber;
    this.rcvNxt = seqAdd(segment.sequenceNumber, 1);
    // RFC 7323 1.3 and 2.2: options count only when both SYNs carry them.
    if (this.offeredWindowScale && segment.windowScale >= 0) {
      this.windowScalingEnabled = true;
      this.sndWndScale = Math.min(segment.windowScale, WINDOW_SCALE_MAX);
    } else {
      this.rcvWndScale = 0;
      this.sndWndScale = 0;
    }
    if (this.offeredTimestamps && segment.hasTimestamp) {
      this.timestampsEnabled = true;
      this.tsRecent = segment.timestampValue;
      this.tsRecentTime = this.host.clock.now();
    }
    this.sackEnabled = this.offeredSack && segment.sackPermitted;
    // A SYN-ACK of a simultaneous open repeats only what both SYNs carried (RFC 7323 1.3).
    this.offeredWindowScale = this.windowScalingEnabled;
    this.offeredTimestamps = this.timestampsEnabled;
    this.offeredSack = this.sackEnabled;
    this.setSendMss(segment.mss !== 0 ? segment.mss : DEFAULT_SEND_MSS);
    this.sndWnd = segment.window;
    this.maxSndWnd = segment.window;
    this.sndWl1 = segment.sequenceNumber;
    this.sndWl2 = ack;
    this.rcvAdvertisedEdge = seqAdd(this.rcvNxt, Math.min(this.host.config.receiveBufferBytes, WINDOW_FIELD_MAX));

    if (!hasAck) {
      // Simultaneous open: reply with SYN-ACK and wait for its ACK.
      this.setState(TcpState.SYN_RECEIVED);
      this.sendSyn();
      this.armRetransmit(this.rto.rto);
      return;
    }

    // Our SYN is acknowledged: ESTABLISHED, and ACK the peer's SYN.
    this.synAcknowledged = true;
    this.sndUna = ack;
    this.sndNxt = ack;
    this.sampleHandshakeRtt(segment);
    this.completeHandshake();
    this.ackNow = true;
    if (this.state === TcpState.CLOSED) return;

    // RFC 9293 3.10.7.3: text or FIN in the SYN-ACK continues at the sixth step.
    const dataStart = seqAdd(segment.sequenceNumber, 1);
    if ((flags & TcpFlags.FIN) !== 0) this.pendingFinSeq = seqAdd(dataStart, payload.length);
    this.processText(segment, payload, dataStart);
  }

  /** RFC 9293 3.10.7.4, every state from SYN-RECEIVED on. */
  private processSynchronizing(segment: TcpHeader, payload: Uint8Array): void {
    const flags = segment.flags;
    const hasRst = (flags & TcpFlags.RST) !== 0;
    const hasSyn = (flags & TcpFlags.SYN) !== 0;
    const hasFin = (flags & TcpFlags.FIN) !== 0;
    const seq = segment.sequenceNumber;
    const now = this.host.clock.now();

    // A retransmitted SYN in SYN-RECEIVED means our SYN-ACK was lost: send it again.
    if (this.state === TcpState.SYN_RECEIVED && hasSyn && !hasRst && (flags & TcpFlags.ACK) === 0 && seq === this.irs) {
      this.sendSyn();
      return;
    }

    // Simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK repeats its
    // SYN, which lies just below RCV.NXT. Trim the SYN, as the RFC's
    // "idealized segment" does, and take the segment as the ACK of our SYN.
    if (
      this.state === TcpState.SYN_RECEIVED &&
      !this.passive &&
      hasSyn &&
      !hasRst &&
      (flags & TcpFlags.ACK) !== 0 &&
      payload.length === 0 &&
      seqAdd(seq, 1) === this.rcvNxt &&
      segment.acknowledgmentNumber === this.sndMax
    ) {
      segment.flags &= ~TcpFlags.SYN;
      segment.sequenceNumber = this.rcvNxt;
      this.processSynchronizing(segment, payload);
      return;
    }

    // RFC 7323 5.3 R1, PAWS: a non-RST segment with a timestamp older than
    // TS.Recent is a duplicate from an earlier wrap of the sequence space.
    if (this.timestampsEnabled && segment.hasTimestamp && !hasRst) {
      if (now - this.tsRecentTime > PAWS_IDLE_LIMIT_MS) {
        // RFC 7323 5.5: after 24 days idle TS.Recent is stale; adopt the new value.
        this.tsRecent = segment.timestampValue;
        this.tsRecentTime = now;
      } else if (seqLt(segment.timestampValue, this.tsRecent)) {
        this.drop('paws', segment, 'timestamp older than TS.Recent (PAWS)');
        this.sendOutOfWindowAck(payload.length === 0 || hasSyn);
        return;
      }
    }

    // First, check the sequence number (RFC 9293 3.10.7.4 acceptability test).
    const receiveWindow = Math.max(0, seqDiff(this.rcvAdvertisedEdge, this.rcvNxt));
    const segmentLength = payload.length + (hasSyn ? 1 : 0) + (hasFin ? 1 : 0);

    // Second, check RST (RFC 5961 3.2): out of window is dropped, exactly at
    // RCV.NXT resets, anywhere else in the window draws a challenge ACK.
    if (hasRst) {
      const inWindow = receiveWindow === 0 ? seq === this.rcvNxt : seqInRange(seq, this.rcvNxt, seqAdd(this.rcvNxt, receiveWindow));
      if (!inWindow) {
        this.drop('reset', segment, 'RST outside the receive window');
        return;
      }
      if (seq !== this.rcvNxt) {
        this.drop('reset', segment, 'RST in the window but not at RCV.NXT, sending a challenge ACK');
        this.sendChallengeAck();
        return;
      }
      this.host.stats.resetsReceived++;
      this.processReset();
      return;
    }

    let acceptable: boolean;
    if (segmentLength === 0) {
      acceptable = receiveWindow === 0 ? seq === this.rcvNxt : seqInRange(seq, this.rcvNxt, seqAdd(this.rcvNxt, receiveWindow));
    } else if (receiveWindow === 0) {
      acceptable = false;
    } else {
      const windowEnd = seqAdd(this.rcvNxt, receiveWindow);
      acceptable =
        seqInRange(seq, this.rcvNxt, windowEnd) || seqInRange(seqAdd(seq, segmentLength - 1), this.rcvNxt, windowEnd);
    }

    // Data starts after the SYN, if any; the FIN follows the data.
    let dataStart = hasSyn ? seqAdd(seq, 1) : seq;
    let data = payload;
    let fin = hasFin;
    const finSeq = seqAdd(dataStart, payload.length);
    if (!acceptable) {
      // RFC 9293 3.10.7.4: with a zero window, a segment at RCV.NXT still
      // delivers its ACK; its data and FIN are dropped.
      if (receiveWindow === 0 && seq === this.rcvNxt && !hasSyn) {
        this.drop('sequence', segment, 'data into a zero window, taking only its ACK');
        data = payload.subarray(0, 0);
        fin = false;
        this.ackNow = true;
      } else {
        this.drop('sequence', segment, 'segment outside the receive window');
        if (this.state === TcpState.TIME_WAIT && hasFin) this.closeTimer.arm(TIME_WAIT_MS);
        this.sendOutOfWindowAck(payload.length === 0 || hasSyn);
        return;
      }
    } else {
      // Trim data received before, and data beyond the right window edge
      // together with a FIN that lies beyond it.
      const before = seqDiff(this.rcvNxt, dataStart);
      if (before > 0) {
        data = data.subarray(Math.min(before, data.length));
        dataStart = this.rcvNxt;
      }
      const room = seqDiff(seqAdd(this.rcvNxt, receiveWindow), dataStart);
      if (data.length > room) {
        data = data.subarray(0, Math.max(0, room));
        fin = false;
      }
    }

    // RFC 7323 4.3 (2) and 5.3 R3: remember the timestamp of a segment that
    // does not start beyond the last ACK we sent.
    if (this.timestampsEnabled && segment.hasTimestamp && seqLe(seq, this.lastAckSent) && seqGe(segment.timestampValue, this.tsRecent)) {
      this.tsRecent = segment.timestampValue;
      this.tsRecentTime = now;
    }

    // Fourth, check SYN.
    if (hasSyn) {
      if (this.state === TcpState.SYN_RECEIVED && this.passive) {
        // RFC 9293 3.10.7.4: a passive open returns to LISTEN; the listener
        // keeps no copy, so the half-open connection simply goes away.
        this.drop('syn', segment, 'new SYN in SYN-RECEIVED, discarding the half-open connection');
        this.terminate(undefined);
        return;
      }
      // RFC 5961 4.2: any SYN in a synchronized state draws a challenge ACK.
      this.drop('syn', segment, 'SYN on a synchronized connection, sending a challenge ACK');
      this.sendChallengeAck();
      return;
    }

    // Fifth, check ACK.
    if ((flags & TcpFlags.ACK) === 0) {
      this.drop('no-ack', segment, 'segment without ACK');
      return;
    }
    this.keepaliveProbes = 0;
    // A connection the application still holds probes a zero window for as
    // long as the peer answers (RFC 9293 3.8.6.1). One it has closed gives up
    // after PERSIST_PROBES_MAX probes even when they are answered, as Linux
    // does for orphans: otherwise a peer that keeps its window shut holds the
    // connection and its send buffer forever.
    if (!this.receiveShutdown) this.persistProbes = 0;
    if (!this.processAck(segment, data.length)) return;

    // Sixth (URG) is not supported: the urgent pointer is ignored and urgent
    // data is delivered in line, as RFC 6093 recommends for new code.

    // Seventh and eighth: segment text and FIN.
    if (fin) this.pendingFinSeq = finSeq;
    this.processText(segment, data, dataStart);
    this.armKeepalive();
  }

  /** Applies a RST that is exactly at RCV.NXT (RFC 9293 3.10.7.4, second check). */
  private processReset(): void {
    switch (this.state) {
      case TcpState.SYN_RECEIVED:
        if (this.passive) {
          // Passive open: back to LISTEN, which for us means forgetting it.
          this.terminate(undefined);
        } else {
          this.fail('ECONNREFUSED', 'connection refused by the peer');
        }
        return;
      case TcpState.ESTABLISHED:
      case TcpState.FIN_WAIT_1:
      case TcpState.FIN_WAIT_2:
      case TcpState.CLOSE_WAIT:
        this.fail('ECONNRESET', 'connection reset by the peer');
        return;
      default:
        // CLOSING, LAST-ACK, TIME-WAIT: the connection simply ends.
        this.terminate(undefined);
        return;
    }
  }

  /**
   * Processes the ACK field (RFC 9293 3.10.7.4, fifth step). Returns false
   * when processing of the segment must stop.
   */
  private processAck(segment: TcpHeader, dataLength: number): boolean {
    const ack = segment.acknowledgmentNumber;

    if (this.state === TcpState.SYN_RECEIVED) {
      // SYN-RECEIVED: an ACK of our SYN completes the handshake; any other gets RST.
      if (!(seqLt(this.sndUna, ack) && seqLe(ack, this.sndMax))) {
        this.drop('ack', segment, 'ACK does not acknowledge our SYN-ACK, sending RST');
        this.sendReset(ack);
        return false;
      }
      if (this.passive && !this.host.canAccept(this)) {
        // Like Linux, ignore the ACK while the accept queue is full; the
        // peer retransmits and the handshake completes once there is room.
        this.drop('accept-queue-full', segment, 'accept queue full, ignoring the handshake ACK');
        return false;
      }
      this.sampleHandshakeRtt(segment);
      this.synAcknowledged = true;
      this.sndUna = seqAdd(this.sndUna, 1);
      if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
      this.sndWnd = segment.window << this.sndWndScale;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = segment.sequenceNumber;
      this.sndWl2 = ack;
      this.completeHandshake();
      if (this.passive) this.host.accept(this);
      if (this.closed) return false;
    }

    // RFC 5961 5.2: an ACK must lie in [SND.UNA - MAX.SND.WND, SND.NXT].
    // Anything else draws an ACK and is dropped.
    if (seqGt(ack, this.sndMax)) {
      this.drop('ack', segment, 'ACK for data not yet sent');
      this.sendOutOfWindowAck(dataLength === 0);
      return false;
    }
    if (seqLt(ack, seqAdd(this.sndUna, -this.maxSndWnd))) {
      this.drop('ack', segment, 'ACK older than the largest window, sending a challenge ACK');
      this.sendChallengeAck();
      return false;
    }

    const window = segment.window << this.sndWndScale;
    const acked = seqDiff(ack, this.sndUna);
    if (acked > 0) {
      this.onNewAck(segment, ack, acked);
      if (this.state === TcpState.CLOSED) return false;
    } else if (acked === 0 && this.sackEnabled && segment.sackBlocks.length > 0) {
      // RFC 6675 section 2: with SACK, an ACK that SACKs bytes not SACKed
      // before is a duplicate ACK even when it carries data or changes the
      // window. Receivers that grow their window as the application reads
      // (Linux) change it on nearly every ACK, so the test of RFC 5681
      // alone would miss the losses.
      if (this.scoreboard.update(segment.sackBlocks, this.sndUna, this.sndMax) > 0) this.sackOnDuplicateAck(segment);
    } else if (
      acked === 0 &&
      dataLength === 0 &&
      (segment.flags & (TcpFlags.SYN | TcpFlags.FIN)) === 0 &&
      window === this.sndWnd &&
      seqLt(this.sndUna, this.sndNxt)
    ) {
      // RFC 5681 section 2: a duplicate ACK carries no data, no SYN or FIN,
      // the same window, and arrives while data is outstanding.
      this.onDuplicateAck(segment);
    }

    // Window update (RFC 9293 3.10.7.4): only from a segment newer than the
    // one that last set the window.
    if (
      seqLe(this.sndUna, ack) &&
      (seqLt(this.sndWl1, segment.sequenceNumber) || (this.sndWl1 === segment.sequenceNumber && seqLe(this.sndWl2, ack)))
    ) {
      const opened = this.sndWnd === 0 && window > 0;
      this.sndWnd = window;
      this.sndWl1 = segment.sequenceNumber;
      this.sndWl2 = ack;
      if (window > this.maxSndWnd) this.maxSndWnd = window;
      if (window > 0) {
        this.persistBackoff = 0;
        if (opened && this.timerMode === TimerMode.PERSIST) this.retransmitTimer.cancel();
        this.outputDeferred = true;
      }
    }

    const finAcked = this.finSent && seqGt(this.sndUna, this.finSeq);
    switch (this.state) {
      case TcpState.FIN_WAIT_1:
        // Our FIN is acknowledged: FIN-WAIT-2.
        if (finAcked) {
          this.setState(TcpState.FIN_WAIT_2);
          if (this.receiveShutdown) this.closeTimer.arm(FIN_WAIT_2_TIMEOUT_MS);
        }
        break;
      case TcpState.CLOSING:
        // Our FIN is acknowledged: TIME-WAIT; otherwise ignore the segment.
        if (finAcked) this.enterTimeWait();
        return false;
      case TcpState.LAST_ACK:
        // Our FIN is acknowledged: the connection is closed.
        if (finAcked) this.terminate(undefined);
        return false;
      case TcpState.TIME_WAIT:
        // Only a retransmitted FIN can arrive; the FIN step acknowledges it.
        break;
      default:
        break;
    }
    return true;
  }

  /** Handles an ACK that advances SND.UNA by `acked` sequence numbers. */
  private onNewAck(segment: TcpHeader, ack: number, acked: number): void {
    const now = this.host.clock.now();
    let dataAcked = acked;
    if (!this.synAcknowledged) {
      this.synAcknowledged = true;
      dataAcked--;
    }
    if (this.finSent && seqGt(ack, this.finSeq)) dataAcked--;
    dataAcked = Math.min(Math.max(0, dataAcked), this.sendBuffer.length);

    // RTT measurement: from the echoed timestamp (RFC 7323 4.1), or from the
    // one timed segment when it was not retransmitted (Karn's rule).
    if (this.timestampsEnabled && segment.hasTimestamp && segment.timestampEchoReply !== 0) {
      const rtt = this.timestampNow() - segment.timestampEchoReply;
      if (rtt >= 0 && rtt < RTO_MAX_MS * 2) {
        const samples = Math.max(1, Math.floor(this.congestion.cwnd / (2 * this.effectiveSendMss)));
        this.rto.sample(rtt, samples);
      }
    } else if (this.rttTiming && seqGt(ack, this.rttSeq)) {
      this.rto.sample(now - this.rttStart);
    }
    if (this.rttTiming && seqGt(ack, this.rttSeq)) this.rttTiming = false;

    this.sendBuffer.acknowledge(dataAcked);
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.retransmissions = 0;
    this.scoreboard.acknowledge(ack);

    // Congestion control, with SACK-based recovery when the peer sends SACK (RFC 6675).
    const action = this.sackEnabled
      ? this.sackOnNewAck(segment, ack, dataAcked)
      : this.congestion.onNewAck(ack, dataAcked, this.flightSize);
    if (action === RecoveryAction.RETRANSMIT_FIRST) {
      // RFC 6582 3.2 step 4: retransmit the next hole; restart the timer
      // only on the first partial ACK ("impatient" variant).
      this.retransmitFirst();
      if (this.congestion.firstPartialAck) {
        this.congestion.firstPartialAck = false;
        this.armRetransmit(this.rto.rto);
      }
    } else if (seqLt(this.sndUna, this.sndNxt)) {
      // RFC 6298 5.3: restart the timer when new data is acknowledged.
      this.armRetransmit(this.rto.rto);
    } else {
      // RFC 6298 5.2: all outstanding data acknowledged, stop the timer.
      this.retransmitTimer.cancel();
    }

    this.outputDeferred = true;
    this.lastSendTime = now;
    if (dataAcked > 0 && this.writable) this.handler?.onWritable();
  }

  private onDuplicateAck(segment: TcpHeader): void {
    if (this.sackEnabled) {
      this.scoreboard.update(segment.sackBlocks, this.sndUna, this.sndMax);
      this.sackOnDuplicateAck(segment);
      return;
    }
    const action = this.congestion.onDuplicateAck(segment.acknowledgmentNumber, this.sndMax, this.flightSize);
    if (action === RecoveryAction.RETRANSMIT_FIRST) {
      // RFC 5681 3.2 step 2: fast retransmit of the segment the duplicates point at.
      this.retransmitFirst();
      this.armRetransmit(this.rto.rto);
    }
    // RFC 3042 and RFC 5681 3.2 step 4: new data may follow.
    this.outputDeferred = true;
  }

  /**
   * Processes segment text and FIN (seventh and eighth steps): delivers
   * in-order data, queues out-of-order data, and processes a FIN once
   * everything before it has arrived.
   */
  private processText(segment: TcpHeader, data: Uint8Array, dataStart: number): void {
    if (data.length > 0) {
      switch (this.state) {
        case TcpState.ESTABLISHED:
        case TcpState.FIN_WAIT_1:
        case TcpState.FIN_WAIT_2:
          break;
        default:
          // RFC 9293 3.10.7.4: after the peer's FIN no text can arrive; ignore it.
          this.drop('state', segment, 'data after the peer closed its side');
          this.ackNow = true;
          return;
      }
      if (this.receiveShutdown) {
        // RFC 1122 4.2.2.13: new data after our close draws a reset.
        this.drop('state', segment, 'data after the application closed the connection, sending RST');
        this.sendReset(this.sndMax);
        this.terminate(undefined);
        return;
      }
      this.receiveData(segment, data, dataStart);
      if (this.closed) return;
    }

    if (this.pendingFinSeq >= 0 && this.pendingFinSeq === this.rcvNxt && this.reassembly.empty) {
      this.processFin();
    } else if (this.pendingFinSeq >= 0 && seqLt(this.pendingFinSeq, this.rcvNxt)) {
      // A FIN below RCV.NXT is a retransmission of one already processed.
      this.pendingFinSeq = -1;
      this.ackNow = true;
      if (this.state === TcpState.TIME_WAIT) this.closeTimer.arm(TIME_WAIT_MS);
    }
  }

  private receiveData(segment: TcpHeader, data: Uint8Array, dataStart: number): void {
    if (dataStart !== this.rcvNxt) {
      // Out of order: hold it and send an immediate duplicate ACK (RFC 5681 4.2).
      const stored = this.reassembly.insert(dataStart, data, this.rcvNxt);
      if (this.reassembly.budgetExceeded) {
        this.drop('reassembly', segment, 'out-of-order memory of all connections full, data discarded');
      } else if (!stored && this.reassembly.blockCount >= REASSEMBLY_MAX_BLOCKS) {
        this.drop('reassembly', segment, 'reassembly queue full, out-of-order data discarded');
      }
      this.ackNow = true;
      return;
    }

    const hadGap = !this.reassembly.empty;
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.deliver(Buffer.from(data));
    let bytes = data.length;
    for (let block = this.reassembly.shift(this.rcvNxt); block !== undefined; block = this.reassembly.shift(this.rcvNxt)) {
      this.rcvNxt = seqAdd(this.rcvNxt, block.length);
      bytes += block.length;
      this.deliver(block as Buffer);
    }

    if (hadGap) {
      // RFC 5681 4.2: a segment that fills a gap is acknowledged at once.
      this.ackNow = true;
      return;
    }
    // Quick ACKs after the peer was silent for a while (see QUICK_ACK_SEGMENTS).
    const now = this.host.clock.now();
    if (now - this.lastDataReceived >= QUICK_ACK_IDLE_MS && !this.repliedSinceReceive) this.quickAcks = QUICK_ACK_SEGMENTS;
    this.lastDataReceived = now;
    this.repliedSinceReceive = false;
    const fullSize = this.receiveMss - (this.timestampsEnabled ? TIMESTAMPS_OPTION_SPACE : 0);
    if (data.length > this.peerSegmentEstimate) this.peerSegmentEstimate = Math.min(data.length, fullSize);
    if (this.quickAcks > 0) {
      this.quickAcks--;
      this.ackNow = true;
      return;
    }

    // RFC 1122 4.2.3.2 and RFC 5681 4.2: acknowledge at least every second
    // full-sized segment, and never later than DELAYED_ACK_TIMEOUT_MS.
    this.unackedReceivedBytes += bytes;
    if (this.unackedReceivedBytes >= 2 * this.peerSegmentEstimate) {
      this.ackNow = true;
    } else if (!this.delayedAckTimer.armed) {
      this.delayedAckTimer.arm(DELAYED_ACK_TIMEOUT_MS);
    }
  }

  /** Processes the peer's FIN once it is in order (RFC 9293 3.10.7.4, eighth step). */
  private processFin(): void {
    this.pendingFinSeq = -1;
    if (this.finReceived) {
      this.ackNow = true;
      return;
    }
    this.finReceived = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackNow = true;

    let timeWait = false;
    switch (this.state) {
      case TcpState.SYN_RECEIVED:
      case TcpState.ESTABLISHED:
        this.setState(TcpState.CLOSE_WAIT);
        break;
      case TcpState.FIN_WAIT_1:
        // Simultaneous close: TIME-WAIT if our FIN is already acknowledged, else CLOSING.
        if (this.finSent && seqGt(this.sndUna, this.finSeq)) timeWait = true;
        else this.setState(TcpState.CLOSING);
        break;
      case TcpState.FIN_WAIT_2:
        timeWait = true;
        break;
      default:
        break;
    }

    // The user hears of the end of the data before the connection closes.
    if (this.handler !== undefined) this.handler.onEnd();
    else this.pendingEnd = true;
    if (timeWait && !this.closed) this.enterTimeWait();
  }

  private deliver(data: Buffer): void {
    if (this.handler !== undefined) {
      this.handler.onData(data);
      return;
    }
    this.pendingReceive.push(data);
    this.pendingReceiveBytes += data.length;
  }

  /**
   * Enters TIME-WAIT, unless the configured maximum of connections wait
   * there already. Without the limit, a peer that opens and closes
   * connections faster than TIME-WAIT ends would grow the table without
   * bound. Beyond it the final ACK goes out and the connection closes at
   * once, as Linux does beyond tcp_max_tw_buckets.
   */
  protected override enterTimeWait(): void {
    if (this.host.stats.connectionsByState[TCP_STATE_NAMES[TcpState.TIME_WAIT]] < this.host.config.timeWaitMaxConnections) {
      super.enterTimeWait();
      return;
    }
    this.host.stats.timeWaitOverflows++;
    this.sendAck();
    this.terminate(undefined);
  }

  /** Enters ESTABLISHED after our SYN was acknowledged, and applies a queued close. */
  private completeHandshake(): void {
    if (this.synRetransmitted) {
      // RFC 6298 5.7 and RFC 5681 3.1: a lost SYN means a cautious start.
      this.rto.setInitial(RTO_AFTER_SYN_LOSS_MS);
    }
    // RFC 6582 3.2 step 1: "recover" starts at the initial send sequence number.
    this.congestion = new NewRenoCongestion(this.effectiveSendMss, this.iss, this.synRetransmitted);
    this.retransmitTimer.cancel();
    this.retransmissions = 0;
    this.timerMode = TimerMode.RETRANSMIT;
    this.setState(TcpState.ESTABLISHED);
    this.lastSendTime = this.host.clock.now();
    this.lastDataReceived = this.lastSendTime;
    this.armKeepalive();
    if (this.finQueued) this.setState(TcpState.FIN_WAIT_1);
    this.handler?.onEstablished();
    this.outputDeferred = true;
  }

  private sampleHandshakeRtt(segment: TcpHeader): void {
    if (this.timestampsEnabled && segment.hasTimestamp && segment.timestampEchoReply !== 0) {
      this.rto.sample(this.timestampNow() - segment.timestampEchoReply);
    } else if (!this.synRetransmitted) {
      // Karn's rule: only a SYN sent once gives a sample.
      this.rto.sample(this.host.clock.now() - this.rttStart);
    }
  }

  // ---------------------------------------------------------------------
  // SACK-based loss recovery (RFC 6675)
  // ---------------------------------------------------------------------

  private sackOnNewAck(segment: TcpHeader, ack: number, dataAcked: number): RecoveryAction {
    this.scoreboard.update(segment.sackBlocks, this.sndUna, this.sndMax);
    const congestion = this.congestion;
    if (congestion.inFastRecovery) {
      if (seqGe(ack, congestion.recover)) {
        // RFC 6675 5.1 step (A): recovery ends when RecoveryPoint is acknowledged.
        congestion.inFastRecovery = false;
        congestion.duplicateAcks = 0;
        congestion.cwnd = congestion.ssthresh;
      }
      this.sackRecoverySend();
      return RecoveryAction.NONE;
    }
    congestion.onNewAck(ack, dataAcked, this.flightSize);
    if (seqGe(ack, congestion.recover) && this.scoreboard.isLost(this.sndUna, this.effectiveSendMss)) this.sackEnterRecovery();
    return RecoveryAction.NONE;
  }

  /** Counts a duplicate ACK whose SACK blocks the scoreboard has already taken. */
  private sackOnDuplicateAck(segment: TcpHeader): void {
    const congestion = this.congestion;
    if (congestion.inFastRecovery) {
      this.sackRecoverySend();
      return;
    }
    congestion.duplicateAcks++;
    // RFC 6675 section 5: enter recovery on DupThresh duplicates or when
    // the scoreboard already declares the first segment lost, unless the
    // ACK is still below the RecoveryPoint of a timeout (RFC 6675 5.1).
    // "recover" is exclusive, so an ACK exactly at it has acknowledged
    // everything sent before, and the next loss starts a new recovery.
    if (
      (congestion.duplicateAcks >= 3 || this.scoreboard.isLost(this.sndUna, this.effectiveSendMss)) &&
      seqGe(segment.acknowledgmentNumber, congestion.recover)
    ) {
      this.sackEnterRecovery();
    } else {
      this.outputDeferred = true;
    }
  }

  /** RFC 6675 section 5 step (4): start loss recovery and retransmit the first lost segment. */
  private sackEnterRecovery(): void {
    const congestion = this.congestion;
    congestion.recover = this.sndMax;
    congestion.ssthresh = Math.max(Math.floor(this.flightSize / 2), 2 * this.effectiveSendMss);
    congestion.cwnd = congestion.ssthresh;
    congestion.inFastRecovery = true;
    this.rttTiming = false;
    // RFC 6675 section 5 step (4.3): the first segment goes out whatever the scoreboard shows.
    this.scoreboard.startRecovery();
    this.scoreboard.markRetransmitted(this.retransmitFirst());
    this.armRetransmit(this.rto.rto);
    this.sackRecoverySend();
  }

  /** RFC 6675 section 5 step (C): send while cwnd - pipe allows a segment, choosing with NextSeg(). */
  private sackRecoverySend(): void {
    const mss = this.dataSegmentMss;
    const scoreboard = this.scoreboard;
    for (let sent = 0; sent < 1000; sent++) {
      const pipe = scoreboard.pipe(this.sndUna, this.sndNxt, mss);
      if (this.congestion.cwnd - pipe < mss) return;
      let next = scoreboard.nextLost(this.sndUna, this.sndNxt, mss);
      let rescue = false;
      if (next === undefined) {
        // NextSeg rule (2): no hole left that counts as lost, so new data
        // goes next, if there is any and the peer's window takes it.
        const unsent = this.sendBuffer.length - seqDiff(this.sndNxt, this.sndUna);
        if (unsent > 0 && seqDiff(this.sndNxt, this.sndUna) < this.sndWnd) {
          this.outputDeferred = true;
          return;
        }
        // Rules (3) and (4): with nothing new to send, repair a hole below
        // SACKed data, or else send the rescue retransmission of the last
        // segment, instead of waiting for the retransmission timeout.
        next = scoreboard.nextUnsacked(this.sndUna, this.sndNxt);
        if (next === undefined) {
          next = scoreboard.rescue(this.sndUna, this.sndNxt, mss);
          rescue = true;
        }
        if (next === undefined) {
          this.outputDeferred = true;
          return;
        }
      }
      const dataEnd = seqAdd(this.sndUna, this.sendBuffer.length);
      const length = Math.min(mss, seqDiff(next.end, next.start), seqDiff(dataEnd, next.start));
      if (length <= 0) return;
      const start = next.start;
      this.transmitRange(start, length, false, true);
      if (rescue) return;
      scoreboard.markRetransmitted(seqAdd(start, length));
    }
  }

  // ---------------------------------------------------------------------
  // ICMP (RFC 5927)
  // ---------------------------------------------------------------------

  /**
   * Handles an ICMP error that quotes a segment of this connection with
   * sequence number `seq`. Returns false when the quoted sequence number
   * is not outstanding and the message was ignored (RFC 5927 4.1).
   * Hard errors abort only a connection that is still opening (RFC 5927
   * 4.2, as Linux does); otherwise they are remembered as a soft error.
   */
  icmpError(seq: number, code: TcpErrorCode, hard: boolean, nextHopMtu: number): boolean {
    if (!seqInRange(seq, this.sndUna, this.sndMax)) return false;
    if (nextHopMtu > 0) {
      // RFC 1191: fragmentation needed, so the MSS shrinks to the path MTU.
      // It stops at MIN_PATH_MTU_BYTES, so that a forged message cannot
      // shrink the segments without bound.
      const mss = Math.max(nextHopMtu, MIN_PATH_MTU_BYTES) - 40;
      if (mss < this.sendMss) {
        this.sendMss = mss;
        this.congestion.smss = this.effectiveSendMss;
        this.sndNxt = this.sndUna;
        this.output();
      }
      return true;
    }
    if (hard && this.state === TcpState.SYN_SENT) {
      this.fail(code, `connection failed: ${code} reported by ICMP`);
      return true;
    }
    if (hard && this.state === TcpState.SYN_RECEIVED && this.passive) {
      this.terminate(undefined);
      return true;
    }
    this.softError = code;
    return true;
  }

}
