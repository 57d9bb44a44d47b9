// Telnet option negotiation of the server side. The server offers ECHO
// (RFC 857) and SUPPRESS-GO-AHEAD (RFC 858) at the start, accepts the
// client's SUPPRESS-GO-AHEAD, and refuses every other option. It replies to a
// request only when the request changes the option's state, so two parties
// that follow this rule cannot loop (RFC 854, and the state machine of RFC
// 1143 section 7 reduced to the options used here).
import { DO, DONT, OPTION_ECHO, OPTION_SUPPRESS_GO_AHEAD, WILL, WONT, type NegotiationVerb } from './telnet-codec';

type OptionState = 'no' | 'yes' | 'wanted';

/** Options this server performs itself when asked (DO). */
const LOCAL_OPTIONS = new Set([OPTION_ECHO, OPTION_SUPPRESS_GO_AHEAD]);
/** Options this server lets the client perform (WILL). */
const REMOTE_OPTIONS = new Set([OPTION_SUPPRESS_GO_AHEAD]);

export class TelnetNegotiation {
  private readonly local = new Map<number, OptionState>();
  private readonly remote = new Map<number, OptionState>();

  /** `send` transmits one negotiation command (IAC verb option). */
  constructor(private readonly send: (verb: NegotiationVerb, option: number) => void) {}

  /** Offers ECHO and SUPPRESS-GO-AHEAD; call once when the connection opens. */
  start(): void {
    for (const option of [OPTION_ECHO, OPTION_SUPPRESS_GO_AHEAD]) {
      this.local.set(option, 'wanted');
      this.send(WILL, option);
    }
  }

  /** True once the client agreed that the server echoes (DO ECHO). */
  get echoing(): boolean {
    return this.local.get(OPTION_ECHO) === 'yes';
  }

  isLocalEnabled(option: number): boolean {
    return this.local.get(option) === 'yes';
  }

  isRemoteEnabled(option: number): boolean {
    return this.remote.get(option) === 'yes';
  }

  receive(verb: NegotiationVerb, option: number): void {
    switch (verb) {
      case DO:
        this.receiveDo(option);
        break;
      case DONT:
        this.receiveDont(option);
        break;
      case WILL:
        this.receiveWill(option);
        break;
      case WONT:
        this.receiveWont(option);
        break;
    }
  }

  private receiveDo(option: number): void {
    const state = this.local.get(option) ?? 'no';
    if (state === 'yes') return; // Already enabled: no reply, or the parties would loop.
    if (state === 'wanted') {
      this.local.set(option, 'yes'); // The client agreed to our WILL.
      return;
    }
    if (LOCAL_OPTIONS.has(option)) {
      this.local.set(option, 'yes');
      this.send(WILL, option);
    } else {
      this.send(WONT, option); // Refuse an option this server does not perform.
    }
  }

  private receiveDont(option: number): void {
    const state = this.local.get(option) ?? 'no';
    if (state === 'no') return;
    this.local.set(option, 'no');
    // A DONT to our own WILL is a refusal and needs no reply; otherwise confirm with WONT.
    if (state === 'yes') this.send(WONT, option);
  }

  private receiveWill(option: number): void {
    const state = this.remote.get(option) ?? 'no';
    if (state === 'yes') return;
    if (state === 'wanted') {
      this.remote.set(option, 'yes');
      return;
    }
    if (REMOTE_OPTIONS.has(option)) {
      this.remote.set(option, 'yes');
      this.send(DO, option);
    } else {
      this.send(DONT, option);
    }
  }

  private receiveWont(option: number): void {
    const state = this.remote.get(option) ?? 'no';
    if (state === 'no') return;
    this.remote.set(option, 'no');
    if (state === 'yes') this.send(DONT, option);
  }
}
