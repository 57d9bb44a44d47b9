// Two connected in-memory sockets shaped like net.Socket, for driving the
// HTTP server and µShell without any real network. Writes on one end become
// reads on the other. A write completes only when the peer has room in its
// read buffer, so backpressure behaves as it does on TCP.
import { Duplex } from 'node:stream';

export interface SocketEndpoint {
  address: string;
  port: number;
}

export interface SocketPairOptions {
  client?: SocketEndpoint;
  server?: SocketEndpoint;
  /** Read buffer size of each end in bytes (default 16 KiB). */
  highWaterMark?: number;
}

const DEFAULT_CLIENT: SocketEndpoint = { address: '192.168.122.1', port: 40000 };
const DEFAULT_SERVER: SocketEndpoint = { address: '192.168.122.2', port: 80 };

export class MemorySocket extends Duplex {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  readonly remoteFamily = 'IPv4';

  /** Bytes this end has written (accepted by the peer). */
  bytesWritten = 0;
  /** Bytes this end has received from the peer. */
  bytesRead = 0;
  noDelay = false;
  keepAlive = false;

  peer!: MemorySocket;
  private pendingWriteCallback: ((error?: Error | null) => void) | undefined;
  private readEnded = false;
  private idleTimeoutMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(local: SocketEndpoint, remote: SocketEndpoint, highWaterMark: number) {
    super({ allowHalfOpen: true, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    this.localAddress = local.address;
    this.localPort = local.port;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer.destroyed || peer.readEnded) {
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      return;
    }
    this.touch();
    this.bytesWritten += chunk.length;
    peer.receive(chunk);
    if (peer.readableLength < peer.readableHighWaterMark) callback();
    else this.pendingWriteCallback = callback;
  }

  override _read(): void {
    // The reader has room again: let the peer's stalled write complete.
    const callback = this.peer.pendingWriteCallback;
    if (callback !== undefined) {
      this.peer.pendingWriteCallback = undefined;
      callback();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer.endReading();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearIdleTimer();
    const pending = this.pendingWriteCallback;
    this.pendingWriteCallback = undefined;
    if (pending !== undefined) pending(Object.assign(new Error('socket destroyed'), { code: 'ERR_STREAM_DESTROYED' }));

    // A destroyed socket is a reset connection for the peer: it closes too.
    const peer = this.peer;
    if (!peer.destroyed) process.nextTick(() => peer.destroy());
    callback(error);
  }

  /** Emits 'timeout' after `ms` without reads or writes; 0 turns it off. */
  setTimeout(ms: number, callback?: () => void): this {
    this.idleTimeoutMs = ms;
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.touch();
    return this;
  }

  setNoDelay(noDelay = true): this {
    this.noDelay = noDelay;
    return this;
  }

  setKeepAlive(enable = false): this {
    this.keepAlive = enable;
    return this;
  }

  /** Ends the write side and destroys the socket once everything was written. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  private receive(chunk: Buffer): void {
    this.touch();
    this.bytesRead += chunk.length;
    this.push(chunk);
  }

  private endReading(): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.push(null);
  }

  private touch(): void {
    this.clearIdleTimer();
    if (this.idleTimeoutMs > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleTimeoutMs);
      this.idleTimer.unref();
    }
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** Returns [client, server]: the client end talks to the server end. */
export function createSocketPair(options: SocketPairOptions = {}): [MemorySocket, MemorySocket] {
  const clientEndpoint = options.client ?? DEFAULT_CLIENT;
  const serverEndpoint = options.server ?? DEFAULT_SERVER;
  const highWaterMark = options.highWaterMark ?? 16 * 1024;
  const client = new MemorySocket(clientEndpoint, serverEndpoint, highWaterMark);
  const server = new MemorySocket(serverEndpoint, clientEndpoint, highWaterMark);
  client.peer = server;
  server.peer = client;
  return [client, server];
}
