// One µShell session: a telnet connection or the local terminal. Input bytes
// go through the telnet decoder (telnet sessions only) and the line editor.
// A complete line runs as a command, and further input waits until it ends.
// Only ^C is acted on at once, because it aborts the running command.
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../log';
import { splitCommandLine } from './command-line';
import { EXIT_FAILURE, EXIT_SUCCESS, type CommandRegistry } from './command-registry';
import type { CommandSession, SessionKind, ShellSessionInfo } from './command-session';
import type { ShellContext } from './context';
import { LineEditor } from './line-editor';
import {
  AO,
  AYT,
  BRK,
  EC,
  EL,
  escapeIac,
  IP,
  negotiationBytes,
  TelnetDecoder,
  type NegotiationVerb,
} from './telnet-codec';
import { TelnetNegotiation } from './telnet-negotiation';

export const PROMPT = 'µsh# ';
export const GOODBYE = 'logout';
/** Input typed while a command runs is kept up to this many bytes, then dropped. */
export const TYPEAHEAD_MAX_BYTES = 4096;
/**
 * Output waiting for the client beyond which the session stops reading its
 * input. Every input byte can cause output (echo, a bell, a telnet reply),
 * so a client that sends without reading would otherwise make the session
 * buffer without bound.
 */
export const OUTPUT_BACKLOG_MAX_BYTES = 64 * 1024;
/** Input is decoded in pieces of this size, so that the output backlog is checked between them. */
const INPUT_PIECE_BYTES = 256;

const CTRL_C = 0x03;
const CTRL_U = 0x15;
const DEL = 0x7f;

export interface ShellSessionOptions {
  kind: SessionKind;
  name: string;
  peer?: string;
  input: Readable;
  output: Writable;
  context: ShellContext;
  registry: CommandRegistry;
  banner: string;
  /** Decode telnet commands and negotiate options (telnet sessions). */
  telnet: boolean;
  /** Echo typed characters from the start (local sessions on a raw-mode terminal). */
  echo: boolean;
  /** Start over with the banner after exit instead of closing (the local session). */
  respawn: boolean;
  /** End the output stream when the session ends (true for a socket, false for stdout). */
  endOutput: boolean;
  logger: Logger;
  sessions(): ShellSessionInfo[];
  onClose(session: ShellSession): void;
}

export class ShellSession implements CommandSession {
  readonly context: ShellContext;
  readonly registry: CommandRegistry;
  readonly info: ShellSessionInfo;

  private readonly options: ShellSessionOptions;
  private readonly editor: LineEditor;
  private readonly decoder: TelnetDecoder | undefined;
  private readonly negotiation: TelnetNegotiation | undefined;
  private readonly pending: number[] = [];
  /** Input received but not decoded yet, because the output backlog is too long. */
  private readonly undecoded: Buffer[] = [];
  private inputHeld = false;
  private abortController = new AbortController();
  private running = false;
  private exitRequested = false;
  /** The client finished sending; the session ends once the lines it sent have run. */
  private inputEnded = false;
  private closed = false;

