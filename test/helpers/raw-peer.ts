// A TCP peer played frame by frame against the target of a StackBench. It
// opens a connection with the options a test chooses, then sends exactly
// the segments the test requests, and parses what the target sent back.
import { ETHERNET_HEADER_BYTES, EtherType, parseEthernet } from '../../src/net/wire/ethernet';
import { IpProtocol, parseIpv4, type Ipv4Header } from '../../src/net/wire/ipv4';
import { parseTcpHeader, TcpFlags, type TcpHeader } from '../../src/net/wire/tcp';
import { tcpFrame } from './fuzz-frames';
import { PEER_IP, PEER_MAC, TARGET_IP, TARGET_MAC, type StackBench } from './stack-bench';

/** A TCP segment the target sent, parsed. */
export interface SentSegment {
  ip: Ipv4Header;
  header: TcpHeader;
  payload: Buffer;
}

/** Parses the TCP segments among `frames` that the target sent to the raw peer's `port` (any port when absent). */
export function segmentsTo(frames: readonly Uint8Array[], port?: number): SentSegment[] {
  const segments: SentSegment[] = [];
  for (const frame of frames) {
    const ethernet = parseEthernet(frame);
    if (ethernet === undefined || ethernet.destination !== PEER_MAC || ethernet.etherType !== EtherType.IPV4) continue;
    const ip = parseIpv4(frame.subarray(ETHERNET_HEADER_BYTES));
    if (!ip.ok || ip.header.protocol !== IpProtocol.TCP) continue;
    const bytes = frame.subarray(ETHERNET_HEADER_BYTES + ip.header.headerLength, ETHERNET_HEADER_BYTES + ip.header.totalLength);
    const header = parseTcpHeader(bytes);
    if (port !== undefined && header.destinationPort !== port) continue;
    segments.push({ ip: ip.header, header, payload: Buffer.from(bytes.subarray(header.headerLength)) });
  }
  return segments;
}

export interface RawPeerOptions {
  serverPort: number;
  peerPort: number;
  mss?: number;
  sack?: boolean;
  timestamps?: boolean;
  /** Window scale shift to offer, or -1 for none. */
  windowScale?: number;
  window?: number;
}

export class RawPeer {
  /** Next sequence number the peer sends. */
  peerNext = 100_000;
  /** The target's initial sequence number, once the SYN-ACK arrived. */
  targetIss = 0;
  private timestamp = 1000;
  private targetTimestamp = 0;

  constructor(
    private readonly bench: StackBench,
    readonly options: RawPeerOptions,
  ) {}

  /** Sends SYN and, once the SYN-ACK is back, the ACK; returns the SYN-ACK. */
  async open(): Promise<SentSegment> {
    const options = this.options;
    this.bench.takeSent();
    this.inject({
      flags: TcpFlags.SYN,
      acknowledgmentNumber: 0,
      mss: options.mss ?? 1460,
      sackPermitted: options.sack ?? false,
      windowScale: options.windowScale ?? -1,
    });
    this.peerNext++;
    await this.bench.settle();
    const synAck = segmentsTo(this.bench.sent, options.peerPort).find((segment) => segment.header.flags === (TcpFlags.SYN | TcpFlags.ACK));
    if (synAck === undefined) throw new Error(`no SYN-ACK from port ${options.serverPort}`);
    this.targetIss = synAck.header.sequenceNumber;
    this.targetTimestamp = synAck.header.timestampValue;
    this.bench.takeSent();
    this.ack(0);
    await this.bench.settle();
    return synAck;
  }

  /** Sequence number of the target's data byte `offset` (0 is the first byte after the SYN). */
  targetSeq(offset: number): number {
    return (this.targetIss + 1 + offset) >>> 0;
  }

  /** Sends an ACK for target bytes below `offset`, SACKing [left, right) offset pairs, with `window`. */
  ack(offset: number, sack: number[] = [], window = this.options.window ?? 65535): void {
    this.inject({
      flags: TcpFlags.ACK,
      acknowledgmentNumber: this.targetSeq(offset),
      window,
      sackBlocks: sack.map((edge) => this.targetSeq(edge)),
    });
  }

  /** Sends one segment from the peer with the connection's ports, sequence number and timestamps. */
  inject(fields: Partial<TcpHeader>, payload: Uint8Array = new Uint8Array(0)): void {
    const options = this.options;
    this.timestamp++;
    const header: Partial<TcpHeader> = {
      sourcePort: options.peerPort,
      destinationPort: options.serverPort,
      sequenceNumber: this.peerNext,
      window: options.window ?? 65535,
      hasTimestamp: options.timestamps ?? false,
      timestampValue: this.timestamp,
      timestampEchoReply: this.targetTimestamp,
      ...fields,
    };
    this.bench.inject([tcpFrame({ destinationMac: TARGET_MAC, sourceMac: PEER_MAC, source: PEER_IP, destination: TARGET_IP }, header, payload)]);
  }

  /** Segments from the target to this peer since the last take. */
  take(): SentSegment[] {
    return segmentsTo(this.bench.takeSent(), this.options.peerPort);
  }
}
