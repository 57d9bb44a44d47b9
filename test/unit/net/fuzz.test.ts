// Fuzzing the whole stack: tens of thousands of valid, random and damaged
// frames of every protocol, from a seed, into a NetworkStack on a memory
// link that runs an echo server. Afterwards the stack must still reply to
// ping and carry a TCP exchange, and no frame may have thrown. Every drop
// must be counted and logged with its reason. The state the stack keeps
// (fragments in reassembly, datagrams waiting for ARP, TCP connections,
// heap) must stay within fixed limits and drain once the timers have run.
//
// FUZZ_SEED=<n> and FUZZ_FRAMES=<n> replay one seed with another length;
// FUZZ_REPORT=1 prints the stack's counters after each seed.
import * as assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { ARP_MAX_PENDING_ADDRESSES, ARP_MAX_PENDING_PER_ADDRESS } from '../../../src/net/arp-cache';
import { REASSEMBLY_MAX_BYTES, REASSEMBLY_MAX_DATAGRAMS } from '../../../src/net/ipv4-reassembly';
import { SeededRandom } from '../../../src/net/phy/seeded-random';
import { SACK_MAX_RANGES, SackScoreboard } from '../../../src/net/tcp/sack-scoreboard';
import { createServer, connect, type TcpServer, type TcpSocket } from '../../../src/net/socket';
import { LISTEN_BACKLOG_DEFAULT } from '../../../src/net/tcp/listener';
import { ArpOperation, parseArp } from '../../../src/net/wire/arp';
import { BootpOperation, DhcpMessageType, emitDhcp, parseDhcp } from '../../../src/net/wire/dhcp';
import { DnsClass, DnsType, emitDns, parseDns } from '../../../src/net/wire/dns';
import { EtherType, MAC_BROADCAST, parseEthernet } from '../../../src/net/wire/ethernet';
import { IcmpType, parseIcmp } from '../../../src/net/wire/icmp';
import { IpProtocol, parseIpv4 } from '../../../src/net/wire/ipv4';
import { parseTcpHeader, TcpFlags, TcpFormatError, type TcpHeader } from '../../../src/net/wire/tcp';
import { parseUdp } from '../../../src/net/wire/udp';
import {
  arpFrameOf,
  fragmentFrame,
  icmpFrame,
  IpOption,
  ipv4Frame,
  MUTATIONS,
  mutateFrame,
  randomIpOptions,
  rawFrame,
  repairChecksums,
  tcpFrame,
  tcpSegment,
  udpFrame,
  type Ipv4FrameFields,
} from '../../helpers/fuzz-frames';
import { RawPeer, segmentsTo } from '../../helpers/raw-peer';
import {
  CLIENT_IP,
  CLIENT_MAC,
  OFF_LINK_IP,
  PEER_IP,
  PEER_MAC,
  STRANGER_IP,
  STRANGER_MAC,
  StackBench,
  TARGET_IP,
  TARGET_MAC,
} from '../../helpers/stack-bench';

const SEEDS = process.env.FUZZ_SEED === undefined ? [1, 2, 3, 4] : [Number(process.env.FUZZ_SEED)];
/** Frames per seed; four seeds make 80000 frames. */
const FRAMES_PER_SEED = process.env.FUZZ_FRAMES === undefined ? 20_000 : Number(process.env.FUZZ_FRAMES);
/** Frames injected before the clock moves and the limits are checked. */
const BATCH_FRAMES = 250;
const ECHO_PORT = 80;
const SOURCE_PORT = 8080;
/** Bytes the source server writes on every connection, so that the target has data in flight to lose and repair. */
const SOURCE_BYTES = 20_000;
/** Sockets the servers keep open; older ones are destroyed beyond it, as an application with a connection limit does. */
const SERVER_SOCKET_LIMIT = 150;
const TIME_WAIT_LIMIT = 200;
/** TCP connections the target may hold at once: open sockets, both listeners' half-open queues, TIME-WAIT, and room for closing states. */
const CONNECTION_LIMIT = SERVER_SOCKET_LIMIT + 2 * LISTEN_BACKLOG_DEFAULT + TIME_WAIT_LIMIT + 1000;
/** Out-of-order TCP data the target may hold, small enough that the fuzzing reaches it. */
const OUT_OF_ORDER_LIMIT_BYTES = 512 * 1024;
/** Heap the stack may keep after the fuzzing, once every timer has run. */
const HEAP_GROWTH_LIMIT_BYTES = 32 * 1024 * 1024;
/** Time after which every timer of the target has run out: R2 retransmissions, FIN-WAIT-2, TIME-WAIT, reassembly, ARP. */
const DRAIN_MS = 30 * 60_000;

/** A TCP connection of the raw peer, as far as the target's segments have shown it. */
interface Session {
  peerPort: number;
  serverPort: number;
  /** Next sequence number the peer sends. */
  peerNext: number;
  /** Highest sequence number the target has sent, plus one. */
  targetNext: number;
  timestamp: number;
}

function forceGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Starts the servers: one echoes what it receives (ECHO_PORT), one writes SOURCE_BYTES (SOURCE_PORT); both limit their open sockets. */
function startServers(bench: StackBench): { servers: TcpServer[]; sockets: Set<TcpSocket> } {
  const sockets = new Set<TcpSocket>();
  const adopt = (socket: TcpSocket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    if (sockets.size > SERVER_SOCKET_LIMIT) {
      const oldest = sockets.values().next().value as TcpSocket;
      oldest.destroy();
    }
  };
  const echo = createServer(bench.target, (socket) => {
    adopt(socket);
    socket.on('data', (data: Buffer) => {
      if (!socket.destroyed && socket.writable) socket.write(data);
    });
    socket.on('end', () => socket.end());
  });
  const source = createServer(bench.target, (socket) => {
    adopt(socket);
    socket.resume();
    socket.end(Buffer.alloc(SOURCE_BYTES, 0x5a));
  });
  echo.listen(ECHO_PORT);
  source.listen(SOURCE_PORT);
  return { servers: [echo, source], sockets };
}

/** Generates the frames of one seed: valid frames of every kind, TCP sessions, and damaged copies. */
class FrameSource {
  private readonly sessions = new Map<number, Session>();
  private readonly sessionPorts: number[] = [];
  private identification = 1;

  constructor(private readonly random: SeededRandom) {}

