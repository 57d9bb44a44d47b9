// Congestion control for a sender without SACK information: slow start,
// congestion avoidance, fast retransmit and fast recovery (RFC 5681), with
// the NewReno handling of partial acknowledgments (RFC 6582). The
// connection calls in on each acknowledgment and timeout, and performs the
// retransmission that a returned RecoveryAction requests.
import { seqGe, seqGt } from './sequence';

/** Duplicate ACKs that signal a lost segment (RFC 5681 3.2). */
export const DUPLICATE_ACK_THRESHOLD = 3;

/** Initial window: min(4 * SMSS, max(2 * SMSS, 4380 bytes)) (RFC 5681 3.1, RFC 3390). */
export function initialWindow(smss: number): number {
  return Math.min(4 * smss, Math.max(2 * smss, 4380));
}

/** Action the connection takes after a duplicate or partial acknowledgment. */
export const enum RecoveryAction {
  NONE,
  /** Retransmit the first unacknowledged segment now. */
  RETRANSMIT_FIRST,
}

export class NewRenoCongestion {
  cwnd: number;
  ssthresh = 2 ** 30;
  duplicateAcks = 0;
  inFastRecovery = false;
  /** Sequence number one past the highest sent when recovery last began (RFC 6582 "recover", exclusive). */
  recover: number;
  /** True until the first partial ACK of a recovery episode restarts the timer (RFC 6582 3.2 step 5). */
  firstPartialAck = true;
  private bytesAckedInAvoidance = 0;

  constructor(
    public smss: number,
    initialSequence: number,
    lostSyn: boolean,
  ) {
    // RFC 5681 3.1: after a lost SYN or SYN-ACK the initial window is one segment.
    this.cwnd = lostSyn ? smss : initialWindow(smss);
    this.recover = initialSequence;
  }

  /**
   * Updates the window for an ACK that advances SND.UNA by `acked` bytes.
   * `flightAfter` is the data still outstanding after this ACK. Returns
   * RETRANSMIT_FIRST for a partial ACK during fast recovery.
   */
  onNewAck(ack: number, acked: number, flightAfter: number): RecoveryAction {
    if (this.inFastRecovery) {
      if (seqGe(ack, this.recover)) {
        // RFC 6582 3.2 step 3, full acknowledgment: deflate the window to
        // ssthresh, or less when little is in flight, so no burst follows.
        this.cwnd = Math.min(this.ssthresh, Math.max(flightAfter, this.smss) + this.smss);
        this.inFastRecovery = false;
        this.duplicateAcks = 0;
        this.bytesAckedInAvoidance = 0;
        return RecoveryAction.NONE;
      }
      // RFC 6582 3.2 step 4, partial acknowledgment: the next hole is lost
      // too. Deflate by the amount acknowledged and add back one segment.
      this.cwnd = Math.max(this.smss, this.cwnd - acked + (acked >= this.smss ? this.smss : 0));
      return RecoveryAction.RETRANSMIT_FIRST;
    }

    this.duplicateAcks = 0;
    // Keep "recover" just behind the cumulative ACK once it has been passed,
    // so that the comparison above stays within 2^31 on long connections.
    if (seqGt(ack, this.recover)) this.recover = (ack - 1) >>> 0;
    if (this.cwnd < this.ssthresh) {
      // Slow start with byte counting (RFC 3465): grow by the bytes this ACK
      // covers, up to ssthresh, as Linux does. RFC 5681's one SMSS per ACK
      // would stall behind stretch ACKs: a receiver on the same host with
      // GRO acknowledges tens of segments at once, and the window would then
      // grow by one segment per tens of segments instead of doubling per RTT.
      this.cwnd = Math.min(this.cwnd + acked, Math.max(this.ssthresh, this.cwnd + this.smss));
    } else {
      // RFC 5681 3.1, congestion avoidance: one SMSS per window of acknowledged bytes.
      this.bytesAckedInAvoidance += acked;
      if (this.bytesAckedInAvoidance >= this.cwnd) {
        this.bytesAckedInAvoidance -= this.cwnd;
        this.cwnd += this.smss;
      }
    }
    return RecoveryAction.NONE;
  }

  /**
   * Counts a duplicate ACK (RFC 5681 section 2 definition) and decides on
   * fast retransmit. `ack` is the cumulative ACK, `sndMax` one past the
   * highest sequence number sent, `flightSize` the outstanding data.
   */
  onDuplicateAck(ack: number, sndMax: number, flightSize: number): RecoveryAction {
    this.duplicateAcks++;
    if (this.inFastRecovery) {
      // RFC 5681 3.2 step 4: each further duplicate means a segment left the network.
      this.cwnd += this.smss;
      return RecoveryAction.NONE;
    }
    if (this.duplicateAcks !== DUPLICATE_ACK_THRESHOLD) return RecoveryAction.NONE;

    // RFC 6582 3.2 step 2: enter fast retransmit only when the ACK covers
    // more than "recover". Duplicates below it come from the go-back-N
    // after a timeout. The optional ACK heuristic of RFC 6582 4.2 is not used.
    if (!seqGt(ack, this.recover)) return RecoveryAction.NONE;

    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.smss);
    this.recover = sndMax;
    this.cwnd = this.ssthresh + DUPLICATE_ACK_THRESHOLD * this.smss;
    this.inFastRecovery = true;
    this.firstPartialAck = true;
    return RecoveryAction.RETRANSMIT_FIRST;
  }

  /**
   * Collapses the window after a retransmission timeout (RFC 5681 3.1
   * equation 4 and the loss window). `firstTimeout` is false when the
   * segment had already been retransmitted by the timer, which keeps ssthresh.
   */
  onRetransmissionTimeout(flightSize: number, sndMax: number, firstTimeout: boolean): void {
    if (firstTimeout) this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.smss);
    this.cwnd = this.smss;
    this.inFastRecovery = false;
    this.duplicateAcks = 0;
    this.bytesAckedInAvoidance = 0;
    // RFC 6582 section 4: duplicates caused by the go-back-N that follows
    // must not start a fast retransmit.
    this.recover = sndMax;
  }

  /** Restarts from at most the initial window after an idle period longer than the RTO (RFC 5681 4.1). */
  onIdleRestart(): void {
    this.cwnd = Math.min(this.cwnd, initialWindow(this.smss));
  }

  /**
   * Window that limits new data: cwnd, plus up to two segments on the first
   * two duplicate ACKs when limited transmit is on (RFC 3042).
   */
  sendWindow(limitedTransmit: boolean): number {
    if (limitedTransmit && !this.inFastRecovery && this.duplicateAcks > 0 && this.duplicateAcks < DUPLICATE_ACK_THRESHOLD) {
      return this.cwnd + this.duplicateAcks * this.smss;
    }
    return this.cwnd;
  }
}
