// The HTTP server of the appliance. Node's own http server (llhttp) parses
// the requests, and the appliance passes it connections from its TCP/IP stack
// with handleConnection(). This service maps each GET or HEAD to an SHFS
// object, enforces the connection limit and the timeouts, and keeps the
// statistics that µShell and the statistics export read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createLogger, type Logger } from '../log';
import { ConnectionRecord } from './connection-record';
import { rawErrorResponse } from './error-pages';
import { sendErrorResponse } from './error-response';
import { RETRY_AFTER_SECONDS, sendLink } from './link-response';
import { describeReference, findObject, InvalidRequestTargetError, parseRequestTarget } from './object-lookup';
import { sendObject } from './object-response';
import { ObjectStatisticsTable } from './object-statistics';
import { errorMessage } from './origin-connection';
import { exportRecords, formatStatisticsExport } from './statistics-export';
import type {
  HttpConnectionInfo,
  HttpServiceOptions,
  HttpSocket,
  HttpStatistics,
  OriginTimeouts,
  StatusClass,
} from './types';

/** Maximum length of a request target in bytes; longer ones get 414. */
export const URL_MAX_BYTES = 8 * 1024;
/**
 * Largest request header section, request line included; larger ones get 431.
 * A request line beyond it also gets 431, because the parser stops before the
 * target ends.
 */
export const HEADERS_MAX_BYTES = 16 * 1024;
/** Keep-alive and inactivity limit; the original closed idle connections after 3 polls of 5 s. */
export const IDLE_TIMEOUT_MS = 15_000;
export const HEADERS_TIMEOUT_MS = 20_000;
/** TCP keep-alive probes start after this much silence (the original used 30 s). */
export const TCP_KEEPALIVE_IDLE_MS = 30_000;
/** Origin time limits of the original: 3 s to connect, 10 s to respond, 30 s between body pieces. */
export const ORIGIN_TIMEOUTS: OriginTimeouts = { connectMs: 3_000, responseMs: 10_000, idleMs: 30_000 };

/**
 * Pipelined requests a connection may have waiting for their responses. A
 * client that sends more is disconnected. Node parses every request it has
 * bytes for, and each waiting request takes about 6 KiB (measured on Node
 * 20), so a client that sends requests but reads no responses would make
 * memory grow without bound. A server may close a connection at any time,
 * and clients retry the requests left unanswered (RFC 9112 section 9.3.2).
 */
export const PIPELINED_REQUESTS_MAX = 32;

