import * as assert from 'node:assert/strict';
import { ManualClock } from '../../../src/net/clock';
import { DnsError, DnsResolver } from '../../../src/net/dns-resolver';
import { createMemoryLink } from '../../../src/net/phy/memory-link';
import { NetworkStack } from '../../../src/net/stack';
import { DnsClass, DnsRcode, DnsType, emitDns, parseDns, type DnsMessage, type DnsRecord } from '../../../src/net/wire/dns';
import { EtherType, parseEthernet } from '../../../src/net/wire/ethernet';
import { IpProtocol, parseIpv4 } from '../../../src/net/wire/ipv4';
import { parseUdp } from '../../../src/net/wire/udp';
import { ethernetFrame, icmpDatagram, ProbeHost, udpDatagram } from '../../helpers/frames';

const STACK_MAC = 0x02000000aa01;
const SERVER_MAC = 0x02000000bb02;
const STACK_IP = 0xc0a87a02; // 192.168.122.2
const FIRST_SERVER = 0xc0a87a01; // 192.168.122.1
const SECOND_SERVER = 0xc0a87a35; // 192.168.122.53
const ORIGIN_IP = 0x0a000005; // 10.0.0.5
const TIMEOUT_MS = 2000;

interface SentQuery {
  destination: number;
  sourcePort: number;
  destinationPort: number;
  message: DnsMessage;
}

function setup(options: { servers?: number[]; attempts?: number; configured?: boolean; maxCacheEntries?: number } = {}) {
  const [stackEnd, probeEnd] = createMemoryLink();
  const clock = new ManualClock();
  const stack = new NetworkStack({
    device: stackEnd,
    mac: STACK_MAC,
    clock,
    staticArp: [
      { ip: FIRST_SERVER, mac: SERVER_MAC },
      { ip: SECOND_SERVER, mac: SERVER_MAC },
    ],
  });
  const probe = new ProbeHost(probeEnd);
  stack.start();
  if (options.configured !== false) stack.configure({ address: STACK_IP, prefixLength: 24 });
  const servers = options.servers ?? [FIRST_SERVER, SECOND_SERVER];
  const resolver = new DnsResolver(stack, { servers: () => servers, timeoutMs: TIMEOUT_MS, attempts: options.attempts ?? 2, maxCacheEntries: options.maxCacheEntries });
  return { stack, probe, clock, resolver };
}

/** Returns the DNS queries the stack sent, in order, skipping other frames (ARP). */
function sentQueries(probe: ProbeHost): SentQuery[] {
  const sent: SentQuery[] = [];
  for (const frame of probe.received) {
    if (parseEthernet(frame)?.etherType !== EtherType.IPV4) continue;
    const ip = parseIpv4(frame.subarray(14));
    assert.ok(ip.ok);
    if (ip.header.protocol !== IpProtocol.UDP) continue;
    const udp = parseUdp(frame.subarray(14 + ip.header.headerLength, 14 + ip.header.totalLength), ip.header.source, ip.header.destination);
    assert.ok(udp.ok);
    const dns = parseDns(udp.datagram.payload);
    assert.ok(dns.ok, dns.ok ? '' : dns.reason);
    sent.push({ destination: ip.header.destination, sourcePort: udp.datagram.sourcePort, destinationPort: udp.datagram.destinationPort, message: dns.message });
  }
  return sent;
}

async function waitForQueries(probe: ProbeHost, count: number): Promise<SentQuery[]> {
  for (let i = 0; i < 50; i++) {
    const sent = sentQueries(probe);
    if (sent.length >= count) return sent;
    await probe.settle();
  }
  throw new Error(`expected ${count} DNS queries, got ${sentQueries(probe).length}`);
}

function aRecord(name: string, address: number, ttl = 300): DnsRecord {
  return { name, type: DnsType.A, class: DnsClass.IN, ttl, data: { kind: 'address', address } };
}

function cnameRecord(name: string, target: string, ttl = 300): DnsRecord {
  return { name, type: DnsType.CNAME, class: DnsClass.IN, ttl, data: { kind: 'name', name: target } };
}

