// Sockets and servers on the userspace TCP layer, shaped like Node's `net`
// module so that servers written for `net` (Node's http server among them,
// fed with `server.emit('connection', socket)`) run on them unchanged.
//
// Backpressure runs both ways. A write goes into the connection's send
// buffer without copying. While that buffer is over its limit the write
// callback is held back, so `write()` returns false, and 'drain' follows
// once acknowledgments free room. Received data is pushed to the readable
// side. Data the application has not read shrinks the advertised window,
// and reading it again sends a window update.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { formatIpv4, parseIpv4, type Ipv4Address } from './ipv4-address';
import type { TcpConnection, TcpConnectionHandler } from './tcp/connection';
import { TcpError } from './tcp/errors';
import type { TcpLayer } from './tcp/layer';
import type { TcpListener } from './tcp/listener';
import { DeadlineTimer } from './tcp/timer';

/** A TCP layer, or a stack object that has one as `tcp`. */
export type TcpStack = TcpLayer | { tcp: TcpLayer };

function layerOf(stack: TcpStack): TcpLayer {
  return 'tcp' in stack ? stack.tcp : stack;
}

export interface TcpSocketOptions {
  /** The stack used by connect(); sockets from a server get theirs from it. */
  stack?: TcpStack;
  /** Keep the writable side open after the peer's FIN (default false, as in `net`). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

export interface TcpConnectOptions {
  port: number;
  /** IPv4 address in dotted-quad form; host names are resolved elsewhere. */
  host?: string;
  localAddress?: string;
  localPort?: number;
  /** Turn Nagle's algorithm off from the start. */
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

export interface TcpAddressInfo {
  address: string;
  family: 'IPv4';
  port: number;
}

type WriteCallback = (error?: Error | null) => void;

/** A TCP connection as a `stream.Duplex`, like `net.Socket`. */
export class TcpSocket extends Duplex {
  bytesRead = 0;
  #bytesWritten = 0;
  #layer: TcpLayer | undefined;
  #connection: TcpConnection | undefined;
  #blockedWriteCallback: WriteCallback | undefined;
  #connecting = false;
  #noDelay = false;
  #keepAlive = false;
  #keepAliveDelayMs = 0;
  #timeoutMs = 0;
  #idleTimer: DeadlineTimer | undefined;
  #local: TcpAddressInfo | undefined;
  #remote: TcpAddressInfo | undefined;
  readonly #handler: TcpConnectionHandler;

