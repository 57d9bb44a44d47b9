// A raw HTTP client for tests over an in-memory socket pair. It writes request
// bytes exactly as given and splits the server's output into responses. Tests
// can then assert status lines, header fields and body bytes, pipelining
// order and connection closes. Only what the tests need is understood:
// Content-Length bodies, chunked bodies and bodiless responses.
import type { HttpService } from '../../src/http';
import { createSocketPair, type MemorySocket, type SocketPairOptions } from './socket-pair';

export interface ParsedResponse {
  statusCode: number;
  statusLine: string;
  /** Header fields by lower-case name; repeated fields are joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export class HttpTestClient {
  readonly socket: MemorySocket;
  readonly serverSocket: MemorySocket;
  private received = Buffer.alloc(0);
  /** Responses already returned by responses(), and which of them were responses to HEAD. */
  private consumed = 0;
  private headFlagsSoFar: boolean[] = [];
  private closedFlag = false;
  private readonly waiters: Array<() => void> = [];

  constructor(service: HttpService, pairOptions: SocketPairOptions = {}) {
    [this.socket, this.serverSocket] = createSocketPair(pairOptions);
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    const onClosed = (): void => {
      this.closedFlag = true;
      this.wake();
    };
    this.socket.on('end', onClosed);
    this.socket.on('close', onClosed);
    this.socket.on('error', () => undefined);
    service.handleConnection(this.serverSocket);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get bytes(): Buffer {
    return this.received;
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /**
   * Waits for the next `count` complete responses; `headFlags[i]` marks the
   * responses to HEAD requests, which have no body.
   */
  async responses(count: number, headFlags: boolean[] = [], timeoutMs = 2000): Promise<ParsedResponse[]> {
    const flags = [...this.headFlagsSoFar, ...headFlags];
    const wanted = this.consumed + count;
    await this.until(() => {
      const parsed = splitResponses(this.received, flags);
      return parsed.responses.length >= wanted || (this.closedFlag && !parsed.incomplete);
    }, timeoutMs, `${count} responses`);
    const parsed = splitResponses(this.received, flags);
    if (parsed.responses.length < wanted) {
      throw new Error(`expected ${count} more responses, got ${parsed.responses.length - this.consumed}: ${JSON.stringify(this.received.toString('latin1').slice(0, 400))}`);
    }
    const result = parsed.responses.slice(this.consumed, wanted);
    this.headFlagsSoFar = flags.slice(0, wanted);
    while (this.headFlagsSoFar.length < wanted) this.headFlagsSoFar.push(false);
    this.consumed = wanted;
    return result;
  }

  async response(head = false, timeoutMs = 2000): Promise<ParsedResponse> {
    const [response] = await this.responses(1, [head], timeoutMs);
    return response;
  }

  async waitForClose(timeoutMs = 2000): Promise<void> {
    await this.until(() => this.closedFlag, timeoutMs, 'the connection to close');
  }

  /** Sends one request and returns its response. */
  async request(text: string, timeoutMs = 2000): Promise<ParsedResponse> {
    this.send(text);
    return this.response(text.startsWith('HEAD '), timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (!condition()) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(listener);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received.toString('latin1').slice(0, 400))}`));
      }, timeoutMs);
      const listener = (): void => {
        if (!check()) this.waiters.push(listener);
      };
      listener();
    });
  }

  private wake(): void {
    const waiting = this.waiters.splice(0);
    for (const waiter of waiting) waiter();
  }
}

/** Creates a client, sends one request, and returns its response. */
export async function fetchOnce(service: HttpService, text: string): Promise<ParsedResponse> {
  const client = new HttpTestClient(service);
  try {
    return await client.request(text);
  } finally {
    client.destroy();
  }
}

interface SplitResult {
  responses: ParsedResponse[];
  incomplete: boolean;
}

function splitResponses(bytes: Buffer, headFlags: boolean[]): SplitResult {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headerEnd = bytes.indexOf('\r\n\r\n', offset, 'latin1');
    if (headerEnd < 0) return { responses, incomplete: true };
    const lines = bytes.subarray(offset, headerEnd).toString('latin1').split('\r\n');
    const statusLine = lines[0];
    const statusCode = Number(statusLine.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }

    let cursor = headerEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    const bodiless = headFlags[responses.length] === true || statusCode === 204 || statusCode === 304 || (statusCode >= 100 && statusCode < 200);
    if (!bodiless && headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const pieces: Buffer[] = [];
      for (;;) {
        const sizeEnd = bytes.indexOf('\r\n', cursor, 'latin1');
        if (sizeEnd < 0) return { responses, incomplete: true };
        const size = parseInt(bytes.subarray(cursor, sizeEnd).toString('latin1'), 16);
        if (bytes.length < sizeEnd + 2 + size + 2) return { responses, incomplete: true };
        pieces.push(bytes.subarray(sizeEnd + 2, sizeEnd + 2 + size));
        cursor = sizeEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(pieces);
    } else if (!bodiless && headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (bytes.length < cursor + length) return { responses, incomplete: true };
      body = bytes.subarray(cursor, cursor + length);
      cursor += length;
    } else if (!bodiless) {
      // Close-delimited body: everything that follows.
      body = bytes.subarray(cursor);
      cursor = bytes.length;
    }
    responses.push({ statusCode, statusLine, headers, body: Buffer.from(body) });
    offset = cursor;
  }
  return { responses, incomplete: false };
}
