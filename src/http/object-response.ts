// Responses for stored objects: preconditions, ranges, headers, and the body
// streamed from the volume with backpressure. The first piece of the body is
// read before the header goes out, so that a read error there becomes a 500.
// A read error after that cuts the connection, because that is the only
// signal left once a 200 or 206 header was sent.
import { validateHeaderValue, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from '../log';
import type { MountedVolume, ShfsEntry } from '../shfs/types';
import { evaluatePreconditions, ifRangeMatches, type Validators } from './conditional';
import { sendErrorResponse } from './error-response';
import type { DownloadTracker } from './object-statistics';
import { errorMessage } from './origin-connection';
import { contentRange, evaluateRange, unsatisfiedContentRange, type ByteRange } from './range';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export interface ObjectResponseContext {
  req: IncomingMessage;
  res: ServerResponse;
  volume: MountedVolume;
  entry: ShfsEntry;
  serverName: string;
  logger: Logger;
  /** Aborted when the client connection closes. */
  connectionClosed: AbortSignal;
  /** Resolves true when this response's turn on the connection has come, false when the connection closed first. */
  waitForTurn(): Promise<boolean>;
  /** Starts the progress counters of this object for a body of `size` bytes. */
  startDownload(size: number): DownloadTracker;
  countBodyBytes(count: number): void;
}

/** Responds to a GET or HEAD for a stored object; resolves when the body is under way or the response is done. */
export async function sendObject(context: ObjectResponseContext): Promise<void> {
  const { req, res, entry, serverName } = context;
  const method = req.method ?? 'GET';
  const lastModified = lastModifiedOf(entry);
  const validators: Validators = { etag: `"${entry.digestHex}"`, lastModified };
  const validatorHeaders: OutgoingHttpHeaders = { ETag: validators.etag, 'Last-Modified': lastModified.toUTCString() };

  const precondition = evaluatePreconditions(req.headers, method, validators);
  if (precondition === 'precondition-failed') {
    sendErrorResponse(res, 412, serverName, { headers: validatorHeaders });
    return;
  }
  if (precondition === 'not-modified') {
    res.writeHead(304, validatorHeaders);
    res.end();
    return;
  }

  // RFC 9110 section 14.2: range handling is defined for GET only.
  const size = entry.size;
  const rangeHeader = method === 'GET' ? applicableRange(req, validators) : undefined;
  const evaluation = evaluateRange(rangeHeader, size);
  if (evaluation.kind === 'unsatisfiable') {
    sendErrorResponse(res, 416, serverName, {
      headers: { 'Content-Range': unsatisfiedContentRange(size), 'Accept-Ranges': 'bytes', ...validatorHeaders },
    });
    return;
  }

  const partial = evaluation.kind === 'single';
  const range: ByteRange = partial ? evaluation.range : { start: 0, end: size };
  const headers: OutgoingHttpHeaders = {
    'Content-Type': headerValueOr('Content-Type', entry.mime, DEFAULT_CONTENT_TYPE),
    'Content-Length': range.end - range.start,
    'Accept-Ranges': 'bytes',
    ...validatorHeaders,
  };
  const encoding = headerValueOr('Content-Encoding', entry.encoding, '');
  if (encoding !== '') headers['Content-Encoding'] = encoding;
  if (partial) headers['Content-Range'] = contentRange(range, size);
  const status = partial ? 206 : 200;

  if (method === 'HEAD') {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  if (range.end === range.start) {
    const tracker = context.startDownload(size);
    res.writeHead(status, headers);
    res.end(() => tracker.finish(true));
    return;
  }
  await streamBody(context, status, headers, range);
}

/**
 * Returns the entry's creation time, or now when that lies in the future or
 * is no valid time: an origin server must not send a Last-Modified later
 * than the Date of its response (RFC 9110 section 8.8.2.1).
 */
function lastModifiedOf(entry: ShfsEntry): Date {
  const now = new Date();
  const created = entry.createdAt.getTime();
  return Number.isNaN(created) || created > now.getTime() ? now : entry.createdAt;
}

function applicableRange(req: IncomingMessage, validators: Validators): string | undefined {
  const range = req.headers.range;
  if (range === undefined) return undefined;
  // If-Range: ignore Range unless the client's copy is the current representation (section 13.1.5).
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && !ifRangeMatches(String(ifRange), validators)) return undefined;
  return range;
}

/**
 * Bodies up to this size are read whole and sent with one write: for small
 * objects the stream machinery (async iterator, pipeline, abort signals)
 * costs more than the bytes.
 */
export const SMALL_BODY_MAX_BYTES = 64 * 1024;

async function streamBody(context: ObjectResponseContext, status: number, headers: OutgoingHttpHeaders, range: ByteRange): Promise<void> {
  if (range.end - range.start <= SMALL_BODY_MAX_BYTES) {
    await sendSmallBody(context, status, headers, range);
    return;
  }
  const { res, volume, entry, logger } = context;
  const stream = volume.createReadStream(entry, range.start, range.end);
  // A response queued behind pipelined ones reads nothing before its turn, so
  // that a flood of pipelined requests cannot make the server buffer objects.
  if (!(await context.waitForTurn())) {
    stream.destroy();
    return;
  }
  const chunks: AsyncIterator<Buffer> = stream[Symbol.asyncIterator]();

  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (error) {
    stream.destroy();
    logger.error(`read error on ${entry.name} (?${entry.digestHex}) at byte ${range.start}: ${errorMessage(error)}; responding 500`);
    if (!res.destroyed) sendErrorResponse(res, 500, context.serverName);
    return;
  }
  if (res.destroyed || context.connectionClosed.aborted) {
    // The client left while the first read was in flight.
    stream.destroy();
    return;
  }

  const tracker = context.startDownload(entry.size);
  res.writeHead(status, headers);
  // A client that disconnects stops the reads at once, not only at the next write.
  res.once('close', () => {
    if (!res.writableFinished) stream.destroy();
  });
  const onConnectionClosed = (): void => {
    if (res.writableFinished) return;
    tracker.finish(false);
    stream.destroy();
    res.destroy();
  };
  context.connectionClosed.addEventListener('abort', onConnectionClosed, { once: true });

  async function* body(): AsyncGenerator<Buffer> {
    let next = first;
    while (next.done !== true) {
      context.countBodyBytes(next.value.length);
      tracker.addBytes(next.value.length);
      yield next.value;
      next = await chunks.next();
    }
  }

  pipeline(body, res, (error) => {
    context.connectionClosed.removeEventListener('abort', onConnectionClosed);
    tracker.finish(error === undefined || error === null);
    if (error === undefined || error === null) return;
    if (res.destroyed && !stream.errored) {
      logger.debug(`client left during the body of ${entry.name}`);
    } else {
      logger.error(`read error on ${entry.name} (?${entry.digestHex}) during the body: ${error.message}; closing the connection`);
    }
    stream.destroy();
    res.destroy();
  });
}

async function sendSmallBody(context: ObjectResponseContext, status: number, headers: OutgoingHttpHeaders, range: ByteRange): Promise<void> {
  const { res, volume, entry, logger } = context;
  // As in streamBody: a queued response reads nothing before its turn.
  if (!(await context.waitForTurn())) return;
  let body: Buffer;
  try {
    body = await volume.read(entry, range.start, range.end);
  } catch (error) {
    logger.error(`read error on ${entry.name} (?${entry.digestHex}) at byte ${range.start}: ${errorMessage(error)}; responding 500`);
    if (!res.destroyed) sendErrorResponse(res, 500, context.serverName);
    return;
  }
  if (res.destroyed || context.connectionClosed.aborted) return;

  const tracker = context.startDownload(entry.size);
  context.countBodyBytes(body.length);
  tracker.addBytes(body.length);
  res.writeHead(status, headers);
  res.once('close', () => {
    if (!res.writableFinished) tracker.finish(false);
  });
  res.end(body, () => tracker.finish(true));
}

function headerValueOr(name: string, value: string, fallback: string): string {
  if (value === '') return fallback;
  try {
    validateHeaderValue(name, value);
    return value;
  } catch {
    return fallback;
  }
}