  /** Learns SYN-ACKs, data and FINs the target sent to the raw peer. */
  observe(frames: readonly Uint8Array[]): void {
    for (const frame of frames) {
      const ethernet = parseEthernet(frame);
      if (ethernet === undefined || ethernet.destination !== PEER_MAC || ethernet.etherType !== EtherType.IPV4) continue;
      const ip = parseIpv4(frame.subarray(14));
      if (!ip.ok || ip.header.protocol !== IpProtocol.TCP) continue;
      let header: TcpHeader;
      try {
        header = parseTcpHeader(frame.subarray(14 + ip.header.headerLength, 14 + ip.header.totalLength));
      } catch {
        continue;
      }
      const length = ip.header.totalLength - ip.header.headerLength - header.headerLength;
      const session = this.sessions.get(header.destinationPort);
      if (session === undefined) continue;
      if ((header.flags & (TcpFlags.SYN | TcpFlags.ACK)) === (TcpFlags.SYN | TcpFlags.ACK)) {
        session.targetNext = (header.sequenceNumber + 1) >>> 0;
        session.peerNext = header.acknowledgmentNumber;
        continue;
      }
      const end = (header.sequenceNumber + length + ((header.flags & TcpFlags.FIN) !== 0 ? 1 : 0)) >>> 0;
      if (((end - session.targetNext) | 0) > 0) session.targetNext = end;
    }
  }

  next(): Uint8Array[] {
    const roll = this.random.next();
    let frames: Uint8Array[];
    if (roll < 0.35 && this.sessionPorts.length > 0) frames = [this.sessionSegment()];
    else if (roll < 0.45) frames = [this.newSyn()];
    else if (roll < 0.52) frames = this.echoRequest();
    else if (roll < 0.56) frames = [this.arp()];
    else if (roll < 0.6) frames = [this.udp()];
    else if (roll < 0.64) frames = this.stray();
    else if (roll < 0.68) frames = [this.otherLink()];
    else frames = this.damaged();
    return frames;
  }

  private pick<T>(choices: readonly T[]): T {
    return choices[this.random.below(choices.length)];
  }

  private bytes(length: number): Buffer {
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = this.random.below(256);
    return bytes;
  }

  /** Address fields of a datagram from one of the kinds of sender the target meets. */
  private from(): Omit<Ipv4FrameFields, 'protocol'> {
    const senders: Array<[number, number]> = [
      [PEER_MAC, PEER_IP],
      [PEER_MAC, PEER_IP],
      [CLIENT_MAC, CLIENT_IP],
      [STRANGER_MAC, STRANGER_IP],
      [STRANGER_MAC, OFF_LINK_IP],
      [PEER_MAC, 0x7f000001],
      [PEER_MAC, 0xe0000001],
      [PEER_MAC, 0],
      [PEER_MAC, TARGET_IP],
      [PEER_MAC, 0xc0a87aff],
    ];
    const [mac, ip] = this.random.next() < 0.85 ? senders[this.random.below(4)] : this.pick(senders);
    const destinations = [TARGET_IP, TARGET_IP, TARGET_IP, TARGET_IP, 0xc0a87aff, 0xffffffff, TARGET_IP + 7, 0xe0000001];
    const destination = this.random.next() < 0.9 ? TARGET_IP : this.pick(destinations);
    const destinationMac = destination === TARGET_IP || this.random.next() < 0.5 ? TARGET_MAC : MAC_BROADCAST;
    return { destinationMac, sourceMac: mac, source: ip, destination, identification: this.identification++ & 0xffff, ttl: this.pick([64, 1, 0, 255]) };
  }

  private newSyn(): Uint8Array {
    const peerPort = 1024 + this.random.below(64_000);
    const serverPort = this.pick([ECHO_PORT, ECHO_PORT, SOURCE_PORT, 81, 0]);
    const timestamp = this.random.below(2 ** 31);
    if (!this.sessions.has(peerPort)) {
      this.sessions.set(peerPort, { peerPort, serverPort, peerNext: this.random.below(2 ** 32), targetNext: 0, timestamp });
      this.sessionPorts.push(peerPort);
    }
    const session = this.sessions.get(peerPort) as Session;
    const header: Partial<TcpHeader> = {
      sourcePort: peerPort,
      destinationPort: session.serverPort,
      sequenceNumber: session.peerNext,
      flags: this.random.next() < 0.9 ? TcpFlags.SYN : this.pick([TcpFlags.SYN | TcpFlags.FIN, TcpFlags.SYN | TcpFlags.RST, TcpFlags.SYN | TcpFlags.ACK, TcpFlags.SYN | TcpFlags.URG | TcpFlags.PSH]),
      window: this.pick([0, 1, 512, 65535]),
      mss: this.pick([0, 1, 40, 536, 1460, 9000, 65535]),
      windowScale: this.pick([-1, 0, 7, 14, 15, 255]),
      sackPermitted: this.random.next() < 0.7,
      hasTimestamp: this.random.next() < 0.7,
      timestampValue: timestamp,
    };
    session.peerNext = (session.peerNext + 1) >>> 0;
    const payload = this.random.next() < 0.1 ? this.bytes(this.random.below(100)) : new Uint8Array(0);
    return tcpFrame({ destinationMac: TARGET_MAC, sourceMac: PEER_MAC, source: PEER_IP, destination: TARGET_IP }, header, payload);
  }

  /** Builds a segment on a known session, with plausible or deliberately wrong sequence numbers, flags, window and options. */
  private sessionSegment(): Uint8Array {
    const session = this.sessions.get(this.pick(this.sessionPorts)) as Session;
    // Mostly in step, sometimes near the window, sometimes anywhere.
    const seqNoise = this.random.next();
    let seqOffset = 0;
    if (seqNoise >= 0.9) seqOffset = this.random.below(2 ** 32);
    else if (seqNoise >= 0.75) seqOffset = this.random.below(70_000) - 3000;
    const ackNoise = this.random.next();
    let ackOffset = 0;
    if (ackNoise >= 0.85) ackOffset = this.random.below(2 ** 32);
    else if (ackNoise >= 0.6) ackOffset = -this.random.below(20_000);

    const flags = this.pick([
      TcpFlags.ACK,
      TcpFlags.ACK,
      TcpFlags.ACK | TcpFlags.PSH,
      TcpFlags.ACK | TcpFlags.FIN,
      TcpFlags.RST,
      TcpFlags.RST | TcpFlags.ACK,
      TcpFlags.SYN,
      TcpFlags.ACK | TcpFlags.URG,
      0,
    ]);
    const payload = (flags & TcpFlags.RST) === 0 && this.random.next() < 0.5 ? this.bytes(1 + this.random.below(1400)) : new Uint8Array(0);
    const seq = (session.peerNext + seqOffset) >>> 0;
    const ack = (session.targetNext + ackOffset) >>> 0;
    session.timestamp = (session.timestamp + (this.random.next() < 0.95 ? 1 : -1000)) >>> 0;
    const sackBlocks: number[] = [];
    if (this.random.next() < 0.3) {
      for (let i = 0, count = 1 + this.random.below(3); i < count; i++) {
        const left = (ack + this.random.below(30_000) - 5000) >>> 0;
        sackBlocks.push(left, (left + this.pick([1, 1448, 2896, this.random.below(40_000)])) >>> 0);
      }
    }
    const hasTimestamp = this.random.next() < 0.7;
    const header: Partial<TcpHeader> = {
      sourcePort: session.peerPort,
      destinationPort: session.serverPort,
      sequenceNumber: seq,
      acknowledgmentNumber: ack,
      flags,
      window: this.pick([0, 1, 100, 1000, 65535]),
      hasTimestamp,
      timestampValue: session.timestamp,
      timestampEchoReply: this.random.below(2 ** 32),
      sackBlocks: hasTimestamp ? sackBlocks.slice(0, 6) : sackBlocks,
    };
    if (seqOffset === 0) session.peerNext = (session.peerNext + payload.length + ((flags & (TcpFlags.FIN | TcpFlags.SYN)) !== 0 ? 1 : 0)) >>> 0;
    return tcpFrame({ destinationMac: TARGET_MAC, sourceMac: PEER_MAC, source: PEER_IP, destination: TARGET_IP }, header, payload);
  }

