// Public types of the HTTP service: its options, the socket shape it accepts,
// and the statistics and connection records that µShell prints.
import type { Duplex } from 'node:stream';
import type { Logger } from '../log';
import type { MountedVolume } from '../shfs/types';
import type { ObjectStatistics } from './object-statistics';

/** The net.Socket members the server uses besides stream.Duplex. */
export interface SocketLike {
  remoteAddress?: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
  setTimeout(ms: number, callback?: () => void): unknown;
  setNoDelay(noDelay?: boolean): unknown;
  setKeepAlive(enable?: boolean, initialDelay?: number): unknown;
  destroySoon?(): void;
}

export type HttpSocket = Duplex & SocketLike;

/** Time limits for fetching a link target from its origin, in milliseconds. */
export interface OriginTimeouts {
  /** Name resolution and TCP connection together. */
  connectMs: number;
  /** From sending the request to the response header. */
  responseMs: number;
  /** Maximum pause between two pieces of the response body. */
  idleMs: number;
}

export interface HttpServiceOptions {
  /** Returns the volume mounted now; it changes on mount and umount. */
  volume(): MountedVolume | undefined;
  /** Connections served at once (-c, default 1024); the next one gets 503 and is closed. */
  maxConnections: number;
  /** Server header, e.g. "MiniCache/0.1.0 (Linux)". */
  serverName: string;
  logger?: Logger;
  /** Opens a TCP connection to an origin through the appliance's own stack. */
  connectOrigin?(host: string, port: number): Promise<Duplex>;
  /** Resolves a host name through the appliance's DNS servers to a dotted quad. */
  resolveHost?(name: string): Promise<string>;
  /** Time without traffic after which a connection is closed, in ms. */
  idleTimeoutMs?: number;
  /** Time allowed for a request header once its first byte arrived, in ms. */
  headersTimeoutMs?: number;
  originTimeouts?: Partial<OriginTimeouts>;
  /** Clock for Date-independent bookkeeping (last access); defaults to the system time. */
  now?(): Date;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** Per-object statistics plus whether the object is on the mounted volume. */
export interface HttpObjectStatistics extends ObjectStatistics {
  available: boolean;
}

export interface HttpStatistics {
  connections: {
    /** Open connections that count against the limit. */
    current: number;
    max: number;
    /** Connections accepted since start, including rejected ones. */
    total: number;
    /** Connections that got a 503 because the limit was reached. */
    rejected: number;
  };
  /** Requests received since start, including rejected and malformed ones. */
  requests: number;
  /** Responses sent, by status class. */
  responses: Record<StatusClass, number>;
  /** Response body bytes handed to the sockets. */
  bodyBytesSent: number;
  /** Name lookups that found no object. */
  invalidRequests: number;
  /** Link requests whose origin was unreachable or failed. */
  originFailures: number;
  objects: HttpObjectStatistics[];
}

export type HttpConnectionState = 'idle' | 'responding' | 'proxying';

export interface HttpConnectionInfo {
  id: number;
  remoteAddress: string;
  remotePort: number;
  state: HttpConnectionState;
  /** The object of the response being sent now. */
  object?: { name: string; digestHex: string };
  requests: number;
  bodyBytesSent: number;
  openedAt: Date;
}
