import * as assert from 'node:assert/strict';
import { ManualClock } from '../../../src/net/clock';
import { createMemoryLink } from '../../../src/net/phy/memory-link';
import { NetworkStack } from '../../../src/net/stack';
import { ArpOperation, parseArp } from '../../../src/net/wire/arp';
import { EtherType, MAC_BROADCAST, parseEthernet } from '../../../src/net/wire/ethernet';
import { IcmpType, parseIcmp } from '../../../src/net/wire/icmp';
import { IpProtocol, parseIpv4 } from '../../../src/net/wire/ipv4';
import { arpFrame, ethernetFrame, icmpDatagram, ipv4Datagram, ProbeHost, udpDatagram } from '../../helpers/frames';

const STACK_MAC = 0x02000000aa01;
const PEER_MAC = 0x02000000bb02;
const STACK_IP = 0xc0a87a02; // 192.168.122.2
const PEER_IP = 0xc0a87a01; // 192.168.122.1

function setup(options: { staticArp?: Array<{ ip: number; mac: number }> } = {}) {
  const [stackEnd, probeEnd] = createMemoryLink();
  const clock = new ManualClock();
  const stack = new NetworkStack({ device: stackEnd, mac: STACK_MAC, clock, staticArp: options.staticArp });
  const probe = new ProbeHost(probeEnd);
  stack.start();
  return { stack, probe, clock };
}

function arpOf(frame: Uint8Array) {
  const ethernet = parseEthernet(frame);
  assert.ok(ethernet);
  assert.equal(ethernet.etherType, EtherType.ARP);
  const parsed = parseArp(frame.subarray(14));
  assert.ok(parsed.ok);
  return { ethernet, arp: parsed.packet };
}

function ipv4Of(frame: Uint8Array) {
  const ethernet = parseEthernet(frame);
  assert.ok(ethernet);
  assert.equal(ethernet.etherType, EtherType.IPV4);
  const parsed = parseIpv4(frame.subarray(14));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return { ethernet, header: parsed.header, payload: frame.subarray(14 + parsed.header.headerLength, 14 + parsed.header.totalLength) };
}