  constructor(options: TcpSocketOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
      emitClose: true,
      autoDestroy: true,
    });
    if (options.stack !== undefined) this.#layer = layerOf(options.stack);
    this.#handler = {
      onEstablished: () => this.#onEstablished(),
      onData: (data) => this.#onData(data),
      onEnd: () => this.push(null),
      onWritable: () => this.#releaseBlockedWrite(),
      onClose: (error) => this.#onConnectionClose(error),
      unreadBytes: () => this.readableLength,
    };
  }

  /** Binds the socket to a connection that a server accepted. */
  attachConnection(connection: TcpConnection, layer: TcpLayer): void {
    this.#layer = layer;
    this.#connection = connection;
    this.#recordAddresses(connection);
    connection.setNoDelay(this.#noDelay);
    connection.attach(this.#handler);
  }

  /**
   * Opens a connection (active open): `connect(port, host?, listener?)` or
   * `connect(options, listener?)`. 'connect' follows the handshake; a
   * failure is emitted as 'error'.
   */
  connect(portOrOptions: number | TcpConnectOptions, hostOrListener?: string | (() => void), listener?: () => void): this {
    const options: TcpConnectOptions =
      typeof portOrOptions === 'number'
        ? { port: portOrOptions, host: typeof hostOrListener === 'string' ? hostOrListener : undefined }
        : portOrOptions;
    const onConnect = typeof hostOrListener === 'function' ? hostOrListener : listener;
    if (onConnect !== undefined) this.once('connect', onConnect);

    const layer = this.#layer;
    if (layer === undefined) {
      throw new TypeError('TcpSocket.connect needs a stack: create the socket with { stack } or use connect(stack, options)');
    }
    if (this.#connection !== undefined || this.#connecting) {
      throw new TcpError('EINVAL', 'socket is already connected or connecting');
    }

    const host = options.host ?? '127.0.0.1';
    const remoteAddress = parseIpv4(host);
    const localAddress = options.localAddress === undefined ? undefined : parseIpv4(options.localAddress);
    let failure: Error | undefined;
    if (remoteAddress === undefined) {
      failure = new TcpError('EINVAL', `invalid host "${host}": expected an IPv4 address in dotted-quad form`);
    } else if (options.localAddress !== undefined && localAddress === undefined) {
      failure = new TcpError('EINVAL', `invalid local address "${options.localAddress}": expected an IPv4 address`);
    }
    if (options.noDelay === true) this.#noDelay = true;
    if (options.keepAlive === true) {
      this.#keepAlive = true;
      this.#keepAliveDelayMs = options.keepAliveInitialDelay ?? 0;
    }

    this.#connecting = true;
    if (failure === undefined) {
      try {
        const connection = layer.connect(
          { remoteAddress: remoteAddress as Ipv4Address, remotePort: options.port, localAddress, localPort: options.localPort },
          this.#handler,
        );
        this.#connection = connection;
        this.#recordAddresses(connection);
        connection.setNoDelay(this.#noDelay);
        if (this.#keepAlive) connection.setKeepAlive(true, this.#keepAliveDelayMs);
        this.#touch();
      } catch (error) {
        failure = error as Error;
      }
    }
    if (failure !== undefined) {
      const error = failure;
      process.nextTick(() => this.destroy(error));
    }
    return this;
  }

  get connecting(): boolean {
    return this.#connecting;
  }

  get pending(): boolean {
    return this.#connection === undefined || this.#connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.#connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  get remoteAddress(): string | undefined {
    return this.#remote?.address;
  }

  get remotePort(): number | undefined {
    return this.#remote?.port;
  }

  get remoteFamily(): 'IPv4' | undefined {
    return this.#remote === undefined ? undefined : 'IPv4';
  }

  get localAddress(): string | undefined {
    return this.#local?.address;
  }

  get localPort(): number | undefined {
    return this.#local?.port;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** State name of the underlying connection ('CLOSED' once it is gone). */
  get tcpState(): string {
    return this.#connection?.stateName ?? 'CLOSED';
  }

  address(): TcpAddressInfo | Record<string, never> {
    return this.#local === undefined ? {} : { ...this.#local };
  }

  /**
   * Emits 'timeout' after `ms` without data read or written; 0 turns it
   * off. The socket stays open, as with `net`.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`invalid timeout ${ms}: expected a number of milliseconds, 0 or more`);
    }
    this.#timeoutMs = ms;
    if (ms === 0) {
      this.#idleTimer?.cancel();
      if (callback !== undefined) this.removeListener('timeout', callback);
      return this;
    }
    if (callback !== undefined) this.once('timeout', callback);
    this.#touch();
    return this;
  }

  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.#connection?.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelayMs = 0): this {
    this.#keepAlive = enable;
    this.#keepAliveDelayMs = initialDelayMs;
    this.#connection?.setKeepAlive(enable, initialDelayMs);
    return this;
  }

  /** Ends the writable side and destroys the socket once everything written is flushed. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Sends RST and destroys the socket, like `net.Socket.resetAndDestroy`. */
  resetAndDestroy(): this {
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.abort();
    this.destroy();
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    const connection = this.#connection;
    if (connection === undefined) {
      callback(new TcpError('EINVAL', 'cannot write: the socket is not connected'));
      return;
    }
    try {
      connection.write(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.#bytesWritten += chunk.length;
    this.#touch();
    this.#completeWrite(connection, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: WriteCallback): void {
    const connection = this.#connection;
    if (connection === undefined) {
      callback(new TcpError('EINVAL', 'cannot write: the socket is not connected'));
      return;
    }
    try {
      // Queue every chunk before the connection decides what to send, so
      // that a corked batch leaves in full segments.
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i].chunk;
        connection.write(chunk, i === chunks.length - 1);
        this.#bytesWritten += chunk.length;
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.#touch();
    this.#completeWrite(connection, callback);
  }

  override _final(callback: WriteCallback): void {
    const connection = this.#connection;
    if (connection !== undefined && !connection.closed) connection.end();
    callback();
  }

  override _read(): void {
    this.#connection?.onDataConsumed();
  }

  override _destroy(error: Error | null, callback: WriteCallback): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#connecting = false;
    this.#idleTimer?.dispose();
    const blocked = this.#blockedWriteCallback;
    this.#blockedWriteCallback = undefined;
    if (connection !== undefined && !connection.closed) {
      // close() on a kernel socket sends RST when received data is unread
      // (RFC 1122 4.2.2.13), and FIN after the queued data otherwise.
      if (this.readableLength > 0 && !this.readableEnded) connection.abort();
      else connection.close();
    }
    blocked?.(error ?? new TcpError('ECONNABORTED', 'socket destroyed before the write was sent'));
    callback(error);
  }

  #completeWrite(connection: TcpConnection, callback: WriteCallback): void {
    if (connection.writable) {
      callback();
      return;
    }
    // The send buffer is full: hold the callback so that the stream buffers
    // further writes and write() returns false until 'drain'.
    this.#blockedWriteCallback = callback;
  }

  #releaseBlockedWrite(): void {
    this.#touch();
    const blocked = this.#blockedWriteCallback;
    if (blocked === undefined) return;
    const connection = this.#connection;
    if (connection !== undefined && !connection.writable) return;
    this.#blockedWriteCallback = undefined;
    blocked();
  }

  #onEstablished(): void {
    this.#connecting = false;
    const connection = this.#connection;
    if (connection !== undefined) this.#recordAddresses(connection);
    this.#touch();
    this.emit('connect');
    this.emit('ready');
  }

  #onData(data: Buffer): void {
    this.bytesRead += data.length;
    this.#touch();
    this.push(data);
  }

  #onConnectionClose(error: TcpError | undefined): void {
    // The connection may live on in TIME-WAIT, but it no longer concerns the socket.
    this.#connection = undefined;
    if (error !== undefined) {
      this.destroy(error);
      return;
    }
    if (!this.readableEnded) this.push(null);
  }

  #recordAddresses(connection: TcpConnection): void {
    this.#local = { address: formatIpv4(connection.localAddress), family: 'IPv4', port: connection.localPort };
    this.#remote = { address: formatIpv4(connection.remoteAddress), family: 'IPv4', port: connection.remotePort };
  }

  /** Restarts the idle timeout after activity. */
  #touch(): void {
    if (this.#timeoutMs === 0 || this.#layer === undefined || this.destroyed) return;
    if (this.#idleTimer === undefined) {
      this.#idleTimer = new DeadlineTimer(this.#layer.clock, () => {
        if (!this.destroyed && this.#timeoutMs > 0) this.emit('timeout');
      });
    }
    this.#idleTimer.arm(this.#timeoutMs);
  }
}

