// A telnet client for tests over an in-memory socket pair. It records the
// negotiation commands the server sends, optionally replies to them as a
// typical client does (DO ECHO, DO SUPPRESS-GO-AHEAD), and collects the data
// bytes as text so tests can run commands and compare their output.
import type { UShellService } from '../../src/ushell';
import { createSocketPair, type MemorySocket, type SocketPairOptions } from './socket-pair';

export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const SE = 240;
export const OPTION_ECHO = 1;
export const OPTION_SUPPRESS_GO_AHEAD = 3;

export const PROMPT = 'µsh# ';

export interface TelnetClientOptions extends SocketPairOptions {
  /** Reply DO to WILL ECHO and WILL SUPPRESS-GO-AHEAD (default true). */
  agree?: boolean;
}

export class TelnetTestClient {
  readonly socket: MemorySocket;
  /** Every byte received, commands included. */
  raw = Buffer.alloc(0);
  /** [verb, option] of every negotiation command received. */
  readonly negotiations: Array<[number, number]> = [];
  private data = Buffer.alloc(0);
  private ended = false;
  /** Offset in the data where the next runCommand starts reading. */
  private mark = 0;
  private state: 'data' | 'iac' | 'option' | 'sb' | 'sb-iac' = 'data';
  private verb = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(service: UShellService, private readonly options: TelnetClientOptions = {}) {
    const [client, server] = createSocketPair({ server: { address: '192.168.122.2', port: 23 }, ...options });
    this.socket = client;
    client.on('data', (chunk: Buffer) => this.receive(chunk));
    const onEnd = (): void => {
      this.ended = true;
      this.wake();
    };
    client.on('end', onEnd);
    client.on('close', onEnd);
    client.on('error', () => undefined);
    service.handleConnection(server);
  }

  /** Data received so far, as UTF-8 text without telnet commands. */
  get text(): string {
    return this.data.toString('utf8');
  }

  get closed(): boolean {
    return this.ended;
  }

  send(bytes: string | Buffer | number[]): void {
    this.socket.write(Array.isArray(bytes) ? Buffer.from(bytes) : bytes);
  }

  /** Waits until the text after the last mark contains `expected`. */
  async waitFor(expected: string | RegExp, timeoutMs = 2000): Promise<void> {
    const found = (): boolean => {
      const text = this.data.subarray(this.mark).toString('utf8');
      return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
    };
    await this.until(found, timeoutMs, `${String(expected)}`);
  }

  /** Waits for the banner and the first prompt. */
  async ready(): Promise<void> {
    await this.waitFor(PROMPT);
    this.mark = this.data.length;
  }

  /**
   * Sends a line (ended with CR LF) and returns the output up to the next
   * prompt, without the echoed line.
   */
  async runCommand(line: string, timeoutMs = 2000): Promise<string> {
    const start = this.data.length;
    this.mark = start;
    this.send(`${line}\r\n`);
    await this.until(() => this.data.subarray(start).toString('utf8').includes(PROMPT) || this.ended, timeoutMs, `the prompt after ${JSON.stringify(line)}`);
    const text = this.data.subarray(start).toString('utf8');
    const promptAt = text.lastIndexOf(PROMPT);
    const output = promptAt >= 0 ? text.slice(0, promptAt) : text;
    this.mark = this.data.length;
    const echoed = `${line}\r\n`;
    return output.startsWith(echoed) ? output.slice(echoed.length) : output;
  }

  async waitForClose(timeoutMs = 2000): Promise<void> {
    await this.until(() => this.ended, timeoutMs, 'the connection to close');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.raw = Buffer.concat([this.raw, chunk]);
    const data: number[] = [];
    for (const byte of chunk) {
      switch (this.state) {
        case 'data':
          if (byte === IAC) this.state = 'iac';
          else data.push(byte);
          break;
        case 'iac':
          if (byte === IAC) {
            data.push(IAC);
            this.state = 'data';
          } else if (byte >= WILL && byte <= DONT) {
            this.verb = byte;
            this.state = 'option';
          } else if (byte === SB) {
            this.state = 'sb';
          } else {
            this.state = 'data';
          }
          break;
        case 'option':
          this.negotiations.push([this.verb, byte]);
          this.answer(this.verb, byte);
          this.state = 'data';
          break;
        case 'sb':
          if (byte === IAC) this.state = 'sb-iac';
          break;
        case 'sb-iac':
          this.state = byte === SE ? 'data' : 'sb';
          break;
      }
    }
    this.data = Buffer.concat([this.data, Buffer.from(data)]);
    this.wake();
  }

  private answer(verb: number, option: number): void {
    if (this.options.agree === false || this.socket.writableEnded) return;
    if (verb === WILL && (option === OPTION_ECHO || option === OPTION_SUPPRESS_GO_AHEAD)) this.send([IAC, DO, option]);
  }

  private until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(check);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.data.subarray(this.mark).toString('utf8').slice(-600))}`));
      }, timeoutMs);
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
