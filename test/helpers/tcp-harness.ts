// A TcpLayer on a manual clock, with the peer played by the test: each test
// builds segments with the wire codec, feeds them to `input`, and reads back
// the exact segments the layer emitted.
import * as assert from 'node:assert/strict';
import { ManualClock } from '../../src/net/clock';
import type { Ipv4Address } from '../../src/net/ipv4-address';
import type { TcpConnection, TcpConnectionHandler } from '../../src/net/tcp/connection';
import type { TcpError } from '../../src/net/tcp/errors';
import { TcpLayer, type TcpLayerOptions, type TcpTransmit } from '../../src/net/tcp/layer';
import type { TcpListener } from '../../src/net/tcp/listener';
import {
  createTcpHeader,
  emitTcpHeader,
  fillTcpChecksum,
  formatTcpFlags,
  parseTcpHeader,
  tcpChecksum,
  TcpFlags,
  tcpHeaderLength,
  type TcpHeader,
} from '../../src/net/wire/tcp';

export const LOCAL_ADDRESS: Ipv4Address = 0x0a000001; // 10.0.0.1
export const REMOTE_ADDRESS: Ipv4Address = 0x0a000002; // 10.0.0.2
export const LOCAL_PORT = 80;
export const REMOTE_PORT = 40000;
export const LOCAL_MSS = 1460;
/** The peer's initial sequence number in every test. */
export const REMOTE_ISS = 1000;

export const { FIN, SYN, RST, PSH, ACK } = TcpFlags;

/** A segment the layer emitted, parsed back, with its payload joined into one buffer. */
export interface SentSegment extends TcpHeader {
  source: Ipv4Address;
  destination: Ipv4Address;
  payload: Buffer;
  /** Whether the checksum over header and payload verifies. */
  checksumValid: boolean;
}

/** Deterministic stand-in for crypto.randomBytes: a counter, so keys and offsets are reproducible. */
export function counterRandom(seed = 1): (bytes: number) => Buffer {
  let state = seed;
  return (bytes: number) => {
    const buffer = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      buffer[i] = state >>> 24;
    }
    return buffer;
  };
}

/** Builds segment bytes from header fields and a payload, with a valid checksum. */
export function buildSegment(
  fields: Partial<TcpHeader>,
  payload: Uint8Array = new Uint8Array(0),
  source: Ipv4Address = REMOTE_ADDRESS,
  destination: Ipv4Address = LOCAL_ADDRESS,
): Uint8Array {
  const header = createTcpHeader({ sourcePort: REMOTE_PORT, destinationPort: LOCAL_PORT, ...fields });
  const headerBytes = new Uint8Array(tcpHeaderLength(header));
  emitTcpHeader(header, headerBytes);
  fillTcpChecksum(source, destination, headerBytes, [payload], payload.length);
  const segment = new Uint8Array(headerBytes.length + payload.length);
  segment.set(headerBytes);
  segment.set(payload, headerBytes.length);
  return segment;
}

export function parseTransmit(transmit: TcpTransmit): SentSegment {
  const header = parseTcpHeader(transmit.header);
  const payload = Buffer.concat(transmit.payload.map((view) => Buffer.from(view.buffer, view.byteOffset, view.byteLength)));
  assert.equal(payload.length, transmit.payloadLength, 'payloadLength matches the payload views');
  const checksumValid = tcpChecksum(transmit.source, transmit.destination, transmit.header, transmit.payload, transmit.payloadLength) === 0;
  return { ...header, source: transmit.source, destination: transmit.destination, payload, checksumValid };
}

/** Formats a segment as one line, for assertion messages. */
export function describeSegment(segment: TcpHeader & { payload?: Uint8Array }): string {
  return `${formatTcpFlags(segment.flags)} seq=${segment.sequenceNumber} ack=${segment.acknowledgmentNumber} win=${segment.window} len=${segment.payload?.length ?? 0}`;
}

/** Records every callback of a connection. */
export class RecordingHandler implements TcpConnectionHandler {
  established = 0;
  data: Buffer[] = [];
  ended = 0;
  writable = 0;
  closed: Array<TcpError | undefined> = [];
  /** Bytes the pretend application has not read; shrinks the window. */
  unread = 0;
  /** When true, received data counts as unread until the test calls consume(). */
  holdData = false;

  onEstablished(): void {
    this.established++;
  }

  onData(data: Buffer): void {
    this.data.push(data);
    if (this.holdData) this.unread += data.length;
  }

  onEnd(): void {
    this.ended++;
  }

  onWritable(): void {
    this.writable++;
  }

  onClose(error: TcpError | undefined): void {
    this.closed.push(error);
  }

  unreadBytes(): number {
    return this.unread;
  }

  get received(): string {
    return Buffer.concat(this.data).toString('latin1');
  }
}

export interface HarnessOptions extends Partial<Omit<TcpLayerOptions, 'clock' | 'output' | 'mss' | 'localAddresses'>> {
  mss?: number;
}

export class TcpHarness {
  readonly clock = new ManualClock();
  readonly layer: TcpLayer;
  private sent: TcpTransmit[] = [];

  constructor(options: HarnessOptions = {}) {
    const { mss = LOCAL_MSS, ...rest } = options;
    this.layer = new TcpLayer({
      clock: this.clock,
      output: (segment) => this.sent.push(segment),
      mss: () => mss,
      localAddresses: () => [LOCAL_ADDRESS],
      random: counterRandom(),
      windowScaling: false,
      timestamps: false,
      sack: false,
      receiveBufferBytes: 65535,
      ...rest,
    });
  }

