// Line-oriented logging to stderr: "<time> <level> <component>: <message>".
// One logger per component; the level is process-wide (--verbose turns on
// debug). Debug lines are cheap to skip: callers guard expensive messages
// with `logger.debugEnabled`.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const LEVEL_RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

let currentRank = LEVEL_RANK.info;
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

export function setLogLevel(level: LogLevel): void {
  currentRank = LEVEL_RANK[level];
}

/** Redirects every log line (tests capture them this way); returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

export class Logger {
  constructor(readonly component: string) {}

  get debugEnabled(): boolean {
    return currentRank >= LEVEL_RANK.debug;
  }

  error(message: string): void {
    this.write('error', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  info(message: string): void {
    this.write('info', message);
  }

  debug(message: string): void {
    if (currentRank >= LEVEL_RANK.debug) this.write('debug', message);
  }

  child(component: string): Logger {
    return new Logger(`${this.component}/${component}`);
  }

  private write(level: LogLevel, message: string): void {
    if (LEVEL_RANK[level] > currentRank) return;
    sink(`${new Date().toISOString()} ${level.padEnd(5)} ${this.component}: ${message}`);
  }
}

export function createLogger(component: string): Logger {
  return new Logger(component);
}