export interface TcpServerOptions {
  allowHalfOpen?: boolean;
  /** Turn Nagle's algorithm off on every accepted socket (Node's http server does this for `net`). */
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /**
   * Reject connections beyond `maxConnections` with a reset at the SYN.
   * Off by default: every connection is accepted and the application
   * (the HTTP server, which responds with 503) enforces the limit itself.
   */
  resetOverLimit?: boolean;
}

export interface TcpListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
}

/** A listening server that emits 'connection' with a TcpSocket, like `net.Server`. */
export class TcpServer extends EventEmitter {
  /** Connection limit; enforced at the SYN only with the resetOverLimit option. */
  maxConnections: number | undefined;
  readonly #layer: TcpLayer;
  readonly #options: TcpServerOptions;
  readonly #sockets = new Set<TcpSocket>();
  #listener: TcpListener | undefined;
  #closing = false;
  #closeCallbacks: Array<(error?: Error) => void> = [];

  constructor(stack: TcpStack, options: TcpServerOptions = {}, connectionListener?: (socket: TcpSocket) => void) {
    super();
    this.#layer = layerOf(stack);
    this.#options = options;
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.#listener !== undefined;
  }

  /** Number of open sockets from this server. */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /**
   * Starts listening: `listen(port?, host?, backlog?, callback?)` or
   * `listen({ port, host, backlog }, callback?)`. Port 0 or none picks a
   * free port. Emits 'listening', or 'error' (EADDRINUSE, EINVAL).
   */
  listen(...args: unknown[]): this {
    let callback: (() => void) | undefined;
    if (typeof args[args.length - 1] === 'function') callback = args.pop() as () => void;
    let options: TcpListenOptions;
    if (typeof args[0] === 'object' && args[0] !== null) {
      options = args[0] as TcpListenOptions;
    } else {
      options = {
        port: args[0] as number | undefined,
        host: typeof args[1] === 'string' ? args[1] : undefined,
        backlog: typeof args[1] === 'number' ? args[1] : (args[2] as number | undefined),
      };
    }
    if (callback !== undefined) this.once('listening', callback);

    let error: Error | undefined;
    const host = options.host;
    const address = host === undefined || host === '0.0.0.0' || host === '::' ? 0 : parseIpv4(host);
    if (this.#listener !== undefined) {
      error = new TcpError('EINVAL', 'server is already listening; close it first');
    } else if (address === undefined) {
      error = new TcpError('EINVAL', `invalid host "${host}": expected an IPv4 address in dotted-quad form`);
    } else {
      try {
        this.#listener = this.#layer.listen({
          port: Number(options.port ?? 0),
          address,
          backlog: options.backlog,
          handler: {
            onConnection: (connection) => this.#accept(connection),
            admitConnection: (remoteAddress, remotePort) => this.#admit(remoteAddress, remotePort),
          },
        });
        this.#closing = false;
      } catch (caught) {
        error = caught as Error;
      }
    }
    const failure = error;
    process.nextTick(() => {
      if (failure !== undefined) this.emit('error', failure);
      else this.emit('listening');
    });
    return this;
  }

  address(): TcpAddressInfo | null {
    const listener = this.#listener;
    if (listener === undefined) return null;
    return { address: formatIpv4(listener.address), family: 'IPv4', port: listener.port };
  }

  /**
   * Stops accepting connections; 'close' follows once every open socket
   * has closed. Handshakes not yet accepted are reset.
   */
  close(callback?: (error?: Error) => void): this {
    const listener = this.#listener;
    if (listener === undefined) {
      const error = new TcpError('EINVAL', 'server is not running');
      if (callback !== undefined) process.nextTick(() => callback(error));
      return this;
    }
    if (callback !== undefined) this.#closeCallbacks.push(callback);
    this.#listener = undefined;
    this.#closing = true;
    listener.close();
    this.#maybeEmitClose();
    return this;
  }

  getConnections(callback: (error: Error | null, count: number) => void): this {
    const count = this.#sockets.size;
    process.nextTick(() => callback(null, count));
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  #admit(remoteAddress: Ipv4Address, remotePort: number): boolean {
    const limit = this.maxConnections;
    if (this.#options.resetOverLimit !== true || limit === undefined || this.#sockets.size < limit) return true;
    const listener = this.#listener;
    this.emit('drop', {
      localAddress: listener === undefined ? undefined : formatIpv4(listener.address),
      localPort: listener?.port,
      remoteAddress: formatIpv4(remoteAddress),
      remotePort,
      remoteFamily: 'IPv4',
    });
    return false;
  }

  #accept(connection: TcpConnection): void {
    const socket = new TcpSocket({ allowHalfOpen: this.#options.allowHalfOpen });
    if (this.#options.noDelay === true) socket.setNoDelay(true);
    socket.attachConnection(connection, this.#layer);
    if (this.#options.keepAlive === true) socket.setKeepAlive(true, this.#options.keepAliveInitialDelay ?? 0);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#maybeEmitClose();
    });
    this.emit('connection', socket);
  }

  #maybeEmitClose(): void {
    if (!this.#closing || this.#sockets.size > 0) return;
    this.#closing = false;
    const callbacks = this.#closeCallbacks;
    this.#closeCallbacks = [];
    process.nextTick(() => {
      for (const callback of callbacks) callback();
      this.emit('close');
    });
  }
}

/** Creates a server, like `net.createServer`: `createServer(stack, options?, listener?)`. */
export function createServer(
  stack: TcpStack,
  optionsOrListener?: TcpServerOptions | ((socket: TcpSocket) => void),
  listener?: (socket: TcpSocket) => void,
): TcpServer {
  if (typeof optionsOrListener === 'function') return new TcpServer(stack, {}, optionsOrListener);
  return new TcpServer(stack, optionsOrListener ?? {}, listener);
}

/** Opens a connection, like `net.connect`: `connect(stack, { port, host }, listener?)`. */
export function connect(stack: TcpStack, options: TcpConnectOptions & TcpSocketOptions, listener?: () => void): TcpSocket {
  const socket = new TcpSocket({ ...options, stack });
  return socket.connect(options, listener);
}

export const createConnection = connect;
