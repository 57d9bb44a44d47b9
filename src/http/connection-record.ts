// Bookkeeping for one client connection: what µShell's lsof and http-info
// show, and the request-header timer that Node's own headersTimeout does not
// provide for connections fed in with server.emit('connection').
import type { ServerResponse } from 'node:http';
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
  /** Callbacks of queued responses waiting for their turn; each gets false when the connection closes. */
  private readonly turnWaiters = new Set<(turn: boolean) => void>();

  constructor(
    readonly id: number,
    readonly socket: HttpSocket,
    /** Accepted beyond maxConnections: every request gets 503 and the connection closes. */
    readonly overLimit: boolean,
    readonly openedAt: Date,
  ) {
    // One listener for all waiters, so that a long pipeline adds none to the signal.
    this.closing.signal.addEventListener('abort', () => {
      for (const waiter of [...this.turnWaiters]) waiter(false);
    });
  }

  /**
   * Resolves true once `res` is the response the connection sends now, or
   * false when the connection closes first. Node queues the responses to
   * pipelined requests and gives each the socket in turn (the 'socket'
   * event). Waiting here keeps queued responses from reading objects or
   * connecting to origins before their turn.
   */
  waitForTurn(res: ServerResponse): Promise<boolean> {
    if (this.closing.signal.aborted) return Promise.resolve(false);
    if (res.socket !== null) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (turn: boolean): void => {
        this.turnWaiters.delete(finish);
        res.off('socket', onSocket);
        resolve(turn);
      };
      const onSocket = (): void => finish(true);
      this.turnWaiters.add(finish);
      res.once('socket', onSocket);
    });
  }

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
