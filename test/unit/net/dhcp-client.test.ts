import * as assert from 'node:assert/strict';
import { setLogSink } from '../../../src/log';
import { ManualClock, type TimerHandle } from '../../../src/net/clock';
import { DhcpClient, type DhcpLease } from '../../../src/net/dhcp-client';
import { createMemoryLink } from '../../../src/net/phy/memory-link';
import { NetworkStack } from '../../../src/net/stack';
import { BootpOperation, DhcpMessageType, emitDhcp, parseDhcp, type DhcpMessage, type DhcpOptions } from '../../../src/net/wire/dhcp';
import { EtherType, MAC_BROADCAST, parseEthernet } from '../../../src/net/wire/ethernet';
import { IpProtocol, parseIpv4 } from '../../../src/net/wire/ipv4';
import { parseUdp } from '../../../src/net/wire/udp';
import { ethernetFrame, ProbeHost, udpDatagram } from '../../helpers/frames';

const CLIENT_MAC = 0x02000000aa01;
const SERVER_MAC = 0x02000000bb02;
const SERVER_IP = 0xc0a87a01; // 192.168.122.1
const OFFERED_IP = 0xc0a87a32; // 192.168.122.50
const DNS_IP = 0xc0a87a35; // 192.168.122.53
const LEASE_SECONDS = 3600;

/** A ManualClock that also records the delay of every timer set, to check retransmission timing exactly. */
class RecordingClock extends ManualClock {
  readonly delays: number[] = [];

  override setTimer(delayMs: number, callback: () => void): TimerHandle {
    this.delays.push(delayMs);
    return super.setTimer(delayMs, callback);
  }
}

interface SentDhcp {
  destinationMac: number;
  source: number;
  destination: number;
  sourcePort: number;
  destinationPort: number;
  message: DhcpMessage;
}

function setup(hostname?: string) {
  const [stackEnd, probeEnd] = createMemoryLink();
  const clock = new RecordingClock();
  const stack = new NetworkStack({ device: stackEnd, mac: CLIENT_MAC, clock, staticArp: [{ ip: SERVER_IP, mac: SERVER_MAC }] });
  const probe = new ProbeHost(probeEnd);
  stack.start();
  const client = new DhcpClient(stack, { hostname });
  const events: string[] = [];
  const leases: DhcpLease[] = [];
  client.on('bound', (lease) => {
    events.push('bound');
    leases.push(lease);
  });
  client.on('renewed', (lease) => {
    events.push('renewed');
    leases.push(lease);
  });
  client.on('lost', () => events.push('lost'));
  return { stack, probe, clock, client, events, leases };
}

/** Returns the DHCP messages the stack sent to port 67, in order, skipping other frames (ARP). */
function sentDhcp(probe: ProbeHost): SentDhcp[] {
  const sent: SentDhcp[] = [];
  for (const frame of probe.received) {
    const ethernet = parseEthernet(frame);
    if (ethernet === undefined || ethernet.etherType !== EtherType.IPV4) continue;
    const ip = parseIpv4(frame.subarray(14));
    assert.ok(ip.ok);
    if (ip.header.protocol !== IpProtocol.UDP) continue;
    const udp = parseUdp(frame.subarray(14 + ip.header.headerLength, 14 + ip.header.totalLength), ip.header.source, ip.header.destination);
    assert.ok(udp.ok, udp.ok ? '' : udp.reason);
    if (udp.datagram.destinationPort !== 67) continue;
    const dhcp = parseDhcp(udp.datagram.payload);
    assert.ok(dhcp.ok, dhcp.ok ? '' : dhcp.reason);
    sent.push({
      destinationMac: ethernet.destination,
      source: ip.header.source,
      destination: ip.header.destination,
      sourcePort: udp.datagram.sourcePort,
      destinationPort: udp.datagram.destinationPort,
      message: dhcp.message,
    });
  }
  return sent;
}

/** Waits until the stack has sent `count` DHCP messages in total; returns them all. */
async function waitForDhcp(probe: ProbeHost, count: number): Promise<SentDhcp[]> {
  for (let i = 0; i < 50; i++) {
    const sent = sentDhcp(probe);
    if (sent.length >= count) return sent;
    await probe.settle();
  }
  throw new Error(`expected ${count} DHCP messages, got ${sentDhcp(probe).length}`);
}

