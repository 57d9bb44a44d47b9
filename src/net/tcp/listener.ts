// A passive open on one port (RFC 9293 3.10.1, LISTEN): the half-open
// connections it created (the SYN backlog) and the accept queue of
// connections whose handshake completed but that the user has not taken.
import type { Ipv4Address } from '../ipv4-address';
import type { TcpConnection } from './connection';

/** Accept queue length when the caller gives none (Node's `net` default backlog). */
export const LISTEN_BACKLOG_DEFAULT = 511;

export interface TcpListenerHandler {
  /** A connection completed its handshake and leaves the accept queue. */
  onConnection(connection: TcpConnection): void;
  /**
   * Connection limit hook, asked for each SYN: false rejects the SYN with a
   * reset. Without the hook every SYN is admitted.
   */
  admitConnection?(remoteAddress: Ipv4Address, remotePort: number): boolean;
}

export interface TcpListenerOwner {
  removeListener(listener: TcpListener): void;
}

export class TcpListener {
  /** Connections in SYN-RECEIVED created by this listener. */
  readonly halfOpen = new Set<TcpConnection>();
  readonly acceptQueue: TcpConnection[] = [];
  /** Time of the last SYN cookie sent; cookies are checked only shortly after (see TcpLayer). */
  lastCookieTime = -Infinity;
  private accepting = true;
  private closed = false;

  constructor(
    private readonly owner: TcpListenerOwner,
    /** Local address, or 0 for every local address. */
    readonly address: Ipv4Address,
    readonly port: number,
    /** Maximum length of the accept queue, and of the half-open set. */
    readonly backlog: number,
    private readonly handler: TcpListenerHandler,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether one more handshake may complete into the accept queue. */
  get acceptQueueHasRoom(): boolean {
    return this.acceptQueue.length < this.backlog;
  }

  get halfOpenQueueFull(): boolean {
    return this.halfOpen.size >= this.backlog;
  }

  admit(remoteAddress: Ipv4Address, remotePort: number): boolean {
    return this.handler.admitConnection === undefined || this.handler.admitConnection(remoteAddress, remotePort);
  }

  /** Moves a connection whose handshake completed into the accept queue and hands out what the user takes. */
  enqueue(connection: TcpConnection): void {
    this.halfOpen.delete(connection);
    this.acceptQueue.push(connection);
    this.drain();
  }

  /** Forgets a half-open or queued connection that closed. */
  forget(connection: TcpConnection): void {
    this.halfOpen.delete(connection);
    const index = this.acceptQueue.indexOf(connection);
    if (index >= 0) this.acceptQueue.splice(index, 1);
  }

  /** Stops handing out connections; completed handshakes wait in the accept queue up to the backlog. */
  pause(): void {
    this.accepting = false;
  }

  resume(): void {
    this.accepting = true;
    this.drain();
  }

  /**
   * Stops listening. Half-open and queued connections are reset, as Linux
   * does when a listening socket is closed.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.removeListener(this);
    for (const connection of [...this.halfOpen, ...this.acceptQueue]) connection.abort();
    this.halfOpen.clear();
    this.acceptQueue.length = 0;
  }

  private drain(): void {
    while (this.accepting && !this.closed && this.acceptQueue.length > 0) {
      const connection = this.acceptQueue.shift() as TcpConnection;
      connection.listener = undefined;
      this.handler.onConnection(connection);
    }
  }
}
