// Responses for link entries (flag L). A redirect link gets a 307 to the
// origin URL. A raw link fetches http://host:port/path from the origin through
// the appliance's stack and streams status, the useful headers and the body
// to the client. Its error statuses are 503 when the origin is unreachable,
// 502 when the origin sends no valid response and 504 when it sends none in
// time. An auto link is a raw link that falls back to the 307 redirect when
// the origin is unreachable.
import { request as httpRequest, validateHeaderValue, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import type { Logger } from '../log';
import type { ShfsEntry, ShfsLink } from '../shfs/types';
import { escapeHtml, HTML_CONTENT_TYPE } from './error-pages';
import { sendErrorResponse } from './error-response';
import type { DownloadTracker } from './object-statistics';
import { connectToOrigin, errorMessage, linkRequestPath, linkUrl, originAuthority, OriginUnreachableError, type OriginAccess } from './origin-connection';
import type { OriginTimeouts } from './types';

/** Seconds a client is asked to wait after a 503 (Retry-After). */
export const RETRY_AFTER_SECONDS = 2;

/** Request header fields passed on to the origin, so validators and ranges keep working. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-encoding',
  'accept-language',
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
];

/** Response header fields passed on to the client; connection-specific fields are not among them. */
const FORWARDED_RESPONSE_HEADERS: Record<string, string> = {
  'content-type': 'Content-Type',
  'content-length': 'Content-Length',
  'content-range': 'Content-Range',
  'content-encoding': 'Content-Encoding',
  'content-language': 'Content-Language',
  'content-disposition': 'Content-Disposition',
  'last-modified': 'Last-Modified',
  etag: 'ETag',
  'accept-ranges': 'Accept-Ranges',
  'cache-control': 'Cache-Control',
  expires: 'Expires',
  vary: 'Vary',
  location: 'Location',
  age: 'Age',
  'retry-after': 'Retry-After',
};

export interface LinkResponseContext {
  req: IncomingMessage;
  res: ServerResponse;
  entry: ShfsEntry;
  link: ShfsLink;
  serverName: string;
  logger: Logger;
  /** Aborted when the client connection closes. */
  connectionClosed: AbortSignal;
  /** Resolves true when this response's turn on the connection has come, false when the connection closed first. */
  waitForTurn(): Promise<boolean>;
  origin: OriginAccess;
  timeouts: OriginTimeouts;
  /** Starts the progress counters of this object for a body of `size` bytes. */
  startDownload(size: number): DownloadTracker;
  countBodyBytes(count: number): void;
  countOriginFailure(): void;
}

class OriginTimeoutError extends Error {
  constructor(origin: string, what: string, timeoutMs: number) {
    super(`origin ${origin} sent no ${what} within ${timeoutMs} ms`);
    this.name = 'OriginTimeoutError';
  }
}

/** Responds to a request for a link entry; resolves when the response is done. */
export async function sendLink(context: LinkResponseContext): Promise<void> {
  const { link } = context;
  if (link.type === 'redirect') {
    sendRedirect(context);
    return;
  }

  // A response queued behind pipelined ones opens no origin connection before its turn.
  if (!(await context.waitForTurn())) return;

  let socket: Duplex;
  try {
    socket = await connectToOrigin(link, context.origin, context.timeouts.connectMs);
  } catch (error) {
    context.countOriginFailure();
    if (link.type === 'auto') {
      context.logger.info(`${errorMessage(error)}; redirecting the client to ${linkUrl(link)}`);
      sendRedirect(context);
      return;
    }
    context.logger.warn(`${errorMessage(error)}; responding 503 for ${context.entry.name}`);
    sendErrorResponse(context.res, 503, context.serverName, {
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      detail: error instanceof OriginUnreachableError ? 'The origin server of this object cannot be reached at the moment.' : undefined,
    });
    return;
  }

  if (context.res.destroyed || context.connectionClosed.aborted) {
    socket.destroy();
    return;
  }
  try {
    await proxyFromOrigin(context, socket);
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

function sendRedirect(context: LinkResponseContext): void {
  const { res, link } = context;
  const location = linkUrl(link);
  try {
    validateHeaderValue('Location', location);
  } catch {
    sendErrorResponse(res, 500, context.serverName, { detail: 'The link target of this object cannot be sent as a Location.' });
    return;
  }
  const body = Buffer.from(
    '<!DOCTYPE html>\n' +
      '<html lang="en"><head><meta charset="utf-8"><title>307 Temporary Redirect</title></head>\n' +
      `<body><h1>307 Temporary Redirect</h1>\n<p>This object is served by <a href="${escapeHtml(location)}">${escapeHtml(location)}</a>.</p>\n` +
      `<hr><address>${escapeHtml(context.serverName)}</address></body></html>\n`,
    'utf8',
  );
  res.writeHead(307, {
    Location: location,
    'Content-Type': HTML_CONTENT_TYPE,
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
  });
  res.end(body);
}

function proxyFromOrigin(context: LinkResponseContext, socket: Duplex): Promise<void> {
  const { req, res, link, timeouts, logger } = context;
  const origin = originAuthority(link);
  const method = req.method === 'HEAD' ? 'HEAD' : 'GET';

  return new Promise<void>((resolve) => {
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(responseTimer);
      context.connectionClosed.removeEventListener('abort', onConnectionClosed);
      resolve();
    };
    // A response queued behind a pipelined one gets no 'close' when the client leaves.
    const onConnectionClosed = (): void => {
      originRequest.destroy();
      res.destroy();
      settle();
    };

    // createConnection hands over the stack's socket; without it Node would open a kernel socket.
    const originRequest = httpRequest({
      createConnection: () => socket,
      method,
      path: linkRequestPath(link),
      headers: originRequestHeaders(req.headers, link, context.serverName),
      setHost: false,
    });

    context.connectionClosed.addEventListener('abort', onConnectionClosed, { once: true });
    const responseTimer = setTimeout(() => originRequest.destroy(new OriginTimeoutError(origin, 'response', timeouts.responseMs)), timeouts.responseMs);

    // A client that leaves ends the origin fetch too.
    res.once('close', () => {
      if (!res.writableFinished) originRequest.destroy();
      settle();
    });

    originRequest.on('error', (error: Error) => {
      if (settled) return;
      if (res.headersSent || res.destroyed) {
        res.destroy();
        settle();
        return;
      }
      context.countOriginFailure();
      const status = error instanceof OriginTimeoutError ? 504 : 502;
      logger.warn(`origin ${origin} failed for ${context.entry.name}: ${error.message}; responding ${status}`);
      sendErrorResponse(res, status, context.serverName);
      settle();
    });

    originRequest.once('response', (originResponse: IncomingMessage) => {
      clearTimeout(responseTimer);
      relayResponse(context, originResponse, () => originRequest.destroy(new OriginTimeoutError(origin, 'body data', timeouts.idleMs)));
      pipeline(originResponse, res, (error) => {
        if (error !== undefined && error !== null) {
          logger.debug(`relaying ${origin}/${link.path} stopped: ${error.message}`);
          res.destroy();
        }
        settle();
      });
    });

    originRequest.end();
  });
}

/** Sends the origin's status and headers, and counts the body as it passes; `onIdle` runs when the body stalls. */
function relayResponse(context: LinkResponseContext, originResponse: IncomingMessage, onIdle: () => void): void {
  const { res, timeouts } = context;
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(originResponse.headers)) {
    const canonical = FORWARDED_RESPONSE_HEADERS[name];
    if (canonical !== undefined && value !== undefined) headers[canonical] = value;
  }
  res.writeHead(originResponse.statusCode ?? 502, headers);

  const declaredLength = Number(originResponse.headers['content-length'] ?? 0);
  const tracker = context.startDownload(Number.isFinite(declaredLength) ? declaredLength : 0);
  const idleTimer = setTimeout(onIdle, timeouts.idleMs);
  originResponse.on('data', (chunk: Buffer) => {
    idleTimer.refresh();
    context.countBodyBytes(chunk.length);
    tracker.addBytes(chunk.length);
  });
  originResponse.once('end', () => clearTimeout(idleTimer));
  const onConnectionClosed = (): void => {
    clearTimeout(idleTimer);
    tracker.finish(res.writableFinished);
  };
  context.connectionClosed.addEventListener('abort', onConnectionClosed, { once: true });
  res.once('close', () => {
    clearTimeout(idleTimer);
    context.connectionClosed.removeEventListener('abort', onConnectionClosed);
    tracker.finish(res.writableFinished);
  });
}

function originRequestHeaders(clientHeaders: IncomingHttpHeaders, link: ShfsLink, serverName: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    // RFC 9110 section 7.2: the port is left out when it is the default for http.
    Host: link.port === 80 ? originAuthority(link).replace(/:80$/, '') : originAuthority(link),
    'User-Agent': serverName,
    Connection: 'close',
  };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = clientHeaders[name];
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