  private echoRequest(): Uint8Array[] {
    const size = this.random.next() < 0.98 ? this.pick([0, 8, 56, 300, 1472, 1473, 4000, 9000]) : 65_000;
    const frame = icmpFrame(this.from(), { type: IcmpType.ECHO_REQUEST, code: 0, rest: this.random.below(2 ** 32), data: this.bytes(Math.min(size, 65_507)) });
    if (frame.length - 14 <= 1500 && this.random.next() < 0.8) return [frame];
    const pieces = fragmentFrame(frame, size <= 300 ? this.pick([8, 16, 64]) : this.pick([512, 1480]));
    // Lose, repeat, reorder and overlap fragments now and then.
    const out: Uint8Array[] = [];
    for (const piece of pieces) {
      const roll = this.random.next();
      if (roll < 0.05) continue;
      out.push(piece);
      if (roll > 0.97) out.push(piece);
    }
    if (this.random.next() < 0.2 && out.length > 1) out.reverse();
    if (this.random.next() < 0.1 && pieces.length > 2) {
      const overlapping = Buffer.from(pieces[1]);
      overlapping.writeUInt16BE((overlapping.readUInt16BE(20) & 0xe000) | ((overlapping.readUInt16BE(20) & 0x1fff) - 1), 20);
      repairChecksums(overlapping);
      out.push(overlapping);
    }
    return out.slice(0, 200);
  }

  private arp(): Uint8Array {
    const [mac, ip] = this.pick<[number, number]>([
      [PEER_MAC, PEER_IP],
      [STRANGER_MAC, STRANGER_IP],
      [CLIENT_MAC, 0],
      [TARGET_MAC, STRANGER_IP],
      [PEER_MAC, TARGET_IP],
      [0x010000000001, PEER_IP],
      [PEER_MAC, 0xe0000001],
    ]);
    const operation = this.pick([ArpOperation.REQUEST, ArpOperation.REPLY, 3]);
    const targetIp = this.pick([TARGET_IP, TARGET_IP, STRANGER_IP, 0]);
    return arpFrameOf(this.pick([TARGET_MAC, MAC_BROADCAST]), this.pick([mac, PEER_MAC]), { operation, senderMac: mac, senderIp: ip, targetMac: 0, targetIp });
  }

  private udp(): Uint8Array {
    return udpFrame(this.from(), 1024 + this.random.below(60_000), this.pick([53, 67, 68, 9999, this.random.below(65_536)]), this.bytes(this.random.below(600)));
  }

  /** ICMP errors, other ICMP types and protocols the target does not speak. */
  private stray(): Uint8Array[] {
    const quotedSegment = tcpSegment(TARGET_IP, PEER_IP, { sourcePort: ECHO_PORT, destinationPort: this.pick(this.sessionPorts.length > 0 ? this.sessionPorts : [40000]), sequenceNumber: this.random.below(2 ** 32), flags: TcpFlags.ACK });
    const quotedHeader = ipv4Frame({ destinationMac: PEER_MAC, sourceMac: TARGET_MAC, source: TARGET_IP, destination: PEER_IP, protocol: IpProtocol.TCP, dontFragment: this.random.next() < 0.5 }, quotedSegment).subarray(14, 14 + 28);
    const choice = this.random.below(5);
    if (choice === 0) {
      return [icmpFrame(this.from(), { type: IcmpType.DESTINATION_UNREACHABLE, code: this.pick([0, 1, 2, 3, 4, 13]), rest: this.pick([0, 68, 576, 1280, 1500]), data: quotedHeader })];
    }
    if (choice === 1) {
      return [icmpFrame(this.from(), { type: this.pick([IcmpType.TIME_EXCEEDED, IcmpType.PARAMETER_PROBLEM, IcmpType.SOURCE_QUENCH, IcmpType.REDIRECT]), code: 0, rest: 0, data: quotedHeader.subarray(0, this.random.below(29)) })];
    }
    if (choice === 2) return [icmpFrame(this.from(), { type: this.pick([IcmpType.ECHO_REPLY, 13, 14, 17, 42, 255]), code: this.random.below(256), rest: 0, data: this.bytes(this.random.below(64)) })];
    if (choice === 3) return [ipv4Frame({ ...this.from(), protocol: this.pick([0, 2, 41, 47, 50, 132, 255]) }, this.bytes(this.random.below(200)))];
    return [ipv4Frame({ ...this.from(), protocol: IpProtocol.ICMP, options: randomIpOptions(this.random) }, Buffer.from(emitEchoBytes()))];
  }

  /** VLAN tags, IPv6, unknown EtherTypes, runts, frames for other hosts. */
  private otherLink(): Uint8Array {
    const choice = this.random.below(6);
    if (choice === 0) return rawFrame(TARGET_MAC, PEER_MAC, EtherType.VLAN, Buffer.concat([Buffer.from([0, 5, 0x08, 0x00]), this.bytes(60)]));
    if (choice === 1) return rawFrame(TARGET_MAC, PEER_MAC, EtherType.IPV6, this.bytes(40 + this.random.below(100)));
    if (choice === 2) return rawFrame(TARGET_MAC, PEER_MAC, this.pick([0x88b5, 0x88cc, 0x0000, 0x05dc, 0x8847]), this.bytes(this.random.below(100)));
    if (choice === 3) return this.bytes(this.random.below(14));
    if (choice === 4) return rawFrame(this.pick([0x02000000ee05, 0x01005e000001, 0x333300000001]), PEER_MAC, EtherType.IPV4, this.bytes(60));
    return rawFrame(TARGET_MAC, this.pick([TARGET_MAC, MAC_BROADCAST, 0x01005e000001]), EtherType.IPV4, this.bytes(60));
  }