  /** Feeds one segment from the peer (REMOTE_ADDRESS:REMOTE_PORT by default). */
  send(fields: Partial<TcpHeader>, payload: string | Uint8Array = '', source = REMOTE_ADDRESS): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
    this.layer.input(source, LOCAL_ADDRESS, buildSegment(fields, bytes, source, LOCAL_ADDRESS));
  }

  /** Returns the segments emitted since the last call and clears the list. */
  take(): SentSegment[] {
    const segments = this.sent.map(parseTransmit);
    this.sent = [];
    return segments;
  }

  /** Raw transmits since the last take, without parsing (for view and copy checks). */
  takeRaw(): TcpTransmit[] {
    const raw = this.sent;
    this.sent = [];
    return raw;
  }

  /** Asserts that exactly one segment was emitted and returns it. */
  takeOne(): SentSegment {
    const segments = this.take();
    assert.equal(segments.length, 1, `expected one segment, got: ${segments.map(describeSegment).join('; ') || 'none'}`);
    return segments[0];
  }

  takeNone(): void {
    const segments = this.take();
    assert.equal(segments.length, 0, `expected no segment, got: ${segments.map(describeSegment).join('; ')}`);
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** Listens on LOCAL_PORT and records every accepted connection with a RecordingHandler. */
  listen(backlog?: number): { listener: TcpListener; accepted: Array<{ connection: TcpConnection; handler: RecordingHandler }> } {
    const accepted: Array<{ connection: TcpConnection; handler: RecordingHandler }> = [];
    const listener = this.layer.listen({
      port: LOCAL_PORT,
      backlog,
      handler: {
        onConnection: (connection) => {
          const handler = new RecordingHandler();
          accepted.push({ connection, handler });
          connection.attach(handler);
        },
      },
    });
    return { listener, accepted };
  }

  /**
   * Completes a passive open: SYN from the peer (with `synFields`), the
   * SYN-ACK back, the peer's ACK `handshakeRttMs` later (the first RTT
   * sample). Returns the connection, its handler and our ISS.
   */
  establishPassive(
    synFields: Partial<TcpHeader> = { mss: 1460 },
    peerWindow = 65535,
    handshakeRttMs = 0,
  ): { connection: TcpConnection; handler: RecordingHandler; iss: number; listener: TcpListener } {
    const { listener, accepted } = this.listen();
    this.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: Math.min(peerWindow, 65535), ...synFields });
    const synAck = this.takeOne();
    this.advance(handshakeRttMs);
    assert.equal(synAck.flags, SYN | ACK, 'SYN-ACK flags');
    const iss = synAck.sequenceNumber;
    const ackFields: Partial<TcpHeader> = {
      flags: ACK,
      sequenceNumber: REMOTE_ISS + 1,
      acknowledgmentNumber: (iss + 1) >>> 0,
      window: synFields.windowScale !== undefined && synFields.windowScale >= 0 ? peerWindow >> synFields.windowScale : peerWindow,
    };
    if (synFields.hasTimestamp) {
      ackFields.hasTimestamp = true;
      ackFields.timestampValue = (synFields.timestampValue ?? 0) + 1;
      ackFields.timestampEchoReply = synAck.timestampValue;
    }
    this.send(ackFields);
    this.takeNone();
    assert.equal(accepted.length, 1, 'one connection accepted');
    return { connection: accepted[0].connection, handler: accepted[0].handler, iss, listener };
  }

  /**
   * Completes an active open to REMOTE_ADDRESS:LOCAL_PORT... from the
   * layer's side: SYN out, SYN-ACK from the peer (with `synAckFields`), ACK
   * back. Returns the connection, handler, our ISS and our port.
   */
  establishActive(
    synAckFields: Partial<TcpHeader> = { mss: 1460 },
    peerWindow = 65535,
  ): { connection: TcpConnection; handler: RecordingHandler; iss: number; port: number; syn: SentSegment } {
    const handler = new RecordingHandler();
    const connection = this.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
    const syn = this.takeOne();
    assert.equal(syn.flags, SYN, 'SYN flags');
    const iss = syn.sequenceNumber;
    this.sendTo(connection.localPort, {
      flags: SYN | ACK,
      sequenceNumber: REMOTE_ISS,
      acknowledgmentNumber: (iss + 1) >>> 0,
      window: peerWindow,
      ...synAckFields,
    });
    const ack = this.takeOne();
    assert.equal(ack.flags, ACK, 'handshake ACK flags');
    return { connection, handler, iss, port: connection.localPort, syn };
  }

  /** Feeds a segment from the peer's REMOTE_PORT to a given local port. */
  sendTo(localPort: number, fields: Partial<TcpHeader>, payload: string | Uint8Array = ''): void {
    this.send({ destinationPort: localPort, ...fields }, payload);
  }
}

/** Asserts each listed field of a segment with its own assert. */
export function assertSegment(
  actual: SentSegment,
  expected: Partial<Omit<SentSegment, 'payload'>> & { payload?: string | Uint8Array },
): void {
  const where = describeSegment(actual);
  for (const [key, value] of Object.entries(expected)) {
    if (key === 'payload') {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value as Uint8Array);
      assert.deepEqual(actual.payload, bytes, `payload of ${where}`);
    } else if (key === 'flags') {
      assert.equal(formatTcpFlags(actual.flags), formatTcpFlags(value as number), `flags of ${where}`);
    } else {
      assert.deepEqual((actual as unknown as Record<string, unknown>)[key], value, `${key} of ${where}`);
    }
  }
  assert.equal(actual.checksumValid, true, `checksum of ${where}`);
}

/** Adds to a sequence number modulo 2^32. */
export function seq(base: number, offset: number): number {
  return (base + offset) >>> 0;
}