describe('stack: ARP', () => {
  it('announces the address with a gratuitous ARP', async () => {
    const { stack, probe } = setup();
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    const [frame] = await probe.waitFor(1);
    const { ethernet, arp } = arpOf(frame);
    assert.equal(ethernet.destination, MAC_BROADCAST);
    assert.equal(arp.operation, ArpOperation.REQUEST);
    assert.equal(arp.senderIp, STACK_IP);
    assert.equal(arp.targetIp, STACK_IP);
    assert.equal(arp.senderMac, STACK_MAC);
    stack.close();
  });

  it('answers a request for its address', async () => {
    const { stack, probe } = setup();
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    await probe.waitFor(1);
    probe.send(arpFrame(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: 0, targetIp: STACK_IP }));
    const frames = await probe.waitFor(2);
    const { ethernet, arp } = arpOf(frames[1]);
    assert.equal(frames[1].length, 60);
    assert.equal(ethernet.destination, PEER_MAC);
    assert.deepEqual(arp, { operation: ArpOperation.REPLY, senderMac: STACK_MAC, senderIp: STACK_IP, targetMac: PEER_MAC, targetIp: PEER_IP });
    assert.equal(stack.iface.arp.lookup(PEER_IP), PEER_MAC);
    stack.close();
  });

  it('ignores requests for other addresses without learning', async () => {
    const { stack, probe } = setup();
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    await probe.waitFor(1);
    probe.send(arpFrame(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: 0, targetIp: STACK_IP + 5 }));
    assert.equal((await probe.settle()).length, 1);
    assert.equal(stack.iface.arp.lookup(PEER_IP), undefined);
    stack.close();
  });

  it('never overwrites a static entry', async () => {
    const staticMac = 0x02000000cc03;
    const { stack, probe } = setup({ staticArp: [{ ip: PEER_IP, mac: staticMac }] });
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    await probe.waitFor(1);
    probe.send(arpFrame(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: 0, targetIp: STACK_IP }));
    await probe.waitFor(2);
    assert.equal(stack.iface.arp.lookup(PEER_IP), staticMac);
    stack.close();
  });

  it('defends its address against another announcement', async () => {
    const { stack, probe } = setup();
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    await probe.waitFor(1);
    // Another host announces our address (a gratuitous ARP request).
    probe.send(arpFrame(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: STACK_IP, targetMac: 0, targetIp: STACK_IP }));
    const frames = await probe.waitFor(2);
    const { ethernet, arp } = arpOf(frames[1]);
    assert.equal(ethernet.destination, PEER_MAC);
    assert.deepEqual(arp, { operation: ArpOperation.REPLY, senderMac: STACK_MAC, senderIp: STACK_IP, targetMac: PEER_MAC, targetIp: STACK_IP });
    assert.equal(new Map(stack.iface.drops.entries()).get('ARP claiming our address'), 1);
    assert.equal(stack.iface.arp.lookup(STACK_IP), undefined);
    stack.close();
  });

  it('expires learnt entries but not static ones', async () => {
    const staticIp = PEER_IP + 7;
    const { stack, probe, clock } = setup({ staticArp: [{ ip: staticIp, mac: 0x02000000cc03 }] });
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    probe.send(arpFrame(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: 0, targetIp: STACK_IP }));
    await probe.waitFor(2);
    clock.advance(300_001);
    assert.equal(stack.iface.arp.lookup(PEER_IP), undefined);
    assert.equal(stack.iface.arp.lookup(staticIp), 0x02000000cc03);
    stack.close();
  });

  it('confirms an entry in use before it expires', async () => {
    const { stack, probe, clock } = setup();
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    probe.send(arpFrame(MAC_BROADCAST, PEER_MAC, { operation: ArpOperation.REQUEST, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: 0, targetIp: STACK_IP }));
    await probe.waitFor(2);
    // Traffic flows every 10 s; the peer sends no ARP of its own.
    let sent = 2;
    for (let second = 10; second <= 280; second += 10) {
      clock.advance(10_000);
      stack.udp.send(4000, PEER_IP, 5000, Buffer.from('tick'));
      sent++;
    }
    const frames = await probe.waitFor(sent + 1);
    const requests = frames.slice(2).filter((frame) => parseEthernet(frame)?.etherType === EtherType.ARP).map((frame) => arpOf(frame));
    assert.equal(requests.length, 1);
    assert.equal(requests[0].ethernet.destination, PEER_MAC);
    assert.equal(requests[0].arp.operation, ArpOperation.REQUEST);
    assert.equal(requests[0].arp.targetIp, PEER_IP);
    // The reply renews the entry, so traffic goes on without a new resolution.
    probe.send(arpFrame(STACK_MAC, PEER_MAC, { operation: ArpOperation.REPLY, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: STACK_MAC, targetIp: STACK_IP }));
    await probe.settle();
    clock.advance(60_000);
    assert.equal(stack.iface.arp.lookup(PEER_IP), PEER_MAC);
    stack.close();
  });

  it('resolves before sending and retries three times', async () => {
    const { stack, probe, clock } = setup();
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    await probe.waitFor(1);
    stack.udp.send(4000, PEER_IP, 5000, Buffer.from('hello'));
    const frames = await probe.waitFor(2);
    assert.equal(arpOf(frames[1]).arp.targetIp, PEER_IP);
    clock.advance(1000);
    clock.advance(1000);
    await probe.waitFor(4);
    clock.advance(1000);
    assert.equal((await probe.settle()).length, 4);
    assert.equal(stack.iface.arp.unresolvedDrops, 1);
    stack.close();
  });

  it('sends held datagrams once the reply arrives', async () => {
    const { stack, probe } = setup();
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    stack.udp.send(4000, PEER_IP, 5000, Buffer.from('hello'));
    await probe.waitFor(2);
    probe.send(arpFrame(STACK_MAC, PEER_MAC, { operation: ArpOperation.REPLY, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: STACK_MAC, targetIp: STACK_IP }));
    const frames = await probe.waitFor(3);
    const { ethernet, header } = ipv4Of(frames[2]);
    assert.equal(ethernet.destination, PEER_MAC);
    assert.equal(header.protocol, IpProtocol.UDP);
    stack.close();
  });
});

