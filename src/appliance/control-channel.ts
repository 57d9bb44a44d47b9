// The control channel: a UNIX socket on which `minicache-ctl` triggers the
// actions that the original MiniCache took from XenStore control entries
// (mount, umount, remount, flush, prefetch, export-stats) and a few more.
// Protocol: the client sends one JSON line {"action": "...", "args": [...]},
// the appliance answers one JSON line {"ok": true, "output": "..."} or
// {"ok": false, "error": "..."} and closes the connection.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Logger } from '../log';

/** Maximum length of a UNIX socket path, in bytes (sun_path is 108 bytes, NUL included). */
const SOCKET_PATH_MAX_BYTES = 107;
/** Longest request line accepted, in bytes. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** Time a client has to send its request. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface ControlRequest {
  action: string;
  args: string[];
}

export type ControlResponse = { ok: true; output: string } | { ok: false; error: string };

/** Runs one action; resolves with its output or rejects with an Error whose message is sent back. */
export type ControlHandler = (request: ControlRequest) => Promise<string>;

export class ControlChannel {
  private server: net.Server | undefined;

  private constructor(
    readonly socketPath: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Listens on `socketPath` (mode 0600, only root may control the
   * appliance). A stale socket left by a crashed appliance is replaced; a
   * live one makes this fail with a message saying another appliance uses it.
   */
  static async open(socketPath: string, handler: ControlHandler, logger: Logger): Promise<ControlChannel> {
    const channel = new ControlChannel(socketPath, logger);
    if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX_BYTES) {
      throw new Error(`control socket path ${socketPath} is too long: a UNIX socket path has at most ${SOCKET_PATH_MAX_BYTES} bytes`);
    }
    fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
    const existing = fs.lstatSync(socketPath, { throwIfNoEntry: false });
    if (existing !== undefined) {
      // Only a socket left by an appliance that is gone is replaced; any
      // other file at the path is kept.
      if (!existing.isSocket()) throw new Error(`control socket path ${socketPath} exists and is not a socket (pass another --ctl PATH or -h)`);
      if (await isAlive(socketPath)) throw new Error(`control socket ${socketPath} is in use by another appliance (pass --ctl PATH or -h)`);
      fs.unlinkSync(socketPath);
    }
    // allowHalfOpen: a client may end its side after the request (echo ... | socat) and still get the reply.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => channel.serve(socket, handler));
    // The socket is created with mode 0600 from the start (umask 0177), so
    // no other user can connect before the chmod below. Node binds a UNIX
    // socket within listen() itself, so the umask is restored right after.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const previousUmask = process.umask(0o177);
      try {
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        process.umask(previousUmask);
      }
    });
    fs.chmodSync(socketPath, 0o600);
    server.unref();
    channel.server = server;
    return channel;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private serve(socket: net.Socket, handler: ControlHandler): void {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    const onData = (data: string): void => {
      buffered += data;
      if (buffered.length > MAX_REQUEST_BYTES) {
        socket.off('data', onData);
        this.reply(socket, { ok: false, error: 'request too long' });
        // Nothing more is read; a client that goes on sending is cut off.
        socket.once('finish', () => socket.destroy());
        return;
      }
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      const request = parseRequest(buffered.slice(0, newline));
      if (typeof request === 'string') {
        this.reply(socket, { ok: false, error: request });
        return;
      }
      const description = `${request.action}${request.args.length > 0 ? ' ' + request.args.join(' ') : ''}`;
      this.logger.info(`request: ${description}`);
      handler(request).then(
        (output) => this.reply(socket, { ok: true, output }),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.logger.warn(`request failed: ${description}: ${message}`);
          this.reply(socket, { ok: false, error: message });
        },
      );
    };
    socket.on('data', onData);
  }

  private reply(socket: net.Socket, response: ControlResponse): void {
    if (!socket.writable) return;
    socket.end(`${JSON.stringify(response)}\n`);
    // A client that never ends its side is let go after the request timeout.
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  }
}

function parseRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'request is not valid JSON';
  }
  if (typeof value !== 'object' || value === null) return 'request must be a JSON object';
  const { action, args } = value as { action?: unknown; args?: unknown };
  if (typeof action !== 'string' || action.length === 0) return 'request has no action';
  if (args !== undefined && (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))) return 'args must be an array of strings';
  return { action, args: (args as string[] | undefined) ?? [] };
}

/** Sends one request and returns the response (used by minicache-ctl and the tests). */
export function sendControlRequest(socketPath: string, request: ControlRequest, timeoutMs = 60_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let received = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no response from ${socketPath} within ${timeoutMs / 1000} s`));
    });
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (data: string) => {
      received += data;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? ' (is the appliance running, with its control channel enabled?)' : '';
      reject(new Error(`cannot reach the appliance at ${socketPath}: ${error.message}${hint}`));
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(received) as ControlResponse);
      } catch {
        reject(new Error(`malformed response from ${socketPath}`));
      }
    });
  });
}

function isAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