  /** Builds a valid frame of any kind and applies one to three mutations, repairing its checksums most of the time. */
  private damaged(): Uint8Array[] {
    const roll = this.random.below(5);
    let base: Uint8Array;
    if (roll === 0 && this.sessionPorts.length > 0) base = this.sessionSegment();
    else if (roll === 1) base = this.newSyn();
    else if (roll === 2) base = this.echoRequest()[0] ?? this.arp();
    else if (roll === 3) base = this.udp();
    else base = this.arp();
    let frame: Uint8Array = base;
    for (let i = 0, count = 1 + this.random.below(3); i < count; i++) frame = mutateFrame(frame, this.pick(MUTATIONS), this.random);
    if (this.random.next() < 0.6) repairChecksums(frame);
    return [frame];
  }
}

function emitEchoBytes(): Uint8Array {
  const frame = icmpFrame({ destinationMac: TARGET_MAC, sourceMac: PEER_MAC, source: PEER_IP, destination: TARGET_IP }, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 7, data: Buffer.from('options') });
  return frame.subarray(34);
}

/** Counts the TCP drops of every reason. */
function tcpDropTotal(bench: StackBench): number {
  return Object.values(bench.target.tcp.stats.dropped).reduce((sum, count) => sum + count, 0);
}

function assertWithinLimits(bench: StackBench, seed: number, frame: number): void {
  const counters = bench.target.counters();
  const where = `seed ${seed}, after frame ${frame}`;
  assert.ok(counters.reassembly.bytes <= REASSEMBLY_MAX_BYTES, `${where}: ${counters.reassembly.bytes} bytes in reassembly`);
  assert.ok(counters.reassembly.datagrams <= REASSEMBLY_MAX_DATAGRAMS, `${where}: ${counters.reassembly.datagrams} datagrams in reassembly`);
  assert.ok(counters.arp.pendingAddresses <= ARP_MAX_PENDING_ADDRESSES, `${where}: ${counters.arp.pendingAddresses} addresses being resolved`);
  assert.ok(counters.arp.pendingFrames <= ARP_MAX_PENDING_ADDRESSES * ARP_MAX_PENDING_PER_ADDRESS, `${where}: ${counters.arp.pendingFrames} datagrams wait for ARP`);
  assert.ok(bench.target.tcp.connectionTotal <= CONNECTION_LIMIT, `${where}: ${bench.target.tcp.connectionTotal} TCP connections`);
  assert.ok(counters.tcpOutOfOrderBytes <= OUT_OF_ORDER_LIMIT_BYTES, `${where}: ${counters.tcpOutOfOrderBytes} out-of-order bytes held`);
  assert.deepEqual(bench.target.tcp.stats.connectionsByState, counters.tcp.connectionsByState, `${where}: live counts by state differ from the table`);
}

/** Sends one echo request from the client and returns whether the reply came back. */
async function pingAnswered(bench: StackBench, rest: number): Promise<boolean> {
  bench.takeSent();
  bench.inject([icmpFrame({ destinationMac: TARGET_MAC, sourceMac: CLIENT_MAC, source: CLIENT_IP, destination: TARGET_IP }, { type: IcmpType.ECHO_REQUEST, code: 0, rest, data: Buffer.from('still there?') })]);
  await bench.settle();
  return bench.takeSent().some((frame) => {
    const ip = parseIpv4(frame.subarray(14));
    if (!ip.ok || ip.header.protocol !== IpProtocol.ICMP || ip.header.destination !== CLIENT_IP) return false;
    const icmp = parseIcmp(frame.subarray(14 + ip.header.headerLength, 14 + ip.header.totalLength));
    return icmp.ok && icmp.message.type === IcmpType.ECHO_REPLY && icmp.message.rest === rest;
  });
}