/** Builds a server reply to `request`, unicast to `destination` at the client's MAC. */
function reply(request: DhcpMessage, type: number, options: Partial<DhcpOptions> = {}, fields: Partial<DhcpMessage> = {}, destination = OFFERED_IP): Buffer {
  const message: DhcpMessage = {
    op: BootpOperation.REPLY,
    xid: request.xid,
    yiaddr: type === DhcpMessageType.NAK ? 0 : OFFERED_IP,
    siaddr: SERVER_IP,
    chaddr: request.chaddr,
    ...fields,
    options: { messageType: type, serverId: SERVER_IP, ...options },
  };
  return ethernetFrame(CLIENT_MAC, SERVER_MAC, EtherType.IPV4, udpDatagram(SERVER_IP, destination, 67, 68, emitDhcp(message)));
}

const LEASE_OPTIONS: Partial<DhcpOptions> = { subnetMask: 0xffffff00, routers: [SERVER_IP], dnsServers: [DNS_IP], leaseSeconds: LEASE_SECONDS };

/** Runs DISCOVER, OFFER, REQUEST, ACK and returns the REQUEST that the ACK acknowledged. */
async function bind(context: ReturnType<typeof setup>, ackOptions: Partial<DhcpOptions> = LEASE_OPTIONS): Promise<DhcpMessage> {
  const { probe, client } = context;
  client.start();
  const [discover] = await waitForDhcp(probe, 1);
  probe.send(reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS));
  const request = (await waitForDhcp(probe, 2))[1];
  probe.send(reply(request.message, DhcpMessageType.ACK, ackOptions));
  await probe.settle();
  assert.equal(client.state, 'BOUND');
  return request.message;
}

