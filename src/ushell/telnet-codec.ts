// The telnet byte stream (RFC 854), split into data bytes and commands. IAC
// (255) starts a command, and IAC IAC is a data byte 255. WILL, WONT, DO and
// DONT take an option byte. SB ... IAC SE frames a subnegotiation, inside
// which IAC IAC is a 255 as well.

export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
/** Subnegotiation begin. */
export const SB = 250;
/** Go ahead. */
export const GA = 249;
/** Erase line. */
export const EL = 248;
/** Erase character. */
export const EC = 247;
/** Are you there. */
export const AYT = 246;
/** Abort output. */
export const AO = 245;
/** Interrupt process. */
export const IP = 244;
/** Break. */
export const BRK = 243;
/** Data mark. */
export const DM = 242;
export const NOP = 241;
/** Subnegotiation end. */
export const SE = 240;

/** Options: RFC 856 binary, RFC 857 echo, RFC 858 suppress go-ahead. */
export const OPTION_BINARY = 0;
export const OPTION_ECHO = 1;
export const OPTION_SUPPRESS_GO_AHEAD = 3;

export type NegotiationVerb = typeof WILL | typeof WONT | typeof DO | typeof DONT;

export interface TelnetHandlers {
  data(bytes: Buffer): void;
  negotiation(verb: NegotiationVerb, option: number): void;
  subnegotiation(option: number, data: Buffer): void;
  /** Two-byte commands: IP, EC, EL, AYT, AO, BRK, DM, NOP, GA. */
  command(code: number): void;
}

/** Maximum subnegotiation length kept, in bytes; longer ones are cut because no option here uses them. */
export const SUBNEGOTIATION_MAX_BYTES = 256;

const enum State {
  Data,
  Command,
  Option,
  Subnegotiation,
  SubnegotiationIac,
}

/** Splits incoming telnet bytes into data and commands; keeps state across chunks. */
export class TelnetDecoder {
  private state = State.Data;
  private verb: NegotiationVerb = WILL;
  private subnegotiation: number[] = [];

  constructor(private readonly handlers: TelnetHandlers) {}

  feed(chunk: Buffer): void {
    let dataStart = -1;
    const flushData = (end: number): void => {
      if (dataStart >= 0 && end > dataStart) this.handlers.data(chunk.subarray(dataStart, end));
      dataStart = -1;
    };

    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      switch (this.state) {
        case State.Data:
          if (byte === IAC) {
            flushData(i);
            this.state = State.Command;
          } else if (dataStart < 0) {
            dataStart = i;
          }
          break;

        case State.Command:
          this.state = State.Data;
          if (byte === IAC) {
            this.handlers.data(Buffer.from([IAC]));
          } else if (byte === WILL || byte === WONT || byte === DO || byte === DONT) {
            this.verb = byte;
            this.state = State.Option;
          } else if (byte === SB) {
            this.subnegotiation = [];
            this.state = State.Subnegotiation;
          } else {
            this.handlers.command(byte);
          }
          break;

        case State.Option:
          this.state = State.Data;
          this.handlers.negotiation(this.verb, byte);
          break;

        case State.Subnegotiation:
          if (byte === IAC) this.state = State.SubnegotiationIac;
          else this.keepSubnegotiationByte(byte);
          break;

        case State.SubnegotiationIac:
          if (byte === SE) {
            this.state = State.Data;
            const [option = 0, ...data] = this.subnegotiation;
            this.subnegotiation = [];
            this.handlers.subnegotiation(option, Buffer.from(data));
          } else {
            // IAC IAC inside a subnegotiation is a 255 data byte. RFC 854 does not say what another
            // command there means, so it is kept as data as well.
            this.state = State.Subnegotiation;
            this.keepSubnegotiationByte(byte);
          }
          break;
      }
    }
    flushData(chunk.length);
  }

  private keepSubnegotiationByte(byte: number): void {
    if (this.subnegotiation.length < SUBNEGOTIATION_MAX_BYTES) this.subnegotiation.push(byte);
  }
}

/** Doubles every IAC byte of outgoing data (RFC 854). */
export function escapeIac(data: Buffer): Buffer {
  if (!data.includes(IAC)) return data;
  const bytes: number[] = [];
  for (const byte of data) {
    bytes.push(byte);
    if (byte === IAC) bytes.push(IAC);
  }
  return Buffer.from(bytes);
}

export function negotiationBytes(verb: NegotiationVerb, option: number): Buffer {
  return Buffer.from([IAC, verb, option]);
}
