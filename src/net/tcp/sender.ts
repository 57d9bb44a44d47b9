// Output of a connection: data within the peer's window and the congestion
// window, Nagle and silly window avoidance, pure ACKs, resets and the
// advertised window. The timers that send on their own (retransmission,
// zero-window probes, delayed ACKs, keep-alive) live here too.
import { clearTcpOptions, TcpFlags, type TcpHeader } from '../wire/tcp';
import {
  DATA_RETRANSMISSIONS_MAX,
  KEEPALIVE_INTERVAL_MS,
  KEEPALIVE_PROBES_MAX,
  OUT_OF_WINDOW_ACK_INTERVAL_MS,
  PERSIST_PROBES_MAX,
  SYN_ACK_RETRANSMISSIONS_MAX,
  SYN_RETRANSMISSIONS_MAX,
  TcpControlBlock,
  TimerMode,
  WINDOW_FIELD_MAX,
  EMPTY_PAYLOAD,
} from './control-block';
import { RTO_MAX_MS } from './retransmit';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './sequence';
import { TcpState } from './state';

/** The sending half of a connection; the input decision lives in TcpConnection. */
export abstract class TcpSender extends TcpControlBlock {
  /** True while the FIN still has to go out: queued and not sent, or sent and then rewound by a timeout. */
  protected get finToSend(): boolean {
    return this.finQueued && (!this.finSent || seqLe(this.sndNxt, this.finSeq));
  }

  // ---------------------------------------------------------------------
  // Output
  // ---------------------------------------------------------------------

  /**
   * Sends what the state, the windows, Nagle and SWS avoidance allow, then
   * a pure ACK if one is still owed. Deferred while a segment is processed.
   */
  output(): void {
    if (this.processing) {
      this.outputDeferred = true;
      return;
    }
    switch (this.state) {
      case TcpState.ESTABLISHED:
      case TcpState.CLOSE_WAIT:
      case TcpState.FIN_WAIT_1:
      case TcpState.CLOSING:
      case TcpState.LAST_ACK:
        this.sendData();
        break;
      default:
        break;
    }
    if (this.ackNow && this.state !== TcpState.CLOSED && this.state !== TcpState.SYN_SENT) this.sendAck();
  }

  protected sendData(): void {
    const mss = this.dataSegmentMss;
    const now = this.host.clock.now();

    // RFC 5681 4.1: after an idle period longer than the RTO, restart from
    // at most the initial window.
    if (this.sndUna === this.sndMax && now - this.lastSendTime > this.rto.rto) this.congestion.onIdleRestart();

    for (;;) {
      const offset = seqDiff(this.sndNxt, this.sndUna);
      const unsent = this.sendBuffer.length - offset;
      const finPending = this.finToSend;
      if (unsent <= 0 && !finPending) break;

      const window = Math.min(this.sndWnd, this.congestion.sendWindow(this.host.config.limitedTransmit));
      let usable = window - offset;
      if (this.sackEnabled && this.congestion.inFastRecovery) {
        // RFC 6675 section 5 (C): during SACK recovery new data is limited
        // by cwnd - pipe, not by cwnd - FlightSize.
        const pipe = this.scoreboard.pipe(this.sndUna, this.sndNxt, mss);
        usable = Math.min(this.sndWnd - offset, this.congestion.cwnd - pipe);
      }
      // With segmentation offload one segment may carry several MSS worth
      // of payload; the device cuts it into MSS-sized segments.
      const length = Math.max(0, Math.min(unsent, usable, this.segmentLimit(mss)));
      const retransmission = seqLt(this.sndNxt, this.sndMax);
      // The FIN needs one sequence number of window after the last data byte.
      const fin = finPending && length === Math.max(0, unsent) && usable > length;

      if (length === 0 && !fin) break;
      if (length < mss && !fin && !retransmission && !this.forceSend) {
        // RFC 9293 3.8.6.2.1 (sender SWS avoidance) with Nagle's rule (RFC
        // 1122 4.2.3.4): a short segment goes out only when Nagle allows it
        // and it carries all queued data or at least half the largest window
        // the peer has offered. Nagle keeps a short segment back while an
        // earlier short segment is unacknowledged (Minshall's variant, as in
        // Linux), so the tail of a large write is not delayed by a round trip.
        const nagleAllows = this.noDelay || offset === 0 || !seqGt(this.smallSegmentEnd, this.sndUna);
        const allQueued = length === unsent;
        if (!nagleAllows || (!allQueued && length < this.maxSndWnd / 2)) break;
      }

      this.transmitRange(this.sndNxt, length, fin, retransmission);
      this.sndNxt = seqAdd(this.sndNxt, length + (fin ? 1 : 0));
      if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
      this.lastSendTime = now;
      if (!this.retransmitTimer.armed || this.timerMode === TimerMode.PERSIST) {
        // RFC 6298 5.1: the timer runs whenever data is outstanding.
        this.timerMode = TimerMode.RETRANSMIT;
        this.armRetransmit(this.rto.rto);
      }
      if (this.forceSend) {
        this.forceSend = false;
        break;
      }
    }

    // RFC 9293 3.8.6.1 and 3.8.6.2.1: with nothing in flight and data held
    // back by the peer's window, the persist timer probes or overrides.
    const offset = seqDiff(this.sndNxt, this.sndUna);
    const unsent = this.sendBuffer.length - offset;
    if (offset === 0 && (unsent > 0 || this.finToSend) && !this.retransmitTimer.armed) {
      this.timerMode = TimerMode.PERSIST;
      this.armRetransmit(this.persistInterval());
    }
  }

