// Counters of the TCP layer, for `stats`-style reporting and for tests.

/** Reason a received segment was dropped; each reason has its own counter. */
export type TcpDropReason =
  /** The checksum did not verify. */
  | 'checksum'
  /** The header or an option could not be parsed. */
  | 'malformed'
  /** The destination address is not one of ours. */
  | 'not-local'
  /** The source address is broadcast, multicast or zero (RFC 1122 4.2.3.10). */
  | 'invalid-source'
  /** No connection and no listener. The layer replies with a reset unless the segment was one. */
  | 'closed-port'
  /** A segment to a listener that carries neither a SYN nor a valid SYN cookie. */
  | 'listener'
  | 'half-open-queue-full'
  | 'accept-queue-full'
  /** Outside the receive window (RFC 9293 3.10.7.4 first check). */
  | 'sequence'
  /** An old timestamp (RFC 7323 5.3, PAWS). */
  | 'paws'
  /** A reset that was not exactly at RCV.NXT or outside the window (RFC 5961 3.2). */
  | 'reset'
  /** A SYN on a synchronized connection (RFC 5961 4.2). */
  | 'syn'
  /** An acknowledgment outside the acceptable range (RFC 5961 5.2, RFC 9293). */
  | 'ack'
  /** A segment without the ACK bit on a synchronized connection. */
  | 'no-ack'
  /** A segment that the connection's state does not accept. */
  | 'state'
  /** Out-of-order data that the reassembly queue could not hold. */
  | 'reassembly';

export interface TcpCounters {
  segmentsReceived: number;
  segmentsSent: number;
  retransmittedSegments: number;
  resetsSent: number;
  resetsReceived: number;
  activeOpens: number;
  passiveOpens: number;
  /** Connections that ended with a timeout (retransmissions, keep-alive or SYN). */
  timeouts: number;
  synCookiesSent: number;
  synCookiesAccepted: number;
  challengeAcksSent: number;
  /** Connections that closed without TIME-WAIT because the maximum number were waiting there. */
  timeWaitOverflows: number;
  dropped: Record<TcpDropReason, number>;
  /** Connections now in each state, by RFC 9293 state name, with listeners as LISTEN; kept current as states change. */
  connectionsByState: Record<string, number>;
}

export function createDropCounters(): Record<TcpDropReason, number> {
  return {
    checksum: 0,
    malformed: 0,
    'not-local': 0,
    'invalid-source': 0,
    'closed-port': 0,
    listener: 0,
    'half-open-queue-full': 0,
    'accept-queue-full': 0,
    sequence: 0,
    paws: 0,
    reset: 0,
    syn: 0,
    ack: 0,
    'no-ack': 0,
    state: 0,
    reassembly: 0,
  };
}
