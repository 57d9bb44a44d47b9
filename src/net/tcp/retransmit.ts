// Retransmission timeout estimation (RFC 6298) with Karn's rule left to the
// caller: it feeds only samples from segments that were not retransmitted,
// or samples from echoed timestamps (RFC 7323 section 4).

/** RTO before the first RTT sample (RFC 6298 2.1). */
export const RTO_INITIAL_MS = 1000;
/** Lower bound of the RTO. RFC 6298 2.4 recommends 1 s; Linux uses 200 ms (TCP_RTO_MIN, HZ / 5), and so does this stack. */
export const RTO_MIN_MS = 200;
/** Upper bound of the RTO after back-off (RFC 6298 2.5 allows a maximum of at least 60 s). */
export const RTO_MAX_MS = 60_000;
/** RTO once a connection is established when its SYN or SYN-ACK was retransmitted and no sample exists (RFC 6298 5.7). */
export const RTO_AFTER_SYN_LOSS_MS = 3000;
/** Clock granularity G of RFC 6298 2.2; the stack's clock counts milliseconds. */
export const CLOCK_GRANULARITY_MS = 1;

const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;

export class RtoEstimator {
  /** Smoothed round-trip time in ms; 0 before the first sample. */
  srtt = 0;
  /** Round-trip time variation in ms. */
  rttvar = 0;
  hasSample = false;
  private baseRtoMs = RTO_INITIAL_MS;
  private backoffCount = 0;

  /** Current timeout in ms, backed off and clamped to [RTO_MIN_MS, RTO_MAX_MS]. */
  get rto(): number {
    const backedOff = this.baseRtoMs * 2 ** this.backoffCount;
    return Math.min(RTO_MAX_MS, Math.max(RTO_MIN_MS, backedOff));
  }

  get backoffs(): number {
    return this.backoffCount;
  }

  /**
   * Adds one RTT measurement (RFC 6298 2.2 and 2.3) and clears the back-off,
   * since a valid sample means the path delivers again. With timestamps
   * there are many samples per round trip, so the gains are divided by
   * `samplesPerRoundTrip` (RFC 7323 appendix G).
   */
  sample(rttMs: number, samplesPerRoundTrip = 1): void {
    const rtt = Math.max(0, rttMs);
    if (!this.hasSample) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
      this.hasSample = true;
    } else {
      const alpha = ALPHA / samplesPerRoundTrip;
      const beta = BETA / samplesPerRoundTrip;
      this.rttvar = (1 - beta) * this.rttvar + beta * Math.abs(this.srtt - rtt);
      this.srtt = (1 - alpha) * this.srtt + alpha * rtt;
    }
    this.baseRtoMs = this.srtt + Math.max(CLOCK_GRANULARITY_MS, K * this.rttvar);
    this.backoffCount = 0;
  }

  /** Doubles the timeout after it expired (RFC 6298 5.5). */
  backOff(): void {
    if (this.rto < RTO_MAX_MS) this.backoffCount++;
  }

  /** Sets the base timeout used until the first sample (RFC 6298 5.7 after a lost SYN). */
  setInitial(rtoMs: number): void {
    if (this.hasSample) return;
    this.baseRtoMs = rtoMs;
    this.backoffCount = 0;
  }
}