  /** Largest payload of one segment: the MSS, or a multiple of it with segmentation offload. */
  protected segmentLimit(mss: number): number {
    const offloadBytes = this.host.config.maxSegmentPayload;
    return offloadBytes > mss ? Math.floor(offloadBytes / mss) * mss : mss;
  }

  /** Sends the data (and FIN) in [seq, seq + length) from the send buffer. */
  protected transmitRange(seq: number, length: number, fin: boolean, retransmission: boolean): void {
    const header = this.prepareHeader(TcpFlags.ACK, seq);
    let payload = EMPTY_PAYLOAD;
    if (length > 0) {
      const views: Uint8Array[] = [];
      this.sendBuffer.collect(seqDiff(seq, this.sndUna), length, views);
      payload = views;
      // PSH marks the end of what the application has written so far.
      if (seqDiff(seq, this.sndUna) + length === this.sendBuffer.length) header.flags |= TcpFlags.PSH;
    }
    if (fin) {
      header.flags |= TcpFlags.FIN;
      if (!this.finSent) {
        this.finSent = true;
        this.finSeq = seqAdd(seq, length);
      }
    }
    if (length > 0) this.repliedSinceReceive = true;
    if (length < this.dataSegmentMss && seqGt(seqAdd(seq, length), this.smallSegmentEnd)) {
      this.smallSegmentEnd = seqAdd(seq, length);
    }
    if (retransmission) {
      this.host.stats.retransmittedSegments++;
      // Karn's rule: a retransmission invalidates the running measurement.
      this.rttTiming = false;
    } else if (!this.rttTiming && !this.timestampsEnabled && length > 0) {
      this.rttTiming = true;
      this.rttSeq = seq;
      this.rttStart = this.host.clock.now();
    }
    this.send(header, payload, length);
  }

  /**
   * Retransmits the first unacknowledged segment without moving SND.NXT
   * back, and returns the sequence number after it.
   */
  protected retransmitFirst(): number {
    const mss = this.dataSegmentMss;
    const outstanding = seqDiff(this.sndMax, this.sndUna);
    const length = Math.min(mss, outstanding, this.sendBuffer.length);
    const fin = this.finSent && length === this.sendBuffer.length && seqGe(this.finSeq, this.sndUna);
    const end = seqAdd(this.sndUna, length + (fin ? 1 : 0));
    if (length === 0 && !fin) return end;
    this.transmitRange(this.sndUna, length, fin, true);
    if (seqLt(this.sndNxt, end)) this.sndNxt = end;
    return end;
  }

