// µShell: the telnet management shell of the appliance (port 23) and its
// local session on the terminal. The appliance passes telnet connections from
// its TCP/IP stack to handleConnection(). At most MAX_TELNET_SESSIONS run at
// once, and the next one gets a message and is closed.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { SocketLike } from '../http/types';
import { createLogger, type Logger } from '../log';
import { registerBuiltinCommands } from './commands';
import { CommandRegistry, type ShellCommand } from './command-registry';
import type { ShellSessionInfo } from './command-session';
import type { ShellContext } from './context';
import { ShellSession } from './shell-session';

export const MAX_TELNET_SESSIONS = 8;
/** TCP keep-alive probes start after this much silence (the original used 60 s). */
export const TCP_KEEPALIVE_IDLE_MS = 60_000;

export type ShellSocket = Duplex & SocketLike;

export interface UShellServiceOptions {
  context: ShellContext;
  logger?: Logger;
  /** Telnet sessions at once (default MAX_TELNET_SESSIONS). */
  maxSessions?: number;
}

export interface LocalSessionOptions {
  input: Readable;
  output: Writable;
  /** Echo typed characters; true when the terminal is in raw mode. */
  echo: boolean;
}

export class UShellService {
  readonly registry = new CommandRegistry();
  private readonly context: ShellContext;
  private readonly logger: Logger;
  private readonly maxSessions: number;
  private readonly telnetSessions = new Map<ShellSession, ShellSocket>();
  private localSession: ShellSession | undefined;
  private closed = false;

  constructor(options: UShellServiceOptions) {
    this.context = options.context;
    this.logger = options.logger ?? createLogger('ushell');
    this.maxSessions = options.maxSessions ?? MAX_TELNET_SESSIONS;
    registerBuiltinCommands(this.registry);
  }

  registerCommand(command: ShellCommand): void {
    this.registry.registerCommand(command);
  }

  /** Runs a telnet session on a connection from the stack. */
  handleConnection(socket: ShellSocket): void {
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.on('error', (error: Error) => this.logger.debug(`telnet connection from ${peer} failed: ${error.message}`));
    if (this.telnetSessions.size >= this.maxSessions) {
      this.logger.info(`rejected telnet session from ${peer}: all ${this.maxSessions} sessions are in use`);
      socket.end(`µShell: all ${this.maxSessions} sessions are in use; please try again later.\r\n`);
      socket.once('finish', () => socket.destroy());
      return;
    }

    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_IDLE_MS);
    const session = new ShellSession({
      kind: 'telnet',
      name: `rsh${this.freeSessionNumber()}`,
      peer,
      input: socket,
      output: socket,
      context: this.context,
      registry: this.registry,
      banner: this.banner(),
      telnet: true,
      echo: false,
      respawn: false,
      endOutput: true,
      logger: this.logger,
      sessions: () => this.sessions(),
      onClose: (closed) => {
        this.telnetSessions.delete(closed);
        this.logger.info(`telnet session ${closed.info.name} from ${peer} closed`);
        if (typeof socket.destroySoon === 'function') socket.destroySoon();
        else socket.end();
      },
    });
    this.telnetSessions.set(session, socket);
    this.logger.info(`telnet session ${session.info.name} from ${peer} opened`);
    session.start();
  }

  /** Runs the session on the terminal; it starts over after exit and ends with its input. */
  startLocalSession(options: LocalSessionOptions): ShellSession {
    if (this.localSession !== undefined && !this.localSession.isClosed) throw new Error('a local µShell session is already running');
    const session = new ShellSession({
      kind: 'local',
      name: 'lsh0',
      input: options.input,
      output: options.output,
      context: this.context,
      registry: this.registry,
      banner: this.banner(),
      telnet: false,
      echo: options.echo,
      respawn: true,
      endOutput: false,
      logger: this.logger,
      sessions: () => this.sessions(),
      onClose: () => {
        this.localSession = undefined;
      },
    });
    this.localSession = session;
    session.start();
    return session;
  }

  sessions(): ShellSessionInfo[] {
    const infos = [...this.telnetSessions.keys()].map((session) => session.info);
    if (this.localSession !== undefined) infos.unshift(this.localSession.info);
    return infos.map((info) => ({ ...info }));
  }

  /** Closes every session; later connections are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [session, socket] of [...this.telnetSessions]) {
      session.close();
      socket.destroy();
    }
    this.localSession?.close();
  }

  private banner(): string {
    return `µShell of MiniCache for Linux ${this.context.version}\nType 'help' for the list of commands.`;
  }

  private freeSessionNumber(): number {
    const used = new Set([...this.telnetSessions.keys()].map((session) => session.info.name));
    let number = 0;
    while (used.has(`rsh${number}`)) number++;
    return number;
  }
}