function soaRecord(ttl: number, minimumSeconds: number): DnsRecord {
  return {
    name: 'test',
    type: DnsType.SOA,
    class: DnsClass.IN,
    ttl,
    data: { kind: 'soa', soa: { primaryServer: 'ns.test', mailbox: 'hostmaster.test', serial: 1, refreshSeconds: 3600, retrySeconds: 600, expireSeconds: 86400, minimumSeconds } },
  };
}

/** Builds the answer frame from the queried server to the query's port; `overrides` change any field. */
function answer(query: SentQuery, overrides: Partial<DnsMessage> = {}, from = query.destination, fromPort = 53): Buffer {
  const message: DnsMessage = { ...query.message, response: true, recursionAvailable: true, rcode: DnsRcode.NOERROR, ...overrides };
  return ethernetFrame(STACK_MAC, SERVER_MAC, EtherType.IPV4, udpDatagram(from, STACK_IP, fromPort, query.sourcePort, emitDns(message)));
}

async function rejection(promise: Promise<unknown>): Promise<DnsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DnsError, `expected a DnsError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the promise to reject');
}

function dropCount(stack: NetworkStack, reason: string): number {
  return new Map(stack.iface.drops.entries()).get(reason) ?? 0;
}

describe('dns resolver', () => {
  it('sends an A query with RD set', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [query] = await waitForQueries(probe, 1);
    assert.equal(query.destination, FIRST_SERVER);
    assert.equal(query.destinationPort, 53);
    assert.ok(query.sourcePort >= 49152, `source port ${query.sourcePort} is ephemeral`);
    assert.equal(query.message.response, false);
    assert.equal(query.message.recursionDesired, true);
    assert.deepEqual(query.message.questions, [{ name: 'origin.test', type: DnsType.A, class: DnsClass.IN }]);
    assert.equal(query.message.answers.length, 0);
    probe.send(answer(query, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('returns a dotted quad without a query', async () => {
    const { stack, probe, resolver } = setup();
    assert.equal(await resolver.resolve('192.168.122.7'), 0xc0a87a07);
    await probe.settle();
    assert.equal(sentQueries(probe).length, 0);
    stack.close();
  });

  it('follows a CNAME chain in the answer', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('www.origin.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(
      answer(query, {
        answers: [
          cnameRecord('WWW.origin.test', 'cdn.origin.test'),
          aRecord('unrelated.test', 0x01020304),
          cnameRecord('cdn.origin.test', 'edge.cdn.test'),
          aRecord('EDGE.cdn.test', ORIGIN_IP),
        ],
      }),
    );
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('rejects a CNAME loop', async () => {
    const { stack, probe, resolver } = setup({ servers: [FIRST_SERVER], attempts: 1 });
    const pending = resolver.resolve('a.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { answers: [cnameRecord('a.test', 'b.test'), cnameRecord('b.test', 'a.test')] }));
    const error = await rejection(pending);
    assert.equal(error.code, 'EBADRESP');
    assert.match(error.message, /CNAME loop at a\.test/);
    stack.close();
  });

  it('reports NXDOMAIN as ENOTFOUND', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('missing.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { rcode: DnsRcode.NXDOMAIN, authorities: [soaRecord(3600, 60)] }));
    const error = await rejection(pending);
    assert.equal(error.code, 'ENOTFOUND');
    assert.equal(error.hostname, 'missing.test');
    assert.equal(error.message, 'cannot resolve missing.test: name not found (NXDOMAIN from 192.168.122.1)');
    assert.equal(sentQueries(probe).length, 1);
    stack.close();
  });

  it('caches NXDOMAIN for the SOA minimum', async () => {
    const { stack, probe, clock, resolver } = setup();
    const first = resolver.resolve('missing.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { rcode: DnsRcode.NXDOMAIN, authorities: [soaRecord(3600, 60)] }));
    await rejection(first);

    clock.advance(59_999);
    const cached = await rejection(resolver.resolve('Missing.Test.'));
    assert.equal(cached.code, 'ENOTFOUND');
    assert.match(cached.message, /^cannot resolve Missing\.Test\.: name not found .*\(cached\)$/);
    assert.equal(sentQueries(probe).length, 1);

    clock.advance(1);
    const again = resolver.resolve('missing.test');
    await waitForQueries(probe, 2);
    clock.advance(TIMEOUT_MS * 4);
    await rejection(again);
    stack.close();
  });

  it('does not cache NXDOMAIN without an SOA', async () => {
    const { stack, probe, resolver } = setup();
    const first = resolver.resolve('missing.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { rcode: DnsRcode.NXDOMAIN }));
    await rejection(first);
    assert.equal(resolver.cacheSize, 0);
    stack.close();
  });

  it('reports a name without an A record as ENOTFOUND', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('alias.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { answers: [cnameRecord('alias.test', 'v6only.test')], authorities: [soaRecord(300, 300)] }));
    const error = await rejection(pending);
    assert.equal(error.code, 'ENOTFOUND');
    assert.match(error.message, /alias\.test \(alias of v6only\.test\) has no IPv4 address/);
    assert.equal(resolver.cacheSize, 1);
    stack.close();
  });

  it('asks the next server after SERVFAIL', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [first] = await waitForQueries(probe, 1);
    probe.send(answer(first, { rcode: DnsRcode.SERVFAIL }));
    const second = (await waitForQueries(probe, 2))[1];
    assert.equal(second.destination, SECOND_SERVER);
    assert.notEqual(second.sourcePort, first.sourcePort);
    probe.send(answer(second, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('reports ESERVFAIL when every server fails', async () => {
    const { stack, probe, resolver } = setup({ attempts: 1 });
    const pending = resolver.resolve('origin.test');
    const [first] = await waitForQueries(probe, 1);
    probe.send(answer(first, { rcode: DnsRcode.SERVFAIL }));
    const second = (await waitForQueries(probe, 2))[1];
    probe.send(answer(second, { rcode: DnsRcode.SERVFAIL }));
    const error = await rejection(pending);
    assert.equal(error.code, 'ESERVFAIL');
    assert.equal(error.message, 'cannot resolve origin.test: DNS server 192.168.122.53 failed (SERVFAIL)');
    stack.close();
  });

  it('falls back to the second server on timeout', async () => {
    const { stack, probe, clock, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [first] = await waitForQueries(probe, 1);
    clock.advance(TIMEOUT_MS - 1);
    await probe.settle();
    assert.equal(sentQueries(probe).length, 1);
    clock.advance(1);
    const second = (await waitForQueries(probe, 2))[1];
    assert.equal(first.destination, FIRST_SERVER);
    assert.equal(second.destination, SECOND_SERVER);
    probe.send(answer(second, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('accepts a late answer from the first server', async () => {
    const { stack, probe, clock, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [first] = await waitForQueries(probe, 1);
    clock.advance(TIMEOUT_MS);
    await waitForQueries(probe, 2);
    probe.send(answer(first, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('times out after every attempt', async () => {
    const { stack, probe, clock, resolver } = setup({ attempts: 2 });
    const pending = resolver.resolve('origin.test');
    for (let i = 1; i <= 4; i++) {
      await waitForQueries(probe, i);
      clock.advance(TIMEOUT_MS);
    }
    const error = await rejection(pending);
    const destinations = sentQueries(probe).map((query) => query.destination);
    assert.deepEqual(destinations, [FIRST_SERVER, SECOND_SERVER, FIRST_SERVER, SECOND_SERVER]);
    assert.equal(error.code, 'ETIMEOUT');
    assert.equal(error.message, 'cannot resolve origin.test: no answer from DNS server 192.168.122.1, 192.168.122.53 after 4 queries of 2000 ms');
    stack.close();
  });

  it('ignores an answer with a mismatched id', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { id: (query.message.id + 1) & 0xffff, answers: [aRecord('origin.test', 0x01010101)] }));
    await probe.settle();
    assert.equal(dropCount(stack, 'DNS answer with a wrong id'), 1);
    probe.send(answer(query, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('ignores answers from the wrong address, port or question', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [query] = await waitForQueries(probe, 1);
    const spoofed = [aRecord('origin.test', 0x01010101)];
    probe.send(
      answer(query, { answers: spoofed }, SECOND_SERVER),
      answer(query, { answers: spoofed }, FIRST_SERVER, 5353),
      answer(query, { questions: [{ name: 'other.test', type: DnsType.A, class: DnsClass.IN }], answers: spoofed }),
      answer(query, { questions: [{ name: 'origin.test', type: DnsType.AAAA, class: DnsClass.IN }], answers: spoofed }),
      answer(query, { response: false, answers: spoofed }),
    );
    await probe.settle();
    assert.equal(dropCount(stack, 'DNS answer from an unexpected address'), 2);
    assert.equal(dropCount(stack, 'DNS answer for another question'), 2);
    assert.equal(dropCount(stack, 'DNS message that is not an answer to a query'), 1);
    probe.send(answer(query, { questions: [{ name: 'ORIGIN.test', type: DnsType.A, class: DnsClass.IN }], answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('ignores a malformed answer', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [query] = await waitForQueries(probe, 1);
    const good = emitDns({ ...query.message, response: true, answers: [aRecord('origin.test', ORIGIN_IP)] });
    const cut = good.subarray(0, good.length - 2);
    probe.send(ethernetFrame(STACK_MAC, SERVER_MAC, EtherType.IPV4, udpDatagram(FIRST_SERVER, STACK_IP, 53, query.sourcePort, cut)));
    await probe.settle();
    assert.equal(dropCount(stack, 'malformed DNS answer'), 1);
    probe.send(answer(query, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('serves a second lookup from the cache', async () => {
    const { stack, probe, clock, resolver } = setup();
    const first = resolver.resolve('origin.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { answers: [cnameRecord('origin.test', 'host.test', 600), aRecord('host.test', ORIGIN_IP, 120)] }));
    assert.equal(await first, ORIGIN_IP);

    clock.advance(119_999);
    assert.equal(await resolver.resolve('ORIGIN.test.'), ORIGIN_IP);
    assert.equal(sentQueries(probe).length, 1);

    // The shortest TTL in the chain (120 s) bounds the entry.
    clock.advance(1);
    const again = resolver.resolve('origin.test');
    const second = (await waitForQueries(probe, 2))[1];
    probe.send(answer(second, { answers: [aRecord('origin.test', 0x0a000006)] }));
    assert.equal(await again, 0x0a000006);
    stack.close();
  });

  it('evicts the least recently used name', async () => {
    const { stack, probe, resolver } = setup({ maxCacheEntries: 2 });
    const names = ['a.test', 'b.test', 'c.test'];
    for (const [i, name] of names.entries()) {
      const pending = resolver.resolve(name);
      const query = (await waitForQueries(probe, i + 1))[i];
      probe.send(answer(query, { answers: [aRecord(name, ORIGIN_IP + i)] }));
      assert.equal(await pending, ORIGIN_IP + i);
      // Touch a.test so that b.test is the least recently used when c.test arrives.
      if (name === 'b.test') assert.equal(await resolver.resolve('a.test'), ORIGIN_IP);
    }
    assert.equal(resolver.cacheSize, 2);
    assert.equal(await resolver.resolve('a.test'), ORIGIN_IP);
    assert.equal(await resolver.resolve('c.test'), ORIGIN_IP + 2);
    assert.equal(sentQueries(probe).length, 3);
    const evicted = resolver.resolve('b.test');
    const query = (await waitForQueries(probe, 4))[3];
    assert.deepEqual(query.message.questions[0].name, 'b.test');
    probe.send(answer(query, { answers: [aRecord('b.test', ORIGIN_IP + 1)] }));
    assert.equal(await evicted, ORIGIN_IP + 1);
    stack.close();
  });

  it('does not cache a zero TTL', async () => {
    const { stack, probe, resolver } = setup();
    const first = resolver.resolve('origin.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { answers: [aRecord('origin.test', ORIGIN_IP, 0)] }));
    assert.equal(await first, ORIGIN_IP);
    assert.equal(resolver.cacheSize, 0);
    stack.close();
  });

  it('shares one query between concurrent lookups', async () => {
    const { stack, probe, resolver } = setup();
    const first = resolver.resolve('origin.test');
    const second = resolver.resolve('Origin.Test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.deepEqual(await Promise.all([first, second]), [ORIGIN_IP, ORIGIN_IP]);
    assert.equal(sentQueries(probe).length, 1);
    stack.close();
  });

  it('reports a truncated answer', async () => {
    const { stack, probe, resolver } = setup();
    const pending = resolver.resolve('big.test');
    const [query] = await waitForQueries(probe, 1);
    probe.send(answer(query, { truncated: true }));
    const error = await rejection(pending);
    assert.equal(error.code, 'EBADRESP');
    assert.equal(error.message, 'cannot resolve big.test: the answer from 192.168.122.1 was truncated and DNS over TCP is not supported');
    stack.close();
  });

  it('rejects invalid names without a query', async () => {
    const { stack, probe, resolver } = setup();
    const cases: Array<[string, RegExp]> = [
      ['a..test', /empty label/],
      ['', /empty host name/],
      [`${'x'.repeat(64)}.test`, /label of 64 bytes/],
      [Array.from({ length: 5 }, () => 'y'.repeat(60)).join('.'), /above the maximum of 255/],
    ];
    for (const [name, reason] of cases) {
      const error = await rejection(resolver.resolve(name));
      assert.equal(error.code, 'EBADNAME', name);
      assert.match(error.message, reason, name);
    }
    await probe.settle();
    assert.equal(sentQueries(probe).length, 0);
    stack.close();
  });

  it('fails without servers', async () => {
    const { stack, resolver } = setup({ servers: [] });
    const error = await rejection(resolver.resolve('origin.test'));
    assert.equal(error.code, 'ENOSERVER');
    assert.equal(error.message, 'cannot resolve origin.test: no DNS server is configured');
    stack.close();
  });

  it('fails without an address', async () => {
    const { stack, resolver } = setup({ configured: false });
    const error = await rejection(resolver.resolve('origin.test'));
    assert.equal(error.code, 'ENETUNREACH');
    assert.match(error.message, /no route to DNS server 192\.168\.122\.1, 192\.168\.122\.53/);
    stack.close();
  });

  it('releases its ports when done', async () => {
    const { stack, probe, clock, resolver } = setup();
    const pending = resolver.resolve('origin.test');
    const [first] = await waitForQueries(probe, 1);
    clock.advance(TIMEOUT_MS);
    const second = (await waitForQueries(probe, 2))[1];
    probe.send(answer(second, { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    await pending;
    // Both ports are free again: binding them succeeds.
    stack.udp.bind(first.sourcePort, () => undefined);
    stack.udp.bind(second.sourcePort, () => undefined);
    stack.close();
  });

  it('moves on when the server port is unreachable', async () => {
    const { stack, probe, resolver } = setup({ attempts: 1 });
    const pending = resolver.resolve('origin.test');
    pending.catch(() => undefined);
    const [query] = await waitForQueries(probe, 1);
    assert.equal(query.destination, FIRST_SERVER);
    // The first server answers with ICMP port unreachable, quoting the query.
    const frame = probe.received.find((f) => parseEthernet(f)?.etherType === EtherType.IPV4)!;
    const quoted = frame.subarray(14, 14 + 28);
    probe.send(ethernetFrame(STACK_MAC, SERVER_MAC, EtherType.IPV4, icmpDatagram(FIRST_SERVER, STACK_IP, { type: 3, code: 3, rest: 0, data: quoted })));
    // The second server is asked at once, without waiting for the timeout.
    const queries = await waitForQueries(probe, 2);
    assert.equal(queries[1].destination, SECOND_SERVER);
    probe.send(answer(queries[1], { answers: [aRecord('origin.test', ORIGIN_IP)] }));
    assert.equal(await pending, ORIGIN_IP);
    stack.close();
  });

  it('reports an unreachable only server', async () => {
    const { stack, probe, resolver } = setup({ servers: [FIRST_SERVER], attempts: 1 });
    const pending = resolver.resolve('origin.test');
    pending.catch(() => undefined);
    await waitForQueries(probe, 1);
    const frame = probe.received.find((f) => parseEthernet(f)?.etherType === EtherType.IPV4)!;
    probe.send(ethernetFrame(STACK_MAC, SERVER_MAC, EtherType.IPV4, icmpDatagram(FIRST_SERVER, STACK_IP, { type: 3, code: 3, rest: 0, data: frame.subarray(14, 14 + 28) })));
    await assert.rejects(pending, (error: DnsError) => {
      assert.equal(error.code, 'ECONNREFUSED');
      assert.match(error.message, /cannot resolve origin\.test: DNS server 192\.168\.122\.1 is unreachable: no DNS server listens there/);
      return true;
    });
    stack.close();
  });
});