  /** Sends SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with the options we offer. */
  protected sendSyn(): void {
    const header = this.header;
    const synAck = this.state === TcpState.SYN_RECEIVED;
    header.sourcePort = this.localPort;
    header.destinationPort = this.remotePort;
    header.sequenceNumber = this.iss;
    header.acknowledgmentNumber = synAck ? this.rcvNxt : 0;
    header.flags = synAck ? TcpFlags.SYN | TcpFlags.ACK : TcpFlags.SYN;
    // RFC 7323 2.2: the window of a SYN is not scaled.
    const window = Math.min(this.availableReceiveSpace(), WINDOW_FIELD_MAX);
    header.window = window;
    header.urgentPointer = 0;
    header.checksum = 0;
    header.mss = this.receiveMss;
    header.windowScale = this.offeredWindowScale ? this.rcvWndScale : -1;
    header.sackPermitted = this.offeredSack;
    header.hasTimestamp = this.offeredTimestamps;
    header.timestampValue = this.timestampNow();
    header.timestampEchoReply = synAck && this.timestampsEnabled ? this.tsRecent : 0;
    header.sackBlocks.length = 0;
    if (synAck) {
      this.rcvAdvertisedEdge = seqAdd(this.rcvNxt, window);
      this.lastAckSent = this.rcvNxt;
    }
    if (seqLe(this.sndMax, this.iss)) {
      this.sndNxt = seqAdd(this.iss, 1);
      this.sndMax = this.sndNxt;
    }
    this.rttStart = this.host.clock.now();
    this.host.transmit(this, header, EMPTY_PAYLOAD, 0);
  }

  /**
   * Sends a pure ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, where SND.NXT is
   * the highest sequence number sent, as BSD does. With a zero window the
   * peer accepts only SEG.SEQ = RCV.NXT, which is our SND.UNA then.
   */
  sendAck(): void {
    const seq = this.sndWnd === 0 ? this.sndUna : this.sndMax;
    const header = this.prepareHeader(TcpFlags.ACK, seq);
    this.send(header, EMPTY_PAYLOAD, 0);
  }

  protected sendChallengeAck(): void {
    if (!this.allowOutOfWindowAck()) return;
    this.host.stats.challengeAcksSent++;
    this.sendAck();
  }

  /**
   * Sends an ACK in reply to an unacceptable segment (RFC 9293 3.10.7.4).
   * Pure ACKs and SYNs get at most one reply per
   * OUT_OF_WINDOW_ACK_INTERVAL_MS, which breaks ACK loops between two
   * confused ends, as Linux does. Data segments always get a reply.
   */
  protected sendOutOfWindowAck(rateLimited: boolean): void {
    if (rateLimited && !this.allowOutOfWindowAck()) return;
    this.sendAck();
  }

  protected allowOutOfWindowAck(): boolean {
    const now = this.host.clock.now();
    if (now - this.lastOutOfWindowAck < OUT_OF_WINDOW_ACK_INTERVAL_MS) return false;
    this.lastOutOfWindowAck = now;
    return true;
  }

  /** Sends <SEQ=seq><CTL=RST> from this connection's endpoints. */
  protected sendReset(seq: number): void {
    const header = this.header;
    header.sourcePort = this.localPort;
    header.destinationPort = this.remotePort;
    header.sequenceNumber = seq;
    header.acknowledgmentNumber = 0;
    header.flags = TcpFlags.RST;
    header.window = 0;
    header.checksum = 0;
    header.urgentPointer = 0;
    clearTcpOptions(header);
    this.host.stats.resetsSent++;
    this.host.transmit(this, header, EMPTY_PAYLOAD, 0);
  }

  /** Fills the reused header with the fields every non-SYN segment carries. */
  protected prepareHeader(flags: number, seq: number): TcpHeader {
    const header = this.header;
    header.sourcePort = this.localPort;
    header.destinationPort = this.remotePort;
    header.sequenceNumber = seq;
    header.acknowledgmentNumber = this.rcvNxt;
    header.flags = flags;
    header.window = this.advertiseWindow();
    header.checksum = 0;
    header.urgentPointer = 0;
    clearTcpOptions(header);
    if (this.timestampsEnabled) {
      header.hasTimestamp = true;
      header.timestampValue = this.timestampNow();
      header.timestampEchoReply = this.tsRecent;
    }
    if (this.sackEnabled && !this.reassembly.empty) {
      this.reassembly.sackBlocks(this.rcvNxt, this.timestampsEnabled ? 3 : 4, header.sackBlocks);
    }
    return header;
  }

  protected send(header: TcpHeader, payload: readonly Uint8Array[], length: number): void {
    // Every segment with ACK carries the latest acknowledgment, so a pending delayed ACK is settled.
    this.ackNow = false;
    this.unackedReceivedBytes = 0;
    this.delayedAckTimer.cancel();
    this.lastAckSent = this.rcvNxt;
    this.host.transmit(this, header, payload, length);
  }