/** Opens a connection from the client stack to the echo server and returns what came back for `text`. */
async function echoExchange(bench: StackBench, text: string): Promise<string> {
  const socket = connect(bench.client, { host: '192.168.122.2', port: ECHO_PORT });
  const received: Buffer[] = [];
  const closed = new Promise<void>((resolve, reject) => {
    socket.on('data', (data: Buffer) => received.push(data));
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
  socket.on('connect', () => socket.end(text));
  for (let i = 0; i < 50 && !socket.destroyed; i++) await bench.advance(10);
  await closed;
  return Buffer.concat(received).toString();
}

describe('stack fuzzing', function () {
  this.timeout(120_000);

  for (const seed of SEEDS) {
    it(`survives seed ${seed}`, async () => {
      const gc = forceGc();
      const bench = new StackBench({ seed, logLevel: 'debug', tcp: { timeWaitMaxConnections: TIME_WAIT_LIMIT, outOfOrderMaxBytes: OUT_OF_ORDER_LIMIT_BYTES } });
      try {
        const { servers, sockets } = startServers(bench);
        await bench.settle();
        gc();
        const heapBefore = process.memoryUsage().heapUsed;
        const random = new SeededRandom(seed);
        const source = new FrameSource(random);
        let injected = 0;
        while (injected < FRAMES_PER_SEED) {
          const batch: Uint8Array[] = [];
          while (batch.length < BATCH_FRAMES) batch.push(...source.next());
          injected += batch.length;
          bench.inject(batch);
          await bench.settle();
          source.observe(bench.takeSent());
          bench.clock.advance(random.below(100));
          await bench.settle();
          source.observe(bench.takeSent());
          assertWithinLimits(bench, seed, injected);
        }

        if (process.env.FUZZ_REPORT !== undefined) console.log(JSON.stringify(bench.target.counters(), null, 1));
        // Nothing threw: a throwing frame would be counted under this reason.
        const failures = bench.target.iface.drops.entries().find(([reason]) => reason === 'frame processing failed');
        assert.equal(failures, undefined, `seed ${seed}: ${failures?.[1]} frames threw`);
        assert.deepEqual(bench.logLines.filter((line) => /^\S+ error /.test(line)), [], `seed ${seed}: error lines logged`);

        // Every drop counted once and logged once, with its reason.
        const dropLines = bench.logLines.filter((line) => /: dropped[: ]/.test(line)).length;
        assert.equal(dropLines, bench.target.iface.drops.total + tcpDropTotal(bench), `seed ${seed}: drop log lines against counted drops`);
        assert.ok(bench.target.iface.drops.total > injected / 10, `seed ${seed}: only ${bench.target.iface.drops.total} drops counted`);
        bench.logLines.length = 0;

        assert.equal(await pingAnswered(bench, 0x1234_0001), true, `seed ${seed}: no echo reply after fuzzing`);
        assert.equal(await echoExchange(bench, `hello after seed ${seed}`), `hello after seed ${seed}`);

        // Once the applications close and every timer has run, nothing is left.
        for (const socket of sockets) socket.destroy();
        await bench.advance(DRAIN_MS, 10_000);
        const counters = bench.target.counters();
        assert.equal(bench.target.tcp.connectionTotal, 0, `seed ${seed}: connections left: ${JSON.stringify(counters.tcp.connectionsByState)}`);
        assert.equal(counters.reassembly.datagrams, 0);
        assert.equal(counters.reassembly.bytes, 0);
        assert.equal(counters.arp.pendingAddresses, 0);
        assert.equal(counters.arp.pendingFrames, 0);
        assert.equal(counters.tcpOutOfOrderBytes, 0);
        assert.equal(await pingAnswered(bench, 0x1234_0002), true, `seed ${seed}: no echo reply after the timers ran`);

        bench.logLines.length = 0;
        bench.takeSent();
        gc();
        const growth = process.memoryUsage().heapUsed - heapBefore;
        assert.ok(growth < HEAP_GROWTH_LIMIT_BYTES, `seed ${seed}: heap grew by ${growth} bytes`);
        for (const server of servers) server.close();
      } finally {
        bench.close();
      }
    });
  }
});

describe('stack fuzzing: codecs', () => {
  const CODEC_INPUTS_PER_PARSER = 3000;
  const CODEC_TIME_LIMIT_MS = 3000;

  /** Valid encodings of each codec's messages, to be damaged. */
  function validInputs(): Record<string, Uint8Array[]> {
    const peer = { destinationMac: TARGET_MAC, sourceMac: PEER_MAC, source: PEER_IP, destination: TARGET_IP };
    const echo = icmpFrame(peer, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 1, data: Buffer.from('payload') });
    const udp = udpFrame(peer, 5353, 53, Buffer.from('udp payload'));
    const syn = tcpFrame(peer, { sourcePort: 40000, destinationPort: 80, flags: TcpFlags.SYN, mss: 1460, sackPermitted: true, hasTimestamp: true, timestampValue: 9, windowScale: 7 });
    const sack = tcpFrame(peer, { sourcePort: 40000, destinationPort: 80, flags: TcpFlags.ACK, hasTimestamp: true, sackBlocks: [1, 2, 3, 4, 5, 6] }, Buffer.from('data'));

    const dns = emitDns({
      id: 7,
      response: true,
      opcode: 0,
      authoritative: false,
      truncated: false,
      recursionDesired: true,
      recursionAvailable: true,
      rcode: 0,
      questions: [{ name: 'origin.example', type: DnsType.A, class: DnsClass.IN }],
      answers: [
        { name: 'origin.example', type: DnsType.CNAME, class: DnsClass.IN, ttl: 60, data: { kind: 'name', name: 'cdn.example' } },
        { name: 'cdn.example', type: DnsType.A, class: DnsClass.IN, ttl: 60, data: { kind: 'address', address: PEER_IP } },
      ],
      authorities: [],
      additionals: [],
    });
    // A compressed name whose pointer points at itself, and one pointing forward past the end.
    const pointerLoop = Buffer.concat([dns.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    pointerLoop.writeUInt16BE(1, 4);
    pointerLoop.writeUInt16BE(0, 6);
    const pointerPastEnd = Buffer.from(pointerLoop);
    pointerPastEnd[13] = 0xff;

    const dhcp = emitDhcp({
      op: BootpOperation.REPLY,
      xid: 0x1234,
      yiaddr: TARGET_IP,
      chaddr: TARGET_MAC,
      options: { messageType: DhcpMessageType.OFFER, subnetMask: 0xffffff00, routers: [CLIENT_IP], dnsServers: [CLIENT_IP, PEER_IP], leaseSeconds: 3600, serverId: CLIENT_IP },
    });

    return {
      ethernet: [echo, udp],
      arp: [arpFrameOf(TARGET_MAC, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: 0, targetIp: TARGET_IP }).subarray(14)],
      ipv4: [echo.subarray(14), udp.subarray(14), syn.subarray(14)],
      icmp: [echo.subarray(34)],
      udp: [udp.subarray(34)],
      tcp: [syn.subarray(34), sack.subarray(34)],
      dns: [dns, pointerLoop, pointerPastEnd],
      dhcp: [dhcp],
    };
  }

  function damage(input: Uint8Array, random: SeededRandom): Buffer {
    const bytes = Buffer.from(input);
    const roll = random.below(4);
    if (roll === 0) return bytes.subarray(0, random.below(bytes.length + 1));
    if (roll === 1) return Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + random.below(40) }, () => random.below(256)))]);
    for (let i = 0, flips = 1 + random.below(6); i < flips && bytes.length > 0; i++) bytes[random.below(bytes.length)] = random.below(256);
    return bytes;
  }

  const parsers: Record<string, (bytes: Uint8Array) => unknown> = {
    ethernet: (bytes) => parseEthernet(bytes),
    arp: (bytes) => parseArp(bytes),
    ipv4: (bytes) => parseIpv4(bytes),
    icmp: (bytes) => parseIcmp(bytes),
    udp: (bytes) => parseUdp(bytes, PEER_IP, TARGET_IP),
    tcp: (bytes) => {
      try {
        return parseTcpHeader(bytes);
      } catch (error) {
        // The one exception the TCP codec may throw, for a header it cannot decode.
        if (error instanceof TcpFormatError) return { ok: false, reason: error.message };
        throw error;
      }
    },
    dns: (bytes) => parseDns(bytes),
    dhcp: (bytes) => parseDhcp(bytes),
  };

  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name} parser takes damaged input`, () => {
      const random = new SeededRandom(name.length * 7919);
      const inputs = validInputs()[name];
      const started = performance.now();
      for (let i = 0; i < CODEC_INPUTS_PER_PARSER; i++) {
        const input = damage(inputs[i % inputs.length], random);
        let result: unknown;
        assert.doesNotThrow(() => {
          result = parse(input);
        }, `${name} input ${Buffer.from(input).toString('hex')}`);
        const failure = result as { ok?: boolean; reason?: unknown } | undefined;
        if (failure?.ok === false) assert.equal(typeof failure.reason, 'string', `${name} failure without a reason`);
      }
      // A decoder that loops on a compression pointer or a length field would blow this by far.
      assert.ok(performance.now() - started < CODEC_TIME_LIMIT_MS, `${name} took ${performance.now() - started} ms for ${CODEC_INPUTS_PER_PARSER} inputs`);
    });
  }
});

describe('stack fuzzing: regressions', function () {
  this.timeout(20_000);
  const PEER = { destinationMac: TARGET_MAC, sourceMac: PEER_MAC, source: PEER_IP, destination: TARGET_IP };
  const CLIENT = { destinationMac: TARGET_MAC, sourceMac: CLIENT_MAC, source: CLIENT_IP, destination: TARGET_IP };
  const SEGMENT_BYTES = 1448;
  let bench: StackBench;

  /** Listens on `port` and writes `bytes` (then closes when `end`) on every connection. */
  function serve(port: number, bytes: number, end = false): void {
    createServer(bench.target, (socket) => {
      socket.on('error', () => undefined);
      socket.resume();
      const data = Buffer.alloc(bytes, 0x61);
      if (end) socket.end(data);
      else socket.write(data);
    }).listen(port);
  }

  function dropCount(reason: string): number {
    return bench.target.iface.drops.entries().find(([name]) => name === reason)?.[1] ?? 0;
  }

  /** Counts echo replies to `destination`; a fragmented reply counts once, by its first fragment. */
  function repliesTo(destination: number, frames: readonly Uint8Array[]): number {
    let replies = 0;
    for (const frame of frames) {
      const ip = parseIpv4(frame.subarray(14));
      if (!ip.ok || ip.header.protocol !== IpProtocol.ICMP || ip.header.destination !== destination || ip.header.fragmentOffset !== 0) continue;
      const message = frame.subarray(14 + ip.header.headerLength, 14 + ip.header.totalLength);
      if (ip.header.moreFragments) {
        if (message[0] === IcmpType.ECHO_REPLY) replies++;
        continue;
      }
      const icmp = parseIcmp(message);
      if (icmp.ok && icmp.message.type === IcmpType.ECHO_REPLY) replies++;
    }
    return replies;
  }

  function echoFrom(fields: Omit<Ipv4FrameFields, 'protocol'>, size = 16): Buffer {
    return icmpFrame(fields, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 0x00010001, data: Buffer.alloc(size, 0x33) });
  }

  /** Offsets of the data segments the target sent to `peer` since the last take (window updates left out). */
  function dataOffsets(peer: RawPeer): number[] {
    return peer
      .take()
      .filter((segment) => segment.payload.length > 0)
      .map((segment) => (segment.header.sequenceNumber - peer.targetSeq(0)) >>> 0);
  }

  beforeEach(async () => {
    bench = new StackBench({ logLevel: 'debug' });
    // The gratuitous ARP of both stacks.
    await bench.settle();
    bench.takeSent();
  });

  afterEach(() => {
    bench.close();
  });

  it('raises a tiny peer MSS to the minimum', async () => {
    serve(9000, 4000);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41000, mss: 1, timestamps: true });
    await peer.open();
    const data = peer.take().filter((segment) => segment.payload.length > 0);
    assert.ok(data.length > 0, 'no data segment sent');
    // 48 bytes (MIN_SEND_MSS) minus 12 for the timestamps option.
    assert.equal(data[0].payload.length, 36);
  });

  it('drops SYN with FIN at a listener', async () => {
    serve(9000, 10);
    bench.inject([tcpFrame(PEER, { sourcePort: 41001, destinationPort: 9000, flags: TcpFlags.SYN | TcpFlags.FIN, sequenceNumber: 5, mss: 1460 })]);
    await bench.settle();
    assert.deepEqual(segmentsTo(bench.takeSent()), []);
    assert.equal(bench.target.tcp.stats.dropped.listener, 1);
    assert.ok(bench.logLines.some((line) => line.includes('SYN with FIN to a listener')), bench.logLines.join('\n'));
  });

  it('drops segments from or to port 0 without a reset', async () => {
    bench.inject([
      tcpFrame(PEER, { sourcePort: 0, destinationPort: 9000, flags: TcpFlags.SYN, sequenceNumber: 5 }),
      tcpFrame(PEER, { sourcePort: 41002, destinationPort: 0, flags: TcpFlags.SYN, sequenceNumber: 5 }),
    ]);
    await bench.settle();
    assert.deepEqual(segmentsTo(bench.takeSent()), []);
    assert.equal(bench.target.tcp.stats.dropped.malformed, 2);
    assert.equal(bench.target.tcp.stats.resetsSent, 0);
  });

  it('ignores datagrams from loopback and 0.0.0.0', async () => {
    bench.inject([echoFrom({ ...PEER, source: 0x7f000001 }), echoFrom({ ...PEER, source: 0 })]);
    await bench.settle();
    assert.equal(bench.takeSent().length, 0);
    assert.equal(dropCount('invalid source address'), 2);
  });

  it('drops source-routed datagrams and answers other options', async () => {
    const route = [0, 0, 0, 0, 0, 0, 0];
    bench.inject([
      icmpFrame({ ...CLIENT, options: Uint8Array.from([IpOption.LOOSE_SOURCE_ROUTE, 7, 4, ...route.slice(0, 4), IpOption.END]) }, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 1, data: Buffer.alloc(8) }),
      icmpFrame({ ...CLIENT, options: Uint8Array.from([IpOption.NOP, IpOption.STRICT_SOURCE_ROUTE, 7, 4, ...route.slice(0, 4)]) }, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 2, data: Buffer.alloc(8) }),
      icmpFrame({ ...CLIENT, options: Uint8Array.from([IpOption.RECORD_ROUTE, 7, 4, ...route.slice(0, 4), IpOption.END]) }, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 3, data: Buffer.alloc(8) }),
    ]);
    await bench.settle();
    assert.equal(repliesTo(CLIENT_IP, bench.takeSent()), 1);
    assert.equal(dropCount('source-routed datagram'), 2);
  });

  it('evicts stale fragments to reassemble a fresh datagram', async () => {
    // Twenty datagrams of almost 64 KB that never complete (their first
    // fragment is missing) fill the reassembly memory.
    for (let id = 1; id <= 20; id++) {
      const stale = fragmentFrame(echoFrom({ ...PEER, identification: id }, 60_000), 1480);
      bench.inject(stale.slice(1));
      await bench.settle();
    }
    assert.ok(bench.target.ipv4.reassembler.bytesInProgress > REASSEMBLY_MAX_BYTES - 64 * 1024, `${bench.target.ipv4.reassembler.bytesInProgress} bytes held`);
    bench.takeSent();
    bench.inject(fragmentFrame(echoFrom({ ...CLIENT, identification: 99 }, 4000), 1480));
    await bench.settle();
    assert.equal(repliesTo(CLIENT_IP, bench.takeSent()), 1);
    assert.ok(bench.target.ipv4.reassembler.evictions > 0);
    assert.ok(bench.target.ipv4.reassembler.bytesInProgress <= REASSEMBLY_MAX_BYTES);
  });

  it('discards a datagram whose last fragment ends below held data', async () => {
    const pieces = fragmentFrame(echoFrom({ ...PEER, identification: 5 }, 4000), 1480);
    bench.inject([pieces[1]]);
    await bench.settle();
    assert.equal(bench.target.ipv4.reassembler.datagramsInProgress, 1);
    // A last fragment (MF clear) at offset 8 that ends at byte 16, below the held 1480-2960.
    const shortLast = Buffer.from(pieces[1].subarray(0, 14 + 20 + 8));
    shortLast.writeUInt16BE(28, 16);
    shortLast.writeUInt16BE(1, 20);
    repairChecksums(shortLast);
    bench.inject([shortLast]);
    await bench.settle();
    assert.equal(bench.target.ipv4.reassembler.datagramsInProgress, 0);
    assert.equal(dropCount('bad fragment'), 1);
    assert.ok(bench.logLines.some((line) => line.includes('fragment beyond the end of the datagram')), bench.logLines.join('\n'));
  });

  it('counts a repeated fragment as a drop', async () => {
    const pieces = fragmentFrame(echoFrom({ ...CLIENT, identification: 6 }, 4000), 1480);
    bench.inject([pieces[0], pieces[0], pieces[1], pieces[2]]);
    await bench.settle();
    assert.equal(repliesTo(CLIENT_IP, bench.takeSent()), 1);
    assert.equal(dropCount('duplicate fragment'), 1);
  });

  it('keeps the MSS on fragmentation needed', async () => {
    serve(9000, 40_000);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41003, mss: 1460 });
    await peer.open();
    const first = peer.take().filter((segment) => segment.payload.length > 0);
    assert.equal(first[0].payload.length, 1460);

    /** Builds an ICMP "fragmentation needed" that quotes the first unacknowledged segment, with or without DF. */
    const fragmentationNeeded = (mtu: number, dontFragment: boolean): Buffer => {
      const segment = tcpSegment(TARGET_IP, PEER_IP, { sourcePort: 9000, destinationPort: 41003, sequenceNumber: peer.targetSeq(1460), flags: TcpFlags.ACK });
      const quote = ipv4Frame({ destinationMac: PEER_MAC, sourceMac: TARGET_MAC, source: TARGET_IP, destination: PEER_IP, protocol: IpProtocol.TCP, dontFragment }, segment).subarray(14, 14 + 28);
      return icmpFrame(PEER, { type: IcmpType.DESTINATION_UNREACHABLE, code: 4, rest: mtu, data: quote });
    };
    peer.ack(1460);
    await bench.settle();
    assert.deepEqual(peer.take().filter((segment) => segment.payload.length > 0).map((segment) => segment.payload.length), [1460, 1460]);
    bench.inject([fragmentationNeeded(1000, false)]);
    await bench.settle();
    assert.equal(dropCount('fragmentation needed for a datagram without DF'), 1);
    assert.deepEqual(peer.take(), []);

    // The stack never sets DF, so a quote with DF is forged too: no path MTU
    // discovery, nothing resent, the MSS stays.
    bench.inject([fragmentationNeeded(100, true)]);
    await bench.settle();
    assert.deepEqual(peer.take(), []);
    peer.ack(2 * 1460);
    await bench.settle();
    const next = peer.take().filter((segment) => segment.payload.length > 0);
    assert.ok(next.length > 0, 'nothing sent after the ACK');
    assert.equal(next[0].payload.length, 1460);
  });

  it('retransmits on SACK duplicates that change the window', async () => {
    serve(9000, 30 * SEGMENT_BYTES);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41004, mss: 1460 + 12, sack: true, timestamps: true, window: 30_000 });
    await peer.open();
    assert.deepEqual(dataOffsets(peer), [0, 1, 2].map((i) => i * SEGMENT_BYTES), 'initial window of three segments');
    peer.ack(SEGMENT_BYTES, [], 30_000);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [3, 4].map((i) => i * SEGMENT_BYTES));
    // Segment 2 is lost; the peer SACKs 3, 3-4 and 3-5 while its window grows.
    for (let i = 1; i <= 3; i++) peer.ack(SEGMENT_BYTES, [2 * SEGMENT_BYTES, (2 + i) * SEGMENT_BYTES], 30_000 + i * 1000);
    await bench.settle();
    const retransmitted = peer.take().filter((segment) => segment.header.sequenceNumber === peer.targetSeq(SEGMENT_BYTES));
    assert.equal(retransmitted.length, 1, 'segment 2 not retransmitted before the timeout');
    assert.equal(bench.target.tcp.stats.retransmittedSegments, 1);
  });

  it('starts a new recovery right at the old recovery point', async () => {
    serve(9000, 30 * SEGMENT_BYTES);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41013, mss: 1460 + 12, sack: true, timestamps: true });
    await peer.open();
    assert.deepEqual(dataOffsets(peer), [0, 1, 2].map((i) => i * SEGMENT_BYTES));
    peer.ack(SEGMENT_BYTES);
    await bench.settle();
    // Segment 1 is lost: recovery starts once segments up to 6 are out, so its recovery point is segment 7.
    for (let i = 1; i <= 3; i++) peer.ack(SEGMENT_BYTES, [2 * SEGMENT_BYTES, (2 + i) * SEGMENT_BYTES]);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [3, 4, 5, 6, 1].map((i) => i * SEGMENT_BYTES));
    // The ACK of everything up to the recovery point ends the recovery, and segment 7 is lost too.
    peer.ack(7 * SEGMENT_BYTES);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [7, 8, 9].map((i) => i * SEGMENT_BYTES));
    for (let i = 1; i <= 3; i++) peer.ack(7 * SEGMENT_BYTES, [8 * SEGMENT_BYTES, (8 + i) * SEGMENT_BYTES]);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [10, 11, 7].map((i) => i * SEGMENT_BYTES), 'segment 7 not retransmitted before the timeout');
  });

  it('sends the rescue retransmission for a lost last segment', async () => {
    serve(9000, 7 * SEGMENT_BYTES);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41005, mss: 1460 + 12, sack: true, timestamps: true });
    await peer.open();
    assert.deepEqual(dataOffsets(peer), [0, 1, 2].map((i) => i * SEGMENT_BYTES));
    peer.ack(SEGMENT_BYTES);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [3, 4].map((i) => i * SEGMENT_BYTES));
    peer.ack(2 * SEGMENT_BYTES);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [5, 6].map((i) => i * SEGMENT_BYTES), 'all seven segments are out');
    // Segments 3 and 7 are lost: three SACKs of 4-6 start recovery and resend 3.
    for (let i = 1; i <= 3; i++) peer.ack(2 * SEGMENT_BYTES, [3 * SEGMENT_BYTES, (3 + i) * SEGMENT_BYTES]);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [2 * SEGMENT_BYTES]);
    // The repaired hole makes a partial ACK up to segment 7, which no SACK block can reveal as lost.
    peer.ack(6 * SEGMENT_BYTES);
    await bench.settle();
    assert.deepEqual(dataOffsets(peer), [6 * SEGMENT_BYTES]);
  });

  it('closes without TIME-WAIT beyond the limit', async () => {
    bench.close();
    bench = new StackBench({ logLevel: 'debug', tcp: { timeWaitMaxConnections: 1 } });
    await bench.settle();
    serve(9000, 3, true);
    for (const peerPort of [41006, 41007]) {
      const peer = new RawPeer(bench, { serverPort: 9000, peerPort });
      await peer.open();
      const fin = peer.take().find((segment) => (segment.header.flags & TcpFlags.FIN) !== 0);
      assert.ok(fin, 'the server closes first');
      peer.inject({ flags: TcpFlags.ACK | TcpFlags.FIN, acknowledgmentNumber: peer.targetSeq(4) });
      await bench.settle();
      const last = peer.take();
      assert.equal(last.length, 1, 'the FIN is acknowledged');
      assert.equal(last[0].header.acknowledgmentNumber, (peer.peerNext + 1) >>> 0);
    }
    assert.equal(bench.target.tcp.stats.connectionsByState['TIME-WAIT'], 1);
    assert.equal(bench.target.tcp.stats.timeWaitOverflows, 1);
    assert.equal(bench.target.tcp.connectionTotal, 1);
  });

  it('drops one throwing frame and processes the rest of the batch', async () => {
    createServer(bench.target, (socket) => {
      socket.on('data', (data: Buffer) => {
        if (data.toString() === 'boom') throw new Error('planted failure in a data listener');
      });
    }).listen(9000);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41008 });
    await peer.open();
    peer.inject({ flags: TcpFlags.ACK | TcpFlags.PSH, acknowledgmentNumber: peer.targetSeq(0) }, Buffer.from('boom'));
    bench.inject([echoFrom(CLIENT)]);
    await bench.settle();
    assert.equal(repliesTo(CLIENT_IP, bench.takeSent()), 1);
    assert.equal(dropCount('frame processing failed'), 1);
    assert.equal(bench.logLines.filter((line) => /^\S+ error /.test(line) && line.includes('planted failure')).length, 1);
  });

  it('learns nothing from ARP with our MAC or a group address', async () => {
    bench.inject([
      arpFrameOf(TARGET_MAC, PEER_MAC, { operation: ArpOperation.REPLY, senderMac: TARGET_MAC, senderIp: STRANGER_IP, targetMac: TARGET_MAC, targetIp: TARGET_IP }),
      arpFrameOf(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: 0xe0000001, targetMac: 0, targetIp: TARGET_IP }),
      arpFrameOf(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: 0x7f000001, targetMac: 0, targetIp: TARGET_IP }),
    ]);
    await bench.settle();
    assert.equal(bench.takeSent().length, 0, 'no ARP reply');
    assert.equal(bench.target.iface.arp.lookup(STRANGER_IP), undefined);
    assert.equal(bench.target.iface.arp.lookup(0xe0000001), undefined);
    assert.equal(dropCount('ARP with an invalid sender MAC'), 1);
    assert.equal(dropCount('ARP with an invalid sender address'), 2);
  });

  it('bounds out-of-order data across connections', async () => {
    bench.close();
    bench = new StackBench({ logLevel: 'debug', tcp: { outOfOrderMaxBytes: 10_000 } });
    await bench.settle();
    createServer(bench.target, (socket) => socket.on('error', () => undefined)).listen(9000);
    const peers = [new RawPeer(bench, { serverPort: 9000, peerPort: 41011 }), new RawPeer(bench, { serverPort: 9000, peerPort: 41012 })];
    for (const peer of peers) await peer.open();
    // Each peer skips its first byte and sends 8000 bytes behind the gap.
    for (const peer of peers) peer.inject({ flags: TcpFlags.ACK, sequenceNumber: (peer.peerNext + 1) >>> 0, acknowledgmentNumber: peer.targetSeq(0) }, Buffer.alloc(8000, 0x44));
    await bench.settle();
    assert.equal(bench.target.counters().tcpOutOfOrderBytes, 8000);
    assert.equal(bench.target.tcp.stats.dropped.reassembly, 1);
    assert.ok(bench.logLines.some((line) => line.includes('out-of-order memory of all connections full')), bench.logLines.join('\n'));

    // Filling the first peer's gap delivers its data and frees the memory.
    peers[0].inject({ flags: TcpFlags.ACK, acknowledgmentNumber: peers[0].targetSeq(0) }, Buffer.alloc(1, 0x44));
    await bench.settle();
    assert.equal(bench.target.counters().tcpOutOfOrderBytes, 0);
  });

  it('stops every connection timer when the stack closes', async () => {
    serve(9000, 40_000);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41010 });
    await peer.open();
    assert.ok(peer.take().length > 0, 'data in flight');
    assert.ok(bench.clock.pendingTimers() > 0);
    bench.close();
    assert.equal(bench.target.tcp.connectionTotal, 0);
    assert.equal(bench.target.tcp.stats.connectionsByState.LISTEN, 0);
    assert.equal(bench.clock.pendingTimers(), 0);
  });

  it('keeps live counts of connections by state', async () => {
    serve(9000, 10);
    const peer = new RawPeer(bench, { serverPort: 9000, peerPort: 41009 });
    await peer.open();
    assert.equal(bench.target.tcp.stats.connectionsByState.LISTEN, 1);
    assert.equal(bench.target.tcp.stats.connectionsByState.ESTABLISHED, 1);
    peer.inject({ flags: TcpFlags.RST, acknowledgmentNumber: 0 });
    await bench.settle();
    assert.equal(bench.target.tcp.stats.connectionsByState.ESTABLISHED, 0);
    assert.deepEqual(bench.target.tcp.stats.connectionsByState, bench.target.tcp.counters().connectionsByState);
  });
});

describe('stack fuzzing: SACK scoreboard', () => {
  it('ignores blocks beyond the range limit', () => {
    const scoreboard = new SackScoreboard();
    // A receiver that SACKs every other byte of a large window.
    for (let i = 0; i < 4 * SACK_MAX_RANGES; i++) scoreboard.update([1000 + 2 * i + 1, 1000 + 2 * i + 2], 1000, 1_000_000);
    assert.equal(scoreboard.sackedRanges.length, 2 * SACK_MAX_RANGES);
    // Blocks that extend or merge known ranges still count.
    assert.equal(scoreboard.update([1001, 1003], 1000, 1_000_000), 1);
  });
});