const SERVED_METHODS = 'GET, HEAD';
/** Methods of RFC 9110 section 9 and PATCH (RFC 5789): known, so 405; every other method is 501. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
// A method token (RFC 9110 section 9.1) followed by a space: the parser rejected a method, not garbage.
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /;

export class HttpService {
  private readonly server: Server;
  private readonly logger: Logger;
  private readonly serverName: string;
  private readonly maxConnections: number;
  private readonly headersTimeoutMs: number;
  private readonly originTimeouts: OriginTimeouts;
  private readonly now: () => Date;
  private readonly connectionRecords = new Map<HttpSocket, ConnectionRecord>();
  private readonly objectStatistics = new ObjectStatisticsTable();
  private readonly responses: Record<StatusClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  private nextConnectionId = 1;
  /** Open connections within the limit (those over it get 503 and are not counted). */
  private countedConnections = 0;
  private totalConnections = 0;
  private rejectedConnections = 0;
  private requests = 0;
  private bodyBytesSent = 0;
  private originFailures = 0;
  private closed = false;

  constructor(private readonly options: HttpServiceOptions) {
    if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) {
      throw new RangeError(`invalid maximum number of HTTP connections ${options.maxConnections}: expected a whole number of at least 1`);
    }
    this.logger = options.logger ?? createLogger('http');
    this.serverName = options.serverName;
    this.maxConnections = options.maxConnections;
    this.headersTimeoutMs = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    this.originTimeouts = { ...ORIGIN_TIMEOUTS, ...options.originTimeouts };
    this.now = options.now ?? (() => new Date());

    // The Host check is done here (see dispatch) so that its 400 carries a page like every other error.
    this.server = createServer({ maxHeaderSize: HEADERS_MAX_BYTES, requireHostHeader: false }, (req, res) => this.onRequest(req, res));
    // Both limits work through socket.setTimeout, which the stack's sockets provide.
    const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    this.server.timeout = idleTimeoutMs;
    this.server.keepAliveTimeout = idleTimeoutMs;
    this.server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => this.onClientError(error, socket as HttpSocket));
    this.server.on('connect', (req: IncomingMessage, socket) => this.onConnect(req, socket as HttpSocket));
  }

  /** Serves one client connection from the stack. */
  handleConnection(socket: HttpSocket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const overLimit = this.countedConnections >= this.maxConnections;
    const record = new ConnectionRecord(this.nextConnectionId++, socket, overLimit, this.now());
    this.connectionRecords.set(socket, record);
    if (!overLimit) this.countedConnections++;
    this.totalConnections++;
    if (overLimit) {
      this.rejectedConnections++;
      this.logger.debug(`connection ${record.id} from ${peerOf(socket)} is over the limit of ${this.maxConnections}; responding 503`);
    }

    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_IDLE_MS);
    // Registered before Node's own listener, so the header timer starts before the parser reads the bytes.
    socket.prependListener('data', () => this.onSocketData(record));
    socket.once('close', () => {
      record.clearHeadersTimer();
      record.closing.abort();
      if (this.connectionRecords.delete(socket) && !record.overLimit) this.countedConnections--;
    });
    this.server.emit('connection', socket);
  }

  statistics(): HttpStatistics {
    const volume = this.options.volume();
    const stored = new Set(volume?.entries().map((entry) => entry.digestHex) ?? []);
    return {
      connections: {
        current: this.countedConnections,
        max: this.maxConnections,
        total: this.totalConnections,
        rejected: this.rejectedConnections,
      },
      requests: this.requests,
      responses: { ...this.responses },
      bodyBytesSent: this.bodyBytesSent,
      invalidRequests: this.objectStatistics.invalidRequests,
      originFailures: this.originFailures,
      objects: this.objectStatistics.snapshot().map((record) => ({ ...record, available: stored.has(record.digestHex) })),
    };
  }

  connections(): HttpConnectionInfo[] {
    return [...this.connectionRecords.values()].map((record) => record.info());
  }

  /** Returns the statistics export (see statistics-export.ts), or undefined when nothing is mounted. */
  exportStatistics(): Buffer | undefined {
    const volume = this.options.volume();
    if (volume === undefined) return undefined;
    return formatStatisticsExport(exportRecords(volume, this.objectStatistics.snapshot()), volume.hashLength);
  }

  /** Closes every connection; later connections are destroyed at once. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [socket, record] of this.connectionRecords) {
      record.clearHeadersTimer();
      record.closing.abort();
      socket.destroy();
    }
    this.connectionRecords.clear();
    this.countedConnections = 0;
  }

  private onSocketData(record: ConnectionRecord): void {
    record.partialRequest = true;
    if (record.headersTimer === undefined) {
      record.headersTimer = setTimeout(() => this.onHeadersTimeout(record), this.headersTimeoutMs);
      record.headersTimer.unref();
    }
  }

  private onHeadersTimeout(record: ConnectionRecord): void {
    record.headersTimer = undefined;
    // While a response is going out the next request may wait; the idle timeout still applies.
    if (!record.partialRequest || record.activeResponses > 0) return;
    this.logger.debug(`connection ${record.id} from ${peerOf(record.socket)}: request header incomplete after ${this.headersTimeoutMs} ms; responding 408`);
    this.sendRaw(record.socket, 408);
  }

  private onClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: HttpSocket): void {
    const record = this.connectionRecords.get(socket);
    record?.clearHeadersTimer();
    if (!socket.writable || (record !== undefined && record.activeResponses > 0) || !error.code?.startsWith('HPE_')) {
      this.logger.debug(`connection from ${peerOf(socket)} failed: ${error.message}`);
      socket.destroy();
      return;
    }

    let status = 400;
    if (error.code === 'HPE_HEADER_OVERFLOW') status = 431;
    else if (error.code === 'HPE_INVALID_METHOD' && METHOD_TOKEN.test(error.rawPacket?.toString('latin1') ?? '')) status = 501;
    this.requests++;
    if (record !== undefined) record.requests++;
    this.logger.debug(`invalid request from ${peerOf(socket)} (${error.code}: ${error.message}); responding ${status}`);
    this.sendRaw(socket, status);
  }

  private onConnect(req: IncomingMessage, socket: HttpSocket): void {
    this.requests++;
    this.logger.debug(`CONNECT ${req.url ?? ''} from ${peerOf(socket)}; responding 405`);
    this.sendRaw(socket, 405, { Allow: SERVED_METHODS });
  }

  /** Writes a complete response straight to the socket and closes it. */
  private sendRaw(socket: HttpSocket, status: number, headers: Record<string, string> = {}): void {
    this.countResponse(status);
    socket.once('finish', () => socket.destroy());
    socket.end(rawErrorResponse(status, this.serverName, headers));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as unknown as HttpSocket;
    const record = this.connectionRecords.get(socket);
    if (record === undefined) {
      // Only sockets from handleConnection reach this server; anything else is a programming error.
      res.destroy();
      return;
    }

    this.requests++;
    record.requests++;
    record.partialRequest = false;
    record.clearHeadersTimer();
    if (record.activeResponses >= PIPELINED_REQUESTS_MAX) {
      if (!socket.destroyed) this.logger.debug(`connection ${record.id} from ${peerOf(socket)}: more than ${PIPELINED_REQUESTS_MAX} pipelined requests wait; closing it`);
      socket.destroy();
      return;
    }
    record.activeResponses++;
    record.state = 'responding';
    res.setHeader('Server', this.serverName);
    res.once('close', () => {
      record.activeResponses--;
      if (record.activeResponses === 0) {
        record.state = 'idle';
        record.object = undefined;
      }
      if (res.headersSent) this.countResponse(res.statusCode);
      this.logger.debug(`${peerOf(socket)} "${req.method} ${req.url}" ${res.headersSent ? res.statusCode : 'no response'}${res.writableFinished ? '' : ' (cut short)'}`);
    });

    this.dispatch(req, res, record).catch((error: unknown) => {
      this.logger.error(`request "${req.method} ${req.url}" from ${peerOf(socket)} failed: ${errorMessage(error)}`);
      sendErrorResponse(res, 500, this.serverName);
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, record: ConnectionRecord): Promise<void> {
    const method = req.method ?? '';
    const target = req.url ?? '/';

    if (record.overLimit) {
      sendErrorResponse(res, 503, this.serverName, {
        close: true,
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
        detail: `This cache serves at most ${this.maxConnections} connections at once. Please try again later.`,
      });
      return;
    }
    // llhttp accepts the versions 0.9 and 2.0 in a request line; this server speaks HTTP/1.x only.
    if (req.httpVersionMajor !== 1) {
      sendErrorResponse(res, 505, this.serverName, { close: true });
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      // The connection closes so that a request body need not be read and discarded.
      if (KNOWN_METHODS.has(method)) sendErrorResponse(res, 405, this.serverName, { close: true, headers: { Allow: SERVED_METHODS } });
      else sendErrorResponse(res, 501, this.serverName, { close: true });
      return;
    }
    // RFC 9112 section 3.2: a server responds 400 to an HTTP/1.1 request without Host, and to any
    // request with several Host lines or an invalid Host value. Node keeps only the first Host line.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      sendErrorResponse(res, 400, this.serverName, { detail: 'An HTTP/1.1 request needs a Host header field.' });
      return;
    }
    const hostProblem = hostFieldProblem(req.rawHeaders);
    if (hostProblem !== undefined) {
      sendErrorResponse(res, 400, this.serverName, { detail: hostProblem });
      return;
    }
    if (Buffer.byteLength(target, 'latin1') > URL_MAX_BYTES) {
      sendErrorResponse(res, 414, this.serverName);
      return;
    }

    const volume = this.options.volume();
    if (volume === undefined) {
      sendErrorResponse(res, 404, this.serverName, { detail: 'No volume is mounted on this cache.' });
      return;
    }

    let reference;
    try {
      reference = parseRequestTarget(target, volume.hashLength);
    } catch (error) {
      if (!(error instanceof InvalidRequestTargetError)) throw error;
      sendErrorResponse(res, 400, this.serverName, { detail: 'The request target contains a malformed percent-encoding.' });
      return;
    }

    const entry = findObject(volume, reference);
    if (entry === undefined) {
      if (reference.kind === 'digest') this.objectStatistics.recordMiss(reference.digestHex, this.now());
      else this.objectStatistics.recordInvalidRequest();
      this.logger.debug(`${describeReference(reference)} not found on volume ${volume.name}`);
      sendErrorResponse(res, 404, this.serverName);
      return;
    }

    this.objectStatistics.recordHit(entry.digestHex, this.now());
    record.object = { name: entry.name, digestHex: entry.digestHex };
    const counters = {
      connectionClosed: record.closing.signal,
      waitForTurn: () => record.waitForTurn(res),
      startDownload: (size: number) => this.objectStatistics.startDownload(entry.digestHex, size),
      countBodyBytes: (count: number) => {
        this.bodyBytesSent += count;
        record.bodyBytesSent += count;
      },
    };

    if (entry.link !== undefined) {
      record.state = 'proxying';
      await sendLink({
        req,
        res,
        entry,
        link: entry.link,
        serverName: this.serverName,
        logger: this.logger,
        origin: { connectOrigin: this.options.connectOrigin, resolveHost: this.options.resolveHost },
        timeouts: this.originTimeouts,
        countOriginFailure: () => this.originFailures++,
        ...counters,
      });
      return;
    }
    await sendObject({ req, res, volume, entry, serverName: this.serverName, logger: this.logger, ...counters });
  }

  private countResponse(status: number): void {
    const statusClass = `${Math.floor(status / 100)}xx` as StatusClass;
    if (statusClass in this.responses) this.responses[statusClass]++;
  }
}

/** uri-host [ ":" port ] (RFC 3986 section 3.2): an IP literal in brackets or reg-name characters, then digits. */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/;

/** Returns why the Host field lines of a request are invalid, or undefined when they are not. */
function hostFieldProblem(rawHeaders: readonly string[]): string | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'host') values.push(rawHeaders[i + 1]);
  }
  if (values.length > 1) return 'A request may carry only one Host header field.';
  if (values.length === 1 && !HOST_VALUE.test(values[0])) return 'The Host header field is not a valid host and port.';
  return undefined;
}

function peerOf(socket: HttpSocket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