  /**
   * Returns the window field for the next segment and records the right
   * edge it advertises. Receiver SWS avoidance (RFC 9293 3.8.6.2.2): the
   * right edge moves only by at least min(buffer / 2, MSS), and it never
   * moves left.
   */
  protected advertiseWindow(): number {
    const capacity = this.host.config.receiveBufferBytes;
    const maxWindow = WINDOW_FIELD_MAX * 2 ** this.rcvWndScale;
    const available = Math.min(this.availableReceiveSpace(), maxWindow);
    const current = Math.max(0, seqDiff(this.rcvAdvertisedEdge, this.rcvNxt));
    const threshold = Math.min(capacity / 2, this.receiveMss);
    const window = available - current >= threshold ? available : current;

    // Round up so that scaling never moves the edge left (RFC 7323 2.4).
    const scale = 2 ** this.rcvWndScale;
    const field = Math.min(WINDOW_FIELD_MAX, Math.ceil(window / scale));
    this.rcvAdvertisedEdge = seqAdd(this.rcvNxt, field * scale);
    return field;
  }

  protected availableReceiveSpace(): number {
    const unread = (this.handler !== undefined ? this.handler.unreadBytes() : 0) + this.pendingReceiveBytes;
    return Math.max(0, this.host.config.receiveBufferBytes - unread);
  }

  protected timestampNow(): number {
    return (Math.floor(this.host.clock.now()) + this.tsOffset) >>> 0;
  }

  // ---------------------------------------------------------------------
  // Timers
  // ---------------------------------------------------------------------

  protected armRetransmit(delayMs: number): void {
    this.retransmitTimer.arm(delayMs);
  }

  protected persistInterval(): number {
    return Math.min(RTO_MAX_MS, this.rto.rto * 2 ** Math.min(this.persistBackoff, 16));
  }

  protected onRetransmitTimer(): void {
    switch (this.state) {
      case TcpState.SYN_SENT:
      case TcpState.SYN_RECEIVED: {
        // RFC 6298 5.4 to 5.6 for the SYN and SYN-ACK, with their own limits.
        const limit = this.state === TcpState.SYN_SENT ? SYN_RETRANSMISSIONS_MAX : SYN_ACK_RETRANSMISSIONS_MAX;
        if (this.retransmissions >= limit) {
          this.host.stats.timeouts++;
          if (this.state === TcpState.SYN_RECEIVED && this.passive) this.terminate(undefined);
          else this.fail(this.softError ?? 'ETIMEDOUT', 'connection timed out during the handshake');
          return;
        }
        this.retransmissions++;
        this.synRetransmitted = true;
        this.rto.backOff();
        this.host.stats.retransmittedSegments++;
        this.sendSyn();
        this.armRetransmit(this.rto.rto);
        return;
      }
      case TcpState.CLOSED:
      case TcpState.TIME_WAIT:
        return;
      default:
        break;
    }

    if (this.timerMode === TimerMode.PERSIST) {
      this.onPersistTimer();
      return;
    }
    if (seqGe(this.sndUna, this.sndMax)) return;

    if (this.retransmissions >= DATA_RETRANSMISSIONS_MAX) {
      // RFC 1122 4.2.3.5: R2 exceeded, give up. As in Linux, no reset goes
      // out, since the peer has stopped responding.
      this.host.stats.timeouts++;
      this.fail(this.softError ?? 'ETIMEDOUT', 'connection timed out: no acknowledgment after retransmissions');
      return;
    }

    if (this.sndWnd === 0) {
      // The window closed while data was in flight: probe instead of
      // retransmitting into a window that cannot take it.
      this.sndNxt = this.sndUna;
      this.timerMode = TimerMode.PERSIST;
      this.onPersistTimer();
      return;
    }

    // RFC 6298 5.4 to 5.6 and RFC 5681 3.1: back off, collapse the window
    // to one segment and resend from SND.UNA (go-back-N).
    const flight = seqDiff(this.sndMax, this.sndUna);
    this.congestion.onRetransmissionTimeout(flight, this.sndMax, this.retransmissions === 0);
    this.retransmissions++;
    this.rto.backOff();
    this.rttTiming = false;
    this.sndNxt = this.sndUna;
    // RFC 6675 5.1 and RFC 2018 section 8: SACK information may be reneged, start over.
    this.scoreboard.clear();
    this.armRetransmit(this.rto.rto);
    this.forceSend = true;
    this.output();
    this.forceSend = false;
  }

