// Line editing of a shell session, one input byte at a time. CR LF, CR NUL
// (RFC 854, how telnet clients send Return) and a bare LF end a line;
// backspace and DEL erase one character, ^U the whole line, ^C cancels the
// line and ^D on an empty line ends the session. Bytes of 0x80 and above are
// kept, so UTF-8 names can be typed; escape sequences of cursor keys are
// skipped. A line is limited to `maxBytes` bytes, and more input rings the bell.

export const LINE_MAX_BYTES = 1024;

const NUL = 0x00;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BELL = 0x07;
const BACKSPACE = 0x08;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const CTRL_U = 0x15;
const ESC = 0x1b;
const DEL = 0x7f;
const CSI_INTRODUCER = 0x5b;
const SS3_INTRODUCER = 0x4f;

export type LineEvent = { kind: 'line'; line: string } | { kind: 'cancel' } | { kind: 'end-of-input' };

const enum InputState {
  Normal,
  AfterCr,
  Escape,
  ControlSequence,
  SingleShift,
}

export class LineEditor {
  /** Whether typed characters are echoed through `echo`. */
  echoing: boolean;
  private bytes: number[] = [];
  private state = InputState.Normal;
  /** Continuation bytes still expected for the UTF-8 sequence being typed. */
  private continuation = 0;
  /** True while the bytes of a UTF-8 sequence that did not fit are dropped. */
  private droppingSequence = false;

  constructor(
    private readonly echo: (bytes: Buffer) => void,
    echoing: boolean,
    private readonly maxBytes = LINE_MAX_BYTES,
  ) {
    this.echoing = echoing;
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Handles one byte; returns an event when the line is complete, cancelled or input ends. */
  feed(byte: number): LineEvent | undefined {
    switch (this.state) {
      case InputState.AfterCr:
        this.state = InputState.Normal;
        // CR LF and CR NUL are one line end; the second byte was already acted on.
        if (byte === LF || byte === NUL) return undefined;
        break;
      case InputState.Escape:
        // ESC [ starts a control sequence, ESC O a single shift (cursor keys in application mode).
        this.state = InputState.Normal;
        if (byte === CSI_INTRODUCER) this.state = InputState.ControlSequence;
        else if (byte === SS3_INTRODUCER) this.state = InputState.SingleShift;
        // A control character ends the sequence and still acts, so that ESC and Return runs the line.
        else if (isControlCharacter(byte)) break;
        return undefined;
      case InputState.ControlSequence:
        // Parameter and intermediate bytes (0x20..0x3f) continue a control sequence and a byte in
        // 0x40..0x7e ends it (ECMA-48 section 5.4). Anything else cuts it short and acts as usual.
        if (byte >= 0x20 && byte <= 0x7e) {
          if (byte >= 0x40) this.state = InputState.Normal;
          return undefined;
        }
        this.state = InputState.Normal;
        break;
      case InputState.SingleShift:
        this.state = InputState.Normal;
        if (isControlCharacter(byte)) break;
        return undefined;
      case InputState.Normal:
        break;
    }

    switch (byte) {
      case CR:
        this.state = InputState.AfterCr;
        return this.completeLine();
      case LF:
        return this.completeLine();
      case BACKSPACE:
      case DEL:
        this.eraseCharacter();
        return undefined;
      case CTRL_U:
        this.eraseLine();
        return undefined;
      case CTRL_C:
        this.reset();
        this.write('^C\r\n');
        return { kind: 'cancel' };
      case CTRL_D:
        if (this.bytes.length === 0) return { kind: 'end-of-input' };
        this.write(Buffer.from([BELL]));
        return undefined;
      case ESC:
        this.state = InputState.Escape;
        return undefined;
      case TAB:
        this.insert(0x20);
        return undefined;
      default:
        if (byte >= 0x20) this.insert(byte);
        return undefined;
    }
  }

  eraseCharacter(): void {
    if (this.bytes.length === 0) return;
    // Remove a whole UTF-8 sequence: its continuation bytes, then its lead byte.
    while (this.bytes.length > 0 && isContinuationByte(this.bytes[this.bytes.length - 1])) this.bytes.pop();
    this.bytes.pop();
    this.continuation = 0;
    this.write('\b \b');
  }

  eraseLine(): void {
    const characters = Buffer.from(this.bytes).toString('utf8').length;
    this.bytes = [];
    this.continuation = 0;
    if (characters > 0) this.write('\b \b'.repeat(characters));
  }

  /** Forgets the line without echoing anything. */
  reset(): void {
    this.bytes = [];
    this.continuation = 0;
    this.droppingSequence = false;
    this.state = InputState.Normal;
  }

  private insert(byte: number): void {
    if (isContinuationByte(byte)) {
      if (this.droppingSequence || this.continuation === 0) return;
      this.continuation--;
      this.bytes.push(byte);
      this.write(Buffer.from([byte]));
      return;
    }

    const needed = 1 + utf8ContinuationCount(byte);
    if (this.bytes.length + needed > this.maxBytes) {
      this.droppingSequence = needed > 1;
      this.write(Buffer.from([BELL]));
      return;
    }
    this.droppingSequence = false;
    this.continuation = needed - 1;
    this.bytes.push(byte);
    this.write(Buffer.from([byte]));
  }

  private completeLine(): LineEvent {
    const line = Buffer.from(this.bytes).toString('utf8');
    this.bytes = [];
    this.continuation = 0;
    this.droppingSequence = false;
    this.write('\r\n');
    return { kind: 'line', line };
  }

  private write(text: string | Buffer): void {
    if (this.echoing) this.echo(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  }
}

function isControlCharacter(byte: number): boolean {
  return byte < 0x20 || byte === DEL;
}

function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

function utf8ContinuationCount(leadByte: number): number {
  if (leadByte >= 0xf0) return 3;
  if (leadByte >= 0xe0) return 2;
  if (leadByte >= 0xc0) return 1;
  return 0;
}
