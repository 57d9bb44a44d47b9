// Bookkeeping for one client connection: what µShell's lsof and http-info
// show, and the request-header timer that Node's own headersTimeout does not
// provide for connections fed in with server.emit('connection').
import type { HttpConnectionInfo, HttpConnectionState, HttpSocket } from './types';

export class ConnectionRecord {
  requests = 0;
  bodyBytesSent = 0;
  state: HttpConnectionState = 'idle';
  object: { name: string; digestHex: string } | undefined;
  /** Responses started and not yet finished or closed. */
  activeResponses = 0;
  /** True when bytes arrived since the last request header was complete. */
  partialRequest = false;
  headersTimer: NodeJS.Timeout | undefined;
  /**
   * Aborted when the socket closes. Responses queued behind a pipelined one
   * get no 'close' event from Node then, so their reads stop through this.
   */
  readonly closing = new AbortController();

  constructor(
    readonly id: number,
    readonly socket: HttpSocket,
    /** Accepted beyond maxConnections: every request gets 503 and the connection closes. */
    readonly overLimit: boolean,
    readonly openedAt: Date,
  ) {}

  info(): HttpConnectionInfo {
    return {
      id: this.id,
      remoteAddress: this.socket.remoteAddress ?? '',
      remotePort: this.socket.remotePort ?? 0,
      state: this.state,
      object: this.object === undefined ? undefined : { ...this.object },
      requests: this.requests,
      bodyBytesSent: this.bodyBytesSent,
      openedAt: this.openedAt,
    };
  }

  clearHeadersTimer(): void {
    if (this.headersTimer !== undefined) clearTimeout(this.headersTimer);
    this.headersTimer = undefined;
  }
}
