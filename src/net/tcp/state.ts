// Connection states of RFC 9293 section 3.3.2.

export const enum TcpState {
  CLOSED,
  LISTEN,
  SYN_SENT,
  SYN_RECEIVED,
  ESTABLISHED,
  FIN_WAIT_1,
  FIN_WAIT_2,
  CLOSE_WAIT,
  CLOSING,
  LAST_ACK,
  TIME_WAIT,
}

/** State names as RFC 9293 writes them, indexed by TcpState. */
export const TCP_STATE_NAMES: readonly string[] = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
];

/** States after the SYNs of both sides are acknowledged (RFC 9293 3.5). */
export function isSynchronized(state: TcpState): boolean {
  return state >= TcpState.ESTABLISHED;
}