describe('stack: IPv4 and ICMP', () => {
  async function configured() {
    const context = setup({ staticArp: [{ ip: PEER_IP, mac: PEER_MAC }] });
    context.stack.configure({ address: STACK_IP, prefixLength: 24 });
    await context.probe.waitFor(1);
    context.probe.received.length = 0;
    return context;
  }

  it('answers an echo request', async () => {
    const { stack, probe } = await configured();
    const request = icmpDatagram(PEER_IP, STACK_IP, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 0x00420007, data: Buffer.from('ping data') });
    probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, request));
    const [frame] = await probe.waitFor(1);
    const { header, payload } = ipv4Of(frame);
    assert.equal(header.source, STACK_IP);
    assert.equal(header.destination, PEER_IP);
    const reply = parseIcmp(payload);
    assert.ok(reply.ok);
    assert.equal(reply.message.type, IcmpType.ECHO_REPLY);
    assert.equal(reply.message.rest, 0x00420007);
    assert.equal(Buffer.from(reply.message.data).toString(), 'ping data');
    stack.close();
  });

  it('fragments a large echo reply', async () => {
    const { stack, probe } = await configured();
    const data = Buffer.alloc(4000, 0x5a);
    const request = icmpDatagram(PEER_IP, STACK_IP, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 1, data });
    // Send the 4028-byte request in three fragments of at most 1480 data bytes.
    const body = request.subarray(20);
    for (let offset = 0; offset < body.length; offset += 1480) {
      const piece = body.subarray(offset, offset + 1480);
      const more = offset + piece.length < body.length;
      probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, ipv4Datagram({ protocol: IpProtocol.ICMP, source: PEER_IP, destination: STACK_IP, identification: 77, moreFragments: more, fragmentOffset: offset }, piece)));
    }
    const frames = await probe.waitFor(3);
    const pieces = frames.map(ipv4Of);
    assert.deepEqual(pieces.map((p) => p.header.fragmentOffset), [0, 1480, 2960]);
    assert.deepEqual(pieces.map((p) => p.header.moreFragments), [true, true, false]);
    const reply = parseIcmp(Buffer.concat(pieces.map((p) => p.payload)));
    assert.ok(reply.ok);
    assert.equal(reply.message.type, IcmpType.ECHO_REPLY);
    assert.deepEqual(Buffer.from(reply.message.data), data);
    stack.close();
  });

  it('reports a reassembly timeout with time exceeded', async () => {
    const { stack, probe, clock } = await configured();
    const request = icmpDatagram(PEER_IP, STACK_IP, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 1, data: Buffer.alloc(3000, 1) });
    const first = ipv4Datagram({ protocol: IpProtocol.ICMP, source: PEER_IP, destination: STACK_IP, identification: 99, moreFragments: true, fragmentOffset: 0 }, request.subarray(20, 20 + 1480));
    probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, first));
    assert.equal((await probe.settle()).length, 0);
    clock.advance(30_000);
    const [frame] = await probe.waitFor(1);
    const error = parseIcmp(ipv4Of(frame).payload);
    assert.ok(error.ok);
    assert.equal(error.message.type, IcmpType.TIME_EXCEEDED);
    assert.equal(error.message.code, 1);
    // The quote is the first fragment's header and its first 8 bytes.
    assert.deepEqual(Buffer.from(error.message.data), first.subarray(0, 28));
    stack.close();
  });

  it('ignores a broadcast echo request', async () => {
    const { stack, probe } = await configured();
    const request = icmpDatagram(PEER_IP, 0xc0a87aff, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 1, data: Buffer.alloc(0) });
    probe.send(ethernetFrame(MAC_BROADCAST, PEER_MAC, EtherType.IPV4, request));
    assert.equal((await probe.settle()).length, 0);
    stack.close();
  });

  it('answers a closed UDP port with port unreachable', async () => {
    const { stack, probe } = await configured();
    const datagram = udpDatagram(PEER_IP, STACK_IP, 40000, 9999, Buffer.from('anyone?'));
    probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, datagram));
    const [frame] = await probe.waitFor(1);
    const { payload } = ipv4Of(frame);
    const error = parseIcmp(payload);
    assert.ok(error.ok);
    assert.equal(error.message.type, IcmpType.DESTINATION_UNREACHABLE);
    assert.equal(error.message.code, 3);
    assert.deepEqual(Buffer.from(error.message.data.subarray(0, 28)), datagram.subarray(0, 28));
    stack.close();
  });

  it('delivers UDP to a bound port', async () => {
    const { stack, probe } = await configured();
    const received: string[] = [];
    stack.udp.bind(9999, (message) => received.push(`${message.sourcePort}:${Buffer.from(message.payload).toString()}`));
    probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, udpDatagram(PEER_IP, STACK_IP, 40000, 9999, Buffer.from('hi'))));
    await probe.settle();
    assert.deepEqual(received, ['40000:hi']);
    stack.close();
  });

  it('answers an unknown protocol with protocol unreachable', async () => {
    const { stack, probe } = await configured();
    probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, ipv4Datagram({ protocol: 99, source: PEER_IP, destination: STACK_IP }, Buffer.alloc(8))));
    const [frame] = await probe.waitFor(1);
    const error = parseIcmp(ipv4Of(frame).payload);
    assert.ok(error.ok);
    assert.equal(error.message.code, 2);
    stack.close();
  });

  it('drops and counts malformed frames of each class', async () => {
    const { stack, probe } = await configured();
    const good = icmpDatagram(PEER_IP, STACK_IP, { type: IcmpType.ECHO_REQUEST, code: 0, rest: 1, data: Buffer.alloc(8) });
    const badChecksum = Buffer.from(good);
    badChecksum[10] ^= 0xff;
    const badIcmp = Buffer.from(good);
    badIcmp[25] ^= 0xff;
    const frames = [
      Buffer.alloc(10),
      ethernetFrame(STACK_MAC, PEER_MAC, 0x88b5, Buffer.alloc(46)),
      ethernetFrame(STACK_MAC, PEER_MAC, EtherType.VLAN, Buffer.alloc(46)),
      ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, badChecksum),
      ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, badIcmp),
      ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, good.subarray(0, 15)),
      ethernetFrame(0x02000000dd04, PEER_MAC, EtherType.IPV4, good),
      ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, icmpDatagram(PEER_IP, STACK_IP + 1, { type: 8, code: 0, rest: 1, data: Buffer.alloc(0) })),
      ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, icmpDatagram(0xffffffff, STACK_IP, { type: 8, code: 0, rest: 1, data: Buffer.alloc(0) })),
    ];
    probe.send(...frames);
    assert.equal((await probe.settle()).length, 0);
    const reasons = new Map(stack.iface.drops.entries());
    for (const reason of ['runt frame', 'unknown EtherType', 'VLAN-tagged frame', 'malformed IPv4', 'malformed ICMP', 'frame for another host', 'datagram for another address', 'invalid source address']) {
      assert.ok(reasons.has(reason), `no drop counted for "${reason}": ${[...reasons.keys()].join(', ')}`);
    }
    assert.equal(stack.iface.drops.total, frames.length);
    // Still answering afterwards.
    probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, good));
    await probe.waitFor(1);
    stack.close();
  });
});

describe('stack: ICMP errors for TCP', () => {
  it('aborts a connect on port unreachable', async () => {
    const { stack, probe } = setup({ staticArp: [{ ip: PEER_IP, mac: PEER_MAC }] });
    stack.configure({ address: STACK_IP, prefixLength: 24 });
    await probe.waitFor(1);
    const { connect } = await import('../../../src/net/socket');
    const socket = connect(stack, { host: '192.168.122.1', port: 8080 });
    const failure = new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
    const frames = await probe.waitFor(2);
    const syn = ipv4Of(frames[1]);
    assert.equal(syn.header.protocol, IpProtocol.TCP);
    const quoted = Buffer.concat([frames[1].subarray(14, 14 + syn.header.headerLength), syn.payload.subarray(0, 8)]);
    probe.send(ethernetFrame(STACK_MAC, PEER_MAC, EtherType.IPV4, icmpDatagram(PEER_IP, STACK_IP, { type: IcmpType.DESTINATION_UNREACHABLE, code: 3, rest: 0, data: quoted })));
    const error = await failure;
    assert.equal(error.code, 'ECONNREFUSED');
    stack.close();
  });
});