  /** Zero-window probe or SWS override (RFC 9293 3.8.6.1, 3.8.6.2.1). */
  protected onPersistTimer(): void {
    const offset = seqDiff(this.sndNxt, this.sndUna);
    const unsent = this.sendBuffer.length - offset;
    if (unsent <= 0 && !this.finToSend) return;

    if (this.persistProbes >= PERSIST_PROBES_MAX) {
      this.host.stats.timeouts++;
      this.fail(this.softError ?? 'ETIMEDOUT', 'connection timed out: zero-window probes unanswered');
      return;
    }

    if (this.sndWnd > 0) {
      // Override: the window is open but too small for SWS avoidance; send what fits.
      this.timerMode = TimerMode.RETRANSMIT;
      this.forceSend = true;
      this.output();
      this.forceSend = false;
      return;
    }

    // Zero window: one byte of new data (or the FIN) beyond the window.
    // SND.NXT stays put; SND.MAX covers the byte so that its ACK is accepted.
    const header = this.prepareHeader(TcpFlags.ACK, this.sndNxt);
    if (unsent > 0) {
      const views: Uint8Array[] = [];
      this.sendBuffer.collect(offset, 1, views);
      const probeEnd = seqAdd(this.sndNxt, 1);
      if (seqGt(probeEnd, this.sndMax)) this.sndMax = probeEnd;
      this.persistProbes++;
      this.persistBackoff++;
      this.send(header, views, 1);
    } else {
      header.flags |= TcpFlags.FIN;
      if (!this.finSent) {
        this.finSent = true;
        this.finSeq = this.sndNxt;
      }
      this.sndNxt = seqAdd(this.sndNxt, 1);
      if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
      this.persistProbes++;
      this.send(header, EMPTY_PAYLOAD, 0);
      this.timerMode = TimerMode.RETRANSMIT;
      this.armRetransmit(this.rto.rto);
      return;
    }
    this.timerMode = TimerMode.PERSIST;
    this.armRetransmit(this.persistInterval());
  }

  protected onDelayedAckTimer(): void {
    if (this.state === TcpState.CLOSED) return;
    this.ackNow = true;
    this.output();
  }

  protected armKeepalive(): void {
    if (this.keepaliveEnabled && (this.state === TcpState.ESTABLISHED || this.state === TcpState.CLOSE_WAIT)) {
      this.keepaliveTimer.arm(this.keepaliveProbes === 0 ? this.keepaliveIdleMs : KEEPALIVE_INTERVAL_MS);
    }
  }

  /** Keep-alive (RFC 1122 4.2.3.6): <SEQ=SND.UNA-1><ACK=RCV.NXT> with no data. */
  protected onKeepaliveTimer(): void {
    if (!this.keepaliveEnabled || (this.state !== TcpState.ESTABLISHED && this.state !== TcpState.CLOSE_WAIT)) return;
    if (seqLt(this.sndUna, this.sndMax) || this.sendBuffer.length > 0) {
      // Data is outstanding: the retransmission timer watches the peer.
      this.keepaliveTimer.arm(this.keepaliveIdleMs);
      return;
    }
    if (this.keepaliveProbes >= KEEPALIVE_PROBES_MAX) {
      // Linux and lwIP both reset a connection whose keep-alive probes went unanswered.
      this.host.stats.timeouts++;
      this.sendReset(this.sndMax);
      this.fail('ETIMEDOUT', 'connection timed out: keep-alive probes unanswered');
      return;
    }
    this.keepaliveProbes++;
    const header = this.prepareHeader(TcpFlags.ACK, seqAdd(this.sndUna, -1));
    this.send(header, EMPTY_PAYLOAD, 0);
    this.keepaliveTimer.arm(KEEPALIVE_INTERVAL_MS);
  }

  protected onCloseTimer(): void {
    // TIME-WAIT expired (RFC 9293 3.10.8), or an orphan gave up in FIN-WAIT-2.
    if (this.state === TcpState.TIME_WAIT || this.state === TcpState.FIN_WAIT_2) this.terminate(undefined);
  }
}