  constructor(options: ShellSessionOptions) {
    this.options = options;
    this.context = options.context;
    this.registry = options.registry;
    this.info = { name: options.name, kind: options.kind, peer: options.peer, startedAt: options.context.now() };
    this.editor = new LineEditor((bytes) => this.writeBytes(bytes), options.echo);

    if (options.telnet) {
      this.negotiation = new TelnetNegotiation((verb, option) => this.sendNegotiation(verb, option));
      this.decoder = new TelnetDecoder({
        data: (bytes) => {
          for (const byte of bytes) this.acceptByte(byte);
        },
        negotiation: (verb, option) => {
          this.negotiation?.receive(verb, option);
          this.editor.echoing = this.negotiation?.echoing ?? false;
        },
        subnegotiation: (option) => this.options.logger.debug(`${this.info.name}: ignored subnegotiation of option ${option}`),
        command: (code) => this.onTelnetCommand(code),
      });
    }
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  start(): void {
    const { input } = this.options;
    this.negotiation?.start();
    this.greet();
    input.on('data', (chunk: Buffer | string) => this.onInput(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
    input.once('end', () => {
      this.inputEnded = true;
      this.processPending();
    });
    input.once('close', () => this.close());
    input.on('error', (error: Error) => {
      this.options.logger.debug(`${this.info.name}: input failed: ${error.message}`);
      this.close();
    });
  }

  write(data: string | Buffer): boolean {
    if (typeof data === 'string') return this.writeBytes(Buffer.from(data.replace(/(?<!\r)\n/g, '\r\n'), 'utf8'));
    return this.writeBytes(data);
  }

  print(line = ''): void {
    this.write(`${line}\n`);
  }

  drained(): Promise<void> {
    const { output } = this.options;
    if (this.closed || !output.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        output.off('drain', done);
        output.off('close', done);
        resolve();
      };
      output.once('drain', done);
      output.once('close', done);
    });
  }

  async execute(words: readonly string[]): Promise<number> {
    const [name, ...args] = words;
    const command = this.registry.find(name);
    if (command === undefined) {
      this.print(`Unknown command: ${name}. Type 'help' for the list of commands.`);
      return EXIT_FAILURE;
    }
    // Commands that run others (repeat, xargs) would otherwise print faster than a slow client reads.
    await this.drained();
    try {
      const status = await command.run(args, this);
      return status ?? EXIT_SUCCESS;
    } catch (error) {
      this.print(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      this.options.logger.debug(`${this.info.name}: command ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return EXIT_FAILURE;
    }
  }

  sleep(ms: number): Promise<boolean> {
    const signal = this.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  exit(): void {
    this.exitRequested = true;
  }

  sessions(): ShellSessionInfo[] {
    return this.options.sessions();
  }

  /** Ends the session now, as when the client disconnects. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abortController.abort();
    this.options.onClose(this);
  }

  private onInput(chunk: Buffer): void {
    if (this.closed) return;
    this.undecoded.push(chunk);
    this.decodeInput();
  }

  private decodeInput(): void {
    while (this.undecoded.length > 0 && !this.closed) {
      if (this.outputCongested()) {
        this.holdInput();
        return;
      }
      const chunk = this.undecoded[0];
      const piece = chunk.subarray(0, INPUT_PIECE_BYTES);
      if (piece.length === chunk.length) this.undecoded.shift();
      else this.undecoded[0] = chunk.subarray(INPUT_PIECE_BYTES);

      if (this.decoder !== undefined) this.decoder.feed(piece);
      else for (const byte of piece) this.acceptByte(byte);
      this.processPending();
    }
  }

  private outputCongested(): boolean {
    const { output } = this.options;
    return output.writableNeedDrain && output.writableLength > OUTPUT_BACKLOG_MAX_BYTES;
  }

  /**
   * Stops reading input until the output drains. A ^C sent meanwhile waits
   * too, but a client that does not read sees no output to interrupt.
   */
  private holdInput(): void {
    if (this.inputHeld) return;
    this.inputHeld = true;
    const { input, output } = this.options;
    input.pause();
    output.once('drain', () => {
      this.inputHeld = false;
      if (this.closed) return;
      input.resume();
      this.decodeInput();
    });
  }

  private acceptByte(byte: number): void {
    if (this.running && byte === CTRL_C) {
      this.interruptCommand();
      return;
    }
    if (this.pending.length < TYPEAHEAD_MAX_BYTES) this.pending.push(byte);
  }

  private onTelnetCommand(code: number): void {
    switch (code) {
      case IP:
      case BRK:
        this.acceptByte(CTRL_C);
        break;
      case AO:
        if (this.running) this.interruptCommand();
        break;
      case EC:
        this.acceptByte(DEL);
        break;
      case EL:
        this.acceptByte(CTRL_U);
        break;
      case AYT:
        this.write('\n[µShell: yes]\n');
        break;
      default:
        // NOP, DM and GA carry nothing for a line-based shell.
        break;
    }
  }

  private interruptCommand(): void {
    if (this.abortController.signal.aborted) return;
    this.write('^C\n');
    this.abortController.abort();
  }

  private processPending(): void {
    while (!this.running && !this.closed && this.pending.length > 0) {
      const event = this.editor.feed(this.pending.shift() as number);
      if (event === undefined) continue;
      switch (event.kind) {
        case 'line':
          this.running = true;
          void this.runLine(event.line);
          break;
        case 'cancel':
          this.prompt();
          break;
        case 'end-of-input':
          if (this.editor.echoing) this.write('\n');
          this.finishExit();
          break;
      }
    }
    if (this.inputEnded && !this.running && !this.closed) this.endSession();
  }

  private async runLine(line: string): Promise<void> {
    let words: string[] = [];
    try {
      words = splitCommandLine(line);
    } catch (error) {
      this.print(`µsh: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (words.length > 0) await this.execute(words);

    this.running = false;
    if (this.abortController.signal.aborted && !this.closed) this.abortController = new AbortController();
    if (this.closed) return;
    if (this.exitRequested) {
      this.finishExit();
      return;
    }
    this.prompt();
    this.processPending();
  }

  private greet(): void {
    this.write(`\n${this.options.banner}\n`);
    this.prompt();
  }

  private prompt(): void {
    this.write(PROMPT);
  }

  private finishExit(): void {
    this.exitRequested = false;
    this.print(GOODBYE);
    // A session closed meanwhile (the appliance halting) does not start over.
    if (this.options.respawn && !this.inputEnded && !this.closed) {
      this.pending.length = 0;
      this.editor.reset();
      this.greet();
      return;
    }
    this.endSession();
  }

  private endSession(): void {
    this.pending.length = 0;
    if (this.options.endOutput) this.options.output.end();
    this.close();
  }

  private sendNegotiation(verb: NegotiationVerb, option: number): void {
    this.rawWrite(negotiationBytes(verb, option));
  }

  private writeBytes(bytes: Buffer): boolean {
    return this.rawWrite(this.options.telnet ? escapeIac(bytes) : bytes);
  }

  private rawWrite(bytes: Buffer): boolean {
    const { output } = this.options;
    if (this.closed || output.destroyed || output.writableEnded) return true;
    return output.write(bytes);
  }
}