describe('dhcp client', () => {
  let logLines: string[] = [];
  let previousSink: (line: string) => void;
  beforeEach(() => {
    logLines = [];
    previousSink = setLogSink((line) => logLines.push(line));
  });
  afterEach(() => {
    setLogSink(previousSink);
  });

  it('sends a DISCOVER by broadcast', async () => {
    const { probe, client, stack } = setup('cache1');
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    assert.equal(client.state, 'SELECTING');
    assert.equal(discover.destinationMac, MAC_BROADCAST);
    assert.equal(discover.source, 0);
    assert.equal(discover.destination, 0xffffffff);
    assert.equal(discover.sourcePort, 68);
    assert.equal(discover.destinationPort, 67);
    const message = discover.message;
    assert.equal(message.op, BootpOperation.REQUEST);
    assert.equal(message.broadcast, false);
    assert.equal(message.ciaddr, 0);
    assert.equal(message.chaddr, CLIENT_MAC);
    assert.equal(message.secs, 0);
    assert.equal(message.options.messageType, DhcpMessageType.DISCOVER);
    assert.deepEqual(Array.from(message.options.clientId ?? []), [1, 0x02, 0, 0, 0, 0xaa, 0x01]);
    assert.deepEqual(message.options.parameterRequestList, [1, 3, 6, 12, 51, 58, 59]);
    assert.equal(message.options.hostName, 'cache1');
    assert.equal(message.options.maxMessageSize, 1500);
    assert.equal(message.options.requestedAddress, undefined);
    assert.equal(stack.iface.config, undefined);
    stack.close();
  });

  it('requests the offer and binds on ACK', async () => {
    const context = setup();
    const { probe, client, stack, events, leases } = context;
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    probe.send(reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS));
    const request = (await waitForDhcp(probe, 2))[1];
    assert.equal(client.state, 'REQUESTING');
    assert.equal(request.destination, 0xffffffff);
    assert.equal(request.source, 0);
    assert.equal(request.message.xid, discover.message.xid);
    assert.equal(request.message.ciaddr, 0);
    assert.equal(request.message.options.messageType, DhcpMessageType.REQUEST);
    assert.equal(request.message.options.requestedAddress, OFFERED_IP);
    assert.equal(request.message.options.serverId, SERVER_IP);

    probe.send(reply(request.message, DhcpMessageType.ACK, LEASE_OPTIONS));
    await probe.settle();
    assert.equal(client.state, 'BOUND');
    assert.deepEqual(stack.iface.config, { address: OFFERED_IP, prefixLength: 24, gateway: SERVER_IP });
    assert.deepEqual(events, ['bound']);
    const expected: DhcpLease = {
      address: OFFERED_IP,
      prefixLength: 24,
      gateway: SERVER_IP,
      dnsServers: [DNS_IP],
      server: SERVER_IP,
      leaseSeconds: LEASE_SECONDS,
      renewalSeconds: 1800,
      rebindingSeconds: 3150,
      obtainedAtMs: 0,
    };
    assert.deepEqual(leases[0], expected);
    assert.deepEqual(client.lease, expected);
    const infoLines = logLines.filter((line) => / info /.test(line));
    assert.equal(infoLines.length, 1);
    assert.match(infoLines[0], /dhcp: bound 192\.168\.122\.50\/24 from DHCP server 192\.168\.122\.1, gateway 192\.168\.122\.1, DNS 192\.168\.122\.53, for 3600 s$/);
    stack.close();
  });

  it('announces the bound address with ARP', async () => {
    const context = setup();
    await bind(context);
    const arp = context.probe.received.filter((frame) => parseEthernet(frame)?.etherType === EtherType.ARP);
    assert.equal(arp.length, 1);
    assert.equal(Buffer.from(arp[0].subarray(14 + 14, 14 + 18)).toString('hex'), 'c0a87a32');
    context.stack.close();
  });

  it('restarts discovery after a NAK', async () => {
    const { probe, client, stack, events, clock } = setup();
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    probe.send(reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS));
    const request = (await waitForDhcp(probe, 2))[1];
    probe.send(reply(request.message, DhcpMessageType.NAK, { message: 'wrong network' }));
    await probe.settle();
    assert.equal(client.state, 'INIT');
    assert.equal(stack.iface.config, undefined);
    assert.deepEqual(events, []);

    clock.advance(999);
    assert.equal(sentDhcp(probe).length, 2);
    clock.advance(1);
    const again = (await waitForDhcp(probe, 3))[2];
    assert.equal(client.state, 'SELECTING');
    assert.equal(again.message.options.messageType, DhcpMessageType.DISCOVER);
    assert.notEqual(again.message.xid, discover.message.xid);
    stack.close();
  });

  it('retransmits with the RFC 2131 back-off', async () => {
    const { probe, client, stack, clock } = setup();
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.message));
    client.start();
    const [first] = await waitForDhcp(probe, 1);
    const nominal = [4000, 8000, 16000, 32000, 64000];
    for (let i = 0; i < nominal.length; i++) {
      const delay = clock.delays[clock.delays.length - 1];
      assert.ok(delay >= nominal[i] - 1000, `delay ${i + 1} is ${delay} ms, below ${nominal[i]} - 1000`);
      assert.ok(delay <= nominal[i] + 1000, `delay ${i + 1} is ${delay} ms, above ${nominal[i]} + 1000`);
      clock.advance(delay - 1);
      await probe.settle();
      assert.equal(sentDhcp(probe).length, i + 1, `nothing sent before delay ${i + 1}`);
      clock.advance(1);
      const sent = await waitForDhcp(probe, i + 2);
      const latest = sent[i + 1].message;
      assert.equal(latest.options.messageType, DhcpMessageType.DISCOVER);
      if (i < nominal.length - 1) {
        assert.equal(latest.xid, first.message.xid, `retransmission ${i + 1} keeps the xid`);
        assert.equal(latest.secs, Math.floor(clock.now() / 1000));
      } else {
        assert.notEqual(latest.xid, first.message.xid, 'a new cycle takes a new xid');
        assert.equal(latest.secs, 0);
      }
    }
    assert.equal(errors.length, 1);
    assert.match(errors[0], /no DHCPOFFER on mem0 after 5 DHCPDISCOVERs/);
    stack.close();
  });

  it('retransmits a lost REQUEST', async () => {
    const { probe, client, stack, clock } = setup();
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    probe.send(reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS));
    const request = (await waitForDhcp(probe, 2))[1];
    const delay = clock.delays[clock.delays.length - 1];
    assert.ok(delay >= 3000, `delay is ${delay} ms, below 3000`);
    assert.ok(delay <= 5000, `delay is ${delay} ms, above 5000`);
    clock.advance(delay);
    const again = (await waitForDhcp(probe, 3))[2];
    assert.equal(again.message.options.messageType, DhcpMessageType.REQUEST);
    assert.equal(again.message.xid, request.message.xid);
    assert.equal(again.message.options.requestedAddress, OFFERED_IP);
    stack.close();
  });

  it('renews at T1 by unicast', async () => {
    const context = setup();
    const { probe, client, stack, clock, events, leases } = context;
    const request = await bind(context);
    const before = sentDhcp(probe).length;
    clock.advance(1_800_000 - 1);
    await probe.settle();
    assert.equal(sentDhcp(probe).length, before);
    clock.advance(1);
    const renewal = (await waitForDhcp(probe, before + 1))[before];
    assert.equal(client.state, 'RENEWING');
    assert.equal(renewal.destinationMac, SERVER_MAC);
    assert.equal(renewal.source, OFFERED_IP);
    assert.equal(renewal.destination, SERVER_IP);
    assert.equal(renewal.message.ciaddr, OFFERED_IP);
    assert.equal(renewal.message.options.messageType, DhcpMessageType.REQUEST);
    assert.equal(renewal.message.options.requestedAddress, undefined);
    assert.equal(renewal.message.options.serverId, undefined);
    assert.notEqual(renewal.message.xid, request.xid);

    probe.send(reply(renewal.message, DhcpMessageType.ACK, LEASE_OPTIONS));
    await probe.settle();
    assert.equal(client.state, 'BOUND');
    assert.deepEqual(events, ['bound', 'renewed']);
    assert.equal(leases[1].obtainedAtMs, 1_800_000);
    assert.deepEqual(stack.iface.config, { address: OFFERED_IP, prefixLength: 24, gateway: SERVER_IP });
    // The next renewal counts from the new lease.
    clock.advance(1_800_000 - 1);
    await probe.settle();
    assert.equal(client.state, 'BOUND');
    clock.advance(1);
    assert.equal(client.state, 'RENEWING');
    stack.close();
  });

  it('uses T1 and T2 from the server', async () => {
    const context = setup();
    await bind(context, { ...LEASE_OPTIONS, renewalSeconds: 100, rebindingSeconds: 200 });
    assert.equal(context.client.lease?.renewalSeconds, 100);
    assert.equal(context.client.lease?.rebindingSeconds, 200);
    context.clock.advance(100_000);
    assert.equal(context.client.state, 'RENEWING');
    context.clock.advance(100_000);
    assert.equal(context.client.state, 'REBINDING');
    context.stack.close();
  });

  it('falls back to default T1 and T2 when inconsistent', async () => {
    const context = setup();
    await bind(context, { ...LEASE_OPTIONS, renewalSeconds: 3000, rebindingSeconds: 2000 });
    assert.equal(context.client.lease?.renewalSeconds, 1800);
    assert.equal(context.client.lease?.rebindingSeconds, 3150);
    context.stack.close();
  });

  it('retries renewal, then rebinds at T2 by broadcast', async () => {
    const context = setup();
    const { probe, client, stack, clock } = context;
    await bind(context);
    const before = sentDhcp(probe).length;
    clock.advance(3_150_000 - 1);
    await probe.settle();
    const renewals = sentDhcp(probe).slice(before);
    // RFC 2131 4.4.5: each retry after half the time left until T2, at least 60 s apart:
    // at 1800, 2475, 2812.5, 2981.25, 3065.625 and 3125.625 s.
    assert.equal(renewals.length, 6);
    for (const renewal of renewals) assert.equal(renewal.destination, SERVER_IP);
    assert.equal(client.state, 'RENEWING');

    clock.advance(1);
    const rebind = (await waitForDhcp(probe, before + 7))[before + 6];
    assert.equal(client.state, 'REBINDING');
    assert.equal(rebind.destinationMac, MAC_BROADCAST);
    assert.equal(rebind.destination, 0xffffffff);
    assert.equal(rebind.source, OFFERED_IP);
    assert.equal(rebind.message.ciaddr, OFFERED_IP);
    assert.equal(rebind.message.options.serverId, undefined);

    // Another server acknowledges the rebinding request.
    const otherServer = 0xc0a87a02;
    probe.send(reply(rebind.message, DhcpMessageType.ACK, { ...LEASE_OPTIONS, serverId: otherServer }));
    await probe.settle();
    assert.equal(client.state, 'BOUND');
    assert.equal(client.lease?.server, otherServer);
    stack.close();
  });

  it('unconfigures and rediscovers on expiry', async () => {
    const context = setup();
    const { probe, client, stack, clock, events } = context;
    await bind(context);
    clock.advance(LEASE_SECONDS * 1000 - 1);
    await probe.settle();
    assert.equal(client.state, 'REBINDING');
    assert.notEqual(stack.iface.config, undefined);
    const before = sentDhcp(probe).length;
    clock.advance(1);
    const discover = (await waitForDhcp(probe, before + 1))[before];
    assert.equal(stack.iface.config, undefined);
    assert.equal(client.lease, undefined);
    assert.deepEqual(events, ['bound', 'lost']);
    assert.equal(client.state, 'SELECTING');
    assert.equal(discover.message.options.messageType, DhcpMessageType.DISCOVER);
    assert.equal(discover.source, 0);
    stack.close();
  });

  it('drops the lease on a NAK while renewing', async () => {
    const context = setup();
    const { probe, client, stack, clock, events } = context;
    await bind(context);
    const before = sentDhcp(probe).length;
    clock.advance(1_800_000);
    const renewal = (await waitForDhcp(probe, before + 1))[before];
    probe.send(reply(renewal.message, DhcpMessageType.NAK));
    await probe.settle();
    assert.deepEqual(events, ['bound', 'lost']);
    assert.equal(stack.iface.config, undefined);
    assert.equal(client.state, 'INIT');
    stack.close();
  });

  it('ignores a reply with a wrong xid', async () => {
    const { probe, client, stack } = setup();
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    probe.send(reply({ ...discover.message, xid: (discover.message.xid + 1) >>> 0 }, DhcpMessageType.OFFER, LEASE_OPTIONS));
    await probe.settle();
    assert.equal(sentDhcp(probe).length, 1);
    assert.equal(client.state, 'SELECTING');
    assert.equal(new Map(stack.iface.drops.entries()).get('DHCP reply with a wrong transaction id'), 1);
    stack.close();
  });

  it('ignores a reply for another chaddr', async () => {
    const { probe, client, stack } = setup();
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    probe.send(reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS, { chaddr: 0x02000000cc03 }));
    await probe.settle();
    assert.equal(sentDhcp(probe).length, 1);
    assert.equal(new Map(stack.iface.drops.entries()).get('DHCP reply for another client'), 1);
    stack.close();
  });

  it('ignores malformed and unusable replies', async () => {
    const { probe, client, stack } = setup();
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    const validOffer = reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS);
    // Cut the frame inside the options: the UDP length still fits, the last option does not.
    const payload = emitDhcp({ op: BootpOperation.REPLY, xid: discover.message.xid, chaddr: CLIENT_MAC, yiaddr: OFFERED_IP, options: { messageType: DhcpMessageType.OFFER, serverId: SERVER_IP } });
    payload[240 + 3 + 6] = 0x01;
    payload[240 + 3 + 6 + 1] = 0x08;
    payload.fill(0xee, 240 + 3 + 6 + 2);
    const malformed = ethernetFrame(CLIENT_MAC, SERVER_MAC, EtherType.IPV4, udpDatagram(SERVER_IP, OFFERED_IP, 67, 68, payload.subarray(0, 240 + 3 + 6 + 2 + 4)));
    const noServerId = reply(discover.message, DhcpMessageType.OFFER, { ...LEASE_OPTIONS, serverId: undefined });
    const badAddress = reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS, { yiaddr: 0xe0000001 });
    const wrongPort = ethernetFrame(CLIENT_MAC, SERVER_MAC, EtherType.IPV4, udpDatagram(SERVER_IP, OFFERED_IP, 6767, 68, validOffer.subarray(14 + 28)));
    const ackInSelecting = reply(discover.message, DhcpMessageType.ACK, LEASE_OPTIONS);
    probe.send(malformed, noServerId, badAddress, wrongPort, ackInSelecting);
    await probe.settle();
    assert.equal(sentDhcp(probe).length, 1);
    assert.equal(client.state, 'SELECTING');
    const drops = new Map(stack.iface.drops.entries());
    for (const reason of ['malformed DHCP message', 'unusable DHCPOFFER', 'DHCP message not from port 67', 'unexpected DHCP reply']) {
      assert.ok(drops.has(reason), `no drop counted for "${reason}": ${[...drops.keys()].join(', ')}`);
    }
    assert.equal(drops.get('unusable DHCPOFFER'), 2);
    stack.close();
  });

  it('ignores an ACK without a lease time', async () => {
    const { probe, client, stack } = setup();
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    probe.send(reply(discover.message, DhcpMessageType.OFFER, LEASE_OPTIONS));
    const request = (await waitForDhcp(probe, 2))[1];
    probe.send(reply(request.message, DhcpMessageType.ACK, { ...LEASE_OPTIONS, leaseSeconds: undefined }));
    await probe.settle();
    assert.equal(client.state, 'REQUESTING');
    assert.equal(stack.iface.config, undefined);
    assert.equal(new Map(stack.iface.drops.entries()).get('unusable DHCPACK'), 1);
    stack.close();
  });

  it('takes the mask from the address class without option 1', async () => {
    const { probe, client, stack } = setup();
    const classA = 0x0a000005; // 10.0.0.5
    client.start();
    const [discover] = await waitForDhcp(probe, 1);
    probe.send(reply(discover.message, DhcpMessageType.OFFER, { leaseSeconds: LEASE_SECONDS }, { yiaddr: classA }, classA));
    const request = (await waitForDhcp(probe, 2))[1];
    probe.send(reply(request.message, DhcpMessageType.ACK, { leaseSeconds: LEASE_SECONDS }, { yiaddr: classA }, classA));
    await probe.settle();
    assert.deepEqual(stack.iface.config, { address: classA, prefixLength: 8, gateway: undefined });
    assert.deepEqual(client.lease?.dnsServers, []);
    stack.close();
  });

  it('keeps an infinite lease without timers', async () => {
    const context = setup();
    await bind(context, { ...LEASE_OPTIONS, leaseSeconds: 0xffffffff });
    context.clock.advance(10 * 365 * 86_400_000);
    assert.equal(context.client.state, 'BOUND');
    context.stack.close();
  });

  it('keeps a lease longer than a Node timer', async () => {
    const context = setup();
    const days40 = 40 * 86_400;
    await bind(context, { ...LEASE_OPTIONS, leaseSeconds: days40 });
    assert.ok(context.clock.delays.every((delay) => delay <= 0x7fffffff), 'every timer fits a Node timer');
    context.clock.advance(days40 * 500 - 1);
    assert.equal(context.client.state, 'BOUND');
    context.clock.advance(1);
    assert.equal(context.client.state, 'RENEWING');
    context.stack.close();
  });

  it('releases the lease on stop', async () => {
    const context = setup();
    const { probe, client, stack } = context;
    await bind(context);
    const before = sentDhcp(probe).length;
    await client.stop();
    const release = (await waitForDhcp(probe, before + 1))[before];
    assert.equal(release.destination, SERVER_IP);
    assert.equal(release.source, OFFERED_IP);
    assert.equal(release.message.ciaddr, OFFERED_IP);
    assert.equal(release.message.options.messageType, DhcpMessageType.RELEASE);
    assert.equal(release.message.options.serverId, SERVER_IP);
    assert.equal(client.state, 'STOPPED');
    assert.equal(client.lease, undefined);
    assert.equal(stack.iface.config, undefined);
    // Port 68 is free again.
    stack.udp.bind(68, () => undefined);
    stack.close();
  });

  it('rejects a second client on the same stack', () => {
    const { client, stack } = setup();
    client.start();
    const second = new DhcpClient(stack);
    assert.throws(() => second.start(), /UDP port 68 is already bound/);
    stack.close();
  });
});
