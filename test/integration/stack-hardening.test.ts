// The appliance's TCP/IP stack against a network it does not control, each
// suite in a namespace of its own: malformed frames of every class from
// scapy, the options and sequence numbers of its SYN-ACKs, replies on
// closed ports, fragmented ping both ways, and the packet capture.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { APPLIANCE_IP, APPLIANCE_MAC, ApplianceNamespace, BIG_BIN_BYTES } from '../helpers/appliance-namespace';
import { requireRoot } from '../helpers/netns';
import { addScapyPort, runPythonScript, SCAPY_INTERFACE, SCAPY_IP, SCAPY_MAC, SCAPY_STATIC_ARP } from '../helpers/scapy';

/** Arguments of tcp_probe.py and malformed_frames.py before their mode-specific ones. */
const SCAPY_HOSTS = [SCAPY_INTERFACE, SCAPY_MAC, SCAPY_IP, APPLIANCE_MAC, APPLIANCE_IP];

/** Where each class of malformed frame must show up in the appliance's debug log: its drop reason. */
const DROP_REASONS: Record<string, RegExp> = {
  'unknown-ethertype': /dropped: unknown EtherType \(0x88b5\)/,
  vlan: /dropped: VLAN-tagged frame/,
  ipv6: /dropped: IPv6 is not supported/,
  'ipv4-short': /dropped: malformed IPv4 \(datagram of \d+ bytes is shorter than an IPv4 header|dropped: malformed IPv4 \(IP version 0 is not 4/,
  'ip-total-length-long': /dropped: malformed IPv4 \(total length 1400 exceeds the \d+ bytes received\)/,
  'ip-total-length-short': /dropped: malformed IPv4 \(total length 12 is below the header length 20\)/,
  'ip-header-length-short': /dropped: malformed IPv4 \(header length 12 is below 20\)/,
  'ip-header-length-long': /dropped: malformed IPv4 \(total length \d+ is below the header length 60\)/,
  'ip-checksum': /dropped: malformed IPv4 \(bad header checksum\)/,
  'ip-version': /dropped: malformed IPv4 \(IP version 5 is not 4\)/,
  'ip-reserved-flag': /dropped: malformed IPv4 \(reserved flag set\)/,
  'ip-option-length-zero': /dropped: malformed IPv4 \(option 7 has invalid length 0\)/,
  'ip-option-past-header': /dropped: malformed IPv4 \(option 7 of length 40 runs past the header\)/,
  'ip-source-route': /dropped: source-routed datagram \(192\.168\.122\.99\)/,
  'ip-source-loopback': /dropped: invalid source address \(127\.0\.0\.1\)/,
  'ip-source-zero': /dropped: invalid source address \(0\.0\.0\.0\)/,
  'ip-source-broadcast': /dropped: invalid source address \(255\.255\.255\.255\)/,
  'fragment-overlap-first': /dropped: bad fragment \(overlapping fragments\)/,
  'fragment-overlap-second': /dropped: bad fragment \(overlapping fragments\)/,
  'fragment-odd-length': /dropped: bad fragment \(non-final fragment length is not a multiple of 8\)/,
  'fragment-too-large': /dropped: bad fragment \(reassembled datagram would exceed 65535 bytes\)/,
  'icmp-checksum': /dropped: malformed ICMP \(bad ICMP checksum\)/,
  'icmp-short': /dropped: malformed ICMP \(ICMP message of 3 bytes is too short\)/,
  'udp-checksum': /dropped: malformed UDP \(bad UDP checksum\)/,
  'udp-length': /dropped: malformed UDP \(UDP length 300 does not fit the 9 bytes received\)/,
  'tcp-checksum': /dropped a 20-byte segment: bad checksum/,
  'tcp-data-offset-short': /dropped a 20-byte segment: data offset 3 is below the minimum of 5 words/,
  'tcp-data-offset-long': /dropped a 20-byte segment: header length 60 exceeds the segment length 20/,
  'tcp-option-length-zero': /dropped a 24-byte segment: option kind 2 at offset 20 has invalid length 0/,
  'tcp-option-length-one': /dropped a 24-byte segment: option kind 2 at offset 20 has invalid length 1/,
  'tcp-option-past-header': /dropped a 24-byte segment: option kind 8 at offset 20 with length 10 runs past the header/,
  'tcp-option-mss-length': /dropped a 24-byte segment: MSS option has length 3, expected 4/,
  'tcp-syn-fin': /192\.168\.122\.99:40009: dropped SYN\|FIN seq=5: SYN with FIN to a listener/,
  'tcp-no-flags': /192\.168\.122\.99:40010: dropped none seq=5: segment without SYN to a listener/,
  'tcp-xmas': /192\.168\.122\.99:40011: dropped CWR\|ECE\|URG\|SYN\|FIN\|RST\|PSH\|ACK seq=5: RST for a closed port/,
  'tcp-port-zero': /192\.168\.122\.99:0: dropped SYN seq=5: port 0/,
  'tcp-reserved-bits': /192\.168\.122\.99:40012: dropped SYN seq=5: segment for a closed port, sending RST/,
  'arp-hardware-type': /dropped: malformed ARP \(ARP for hardware type 6 and protocol 0x800 is not Ethernet\/IPv4\)/,
  'arp-lengths': /dropped: malformed ARP \(ARP address lengths 8\/4 are not 6\/4\)/,
  'arp-operation': /dropped: malformed ARP \(unknown ARP operation 9\)/,
};

/** Runs `ifconfig` in the shell over the real telnet client and returns its counter lines. */
async function shellIfconfig(setup: ApplianceNamespace): Promise<{ rxDropped: number; tcpConnections: number; text: string }> {
  const script = `(sleep 1; printf 'ifconfig\\r\\n'; sleep 1; printf 'exit\\r\\n'; sleep 1) | telnet ${APPLIANCE_IP} 23`;
  const result = await setup.namespace.exec('sh', ['-c', script], { timeoutMs: 20_000 });
  const rx = /RX frames:\d+ bytes:\d+ dropped:(\d+)/.exec(result.stdout);
  const tcp = /TCP connections:(\d+)/.exec(result.stdout);
  assert.ok(rx !== null, `no RX counters in: ${result.stdout}`);
  assert.ok(tcp !== null, `no TCP counters in: ${result.stdout}`);
  return { rxDropped: Number(rx[1]), tcpConnections: Number(tcp[1]), text: result.stdout };
}

async function pingOnce(setup: ApplianceNamespace, extraArgs: readonly string[] = []): Promise<string> {
  const result = await setup.namespace.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', ...extraArgs, APPLIANCE_IP], { timeoutMs: 20_000 });
  assert.equal(result.code, 0, `ping failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

async function fetchBig(setup: ApplianceNamespace, name: string): Promise<Buffer> {
  const response = await setup.curl(`http://${APPLIANCE_IP}/big.bin`, name);
  assert.equal(response.code, 0, `curl failed: ${response.stderr}`);
  assert.equal(response.status, 200);
  return fs.readFileSync(path.join(setup.dir, name));
}

describe('stack hardening: malformed frames', function () {
  this.timeout(120_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('malformed', { args: ['--verbose', '-a', SCAPY_STATIC_ARP], prepare: addScapyPort });
  });

  after(async () => {
    await setup?.destroy();
  });

  it('drops each class with its reason and keeps serving', async () => {
    const report = await runPythonScript<{ sent: string[]; repeat: number }>(setup.namespace, 'malformed_frames.py', SCAPY_HOSTS);
    assert.deepEqual([...report.sent].sort(), Object.keys(DROP_REASONS).sort());
    await pingOnce(setup);
    const body = await fetchBig(setup, 'after-malformed.bin');
    assert.equal(body.length, BIG_BIN_BYTES);

    const log = setup.appliance.output;
    const missing = Object.entries(DROP_REASONS).filter(([, reason]) => !reason.test(log)).map(([name]) => name);
    assert.deepEqual(missing, [], `no drop logged for these classes; the log ends with:\n${log.slice(-4000)}`);
    assert.doesNotMatch(log, /^\S+ error /m, 'an error was logged');
    assert.equal(setup.appliance.hasExited, false);
  });

  it('reports the drops and its connections to the shell', async () => {
    const counters = await shellIfconfig(setup);
    // Every class but the TCP ones (counted by TCP) is dropped below TCP, three times each.
    const belowTcp = Object.keys(DROP_REASONS).filter((name) => !name.startsWith('tcp-')).length;
    assert.ok(counters.rxDropped >= 3 * belowTcp, counters.text);
    // The telnet session itself is an open connection.
    assert.ok(counters.tcpConnections >= 1, counters.text);
  });
});

describe('stack hardening: SYN-ACK options', function () {
  this.timeout(60_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('options', { args: ['-a', SCAPY_STATIC_ARP], prepare: addScapyPort });
  });

  after(async () => {
    await setup?.destroy();
  });

  it('answers all four options and echoes the timestamp', async () => {
    const result = await runPythonScript<{ reply: string; ack: number; options: Array<[string, unknown]> }>(setup.namespace, 'tcp_probe.py', ['synack', ...SCAPY_HOSTS, '80', 'all']);
    assert.equal(result.reply, 'SA');
    assert.equal(result.ack, 1001);
    const options = new Map(result.options);
    assert.deepEqual([...options.keys()].sort(), ['MSS', 'SAckOK', 'Timestamp', 'WScale']);
    assert.equal(options.get('MSS'), 1460);
    assert.equal(options.get('SAckOK'), null);
    const [, echoed] = options.get('Timestamp') as [number, number];
    assert.equal(echoed, 123456789);
    const shift = options.get('WScale');
    assert.equal(typeof shift, 'number');
    assert.ok((shift as number) <= 14, `window scale ${String(shift)}`);
  });

  it('answers only MSS to a SYN with only MSS', async () => {
    const result = await runPythonScript<{ reply: string; options: Array<[string, unknown]> }>(setup.namespace, 'tcp_probe.py', ['synack', ...SCAPY_HOSTS, '80', 'mss']);
    assert.equal(result.reply, 'SA');
    assert.deepEqual(result.options, [['MSS', 1460]]);
  });
});

describe('stack hardening: initial sequence numbers', function () {
  this.timeout(60_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('isn', { args: ['-a', SCAPY_STATIC_ARP], prepare: addScapyPort });
  });

  after(async () => {
    await setup?.destroy();
  });

  it('has no constant increment between connections', async () => {
    const { isns } = await runPythonScript<{ isns: number[] }>(setup.namespace, 'tcp_probe.py', ['isn', ...SCAPY_HOSTS, '80', '20']);
    assert.equal(isns.length, 20);
    assert.equal(new Set(isns).size, 20, 'repeated ISNs');
    const differences = isns.slice(1).map((isn, i) => (isn - isns[i] + 2 ** 32) % 2 ** 32);
    assert.equal(new Set(differences).size, differences.length, `repeated differences: ${differences.join(' ')}`);
    // A clock-driven counter would advance by a few thousand between SYNs a
    // millisecond apart; keyed hashes spread them over the whole space.
    assert.ok(differences.filter((difference) => difference > 2 ** 24 && difference < 2 ** 32 - 2 ** 24).length >= 10, `differences: ${differences.join(' ')}`);
  });
});

describe('stack hardening: closed ports', function () {
  this.timeout(60_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('closed', { args: ['-a', SCAPY_STATIC_ARP], prepare: addScapyPort });
  });

  after(async () => {
    await setup?.destroy();
  });

  it('resets a SYN to a closed TCP port at once', async () => {
    const result = await runPythonScript<{ reply: string; seq: number; ack: number; seconds: number }>(setup.namespace, 'tcp_probe.py', ['closed', ...SCAPY_HOSTS, '81']);
    assert.equal(result.reply, 'RA');
    assert.equal(result.seq, 0);
    assert.equal(result.ack, 7001);
    assert.ok(result.seconds < 0.5, `RST after ${result.seconds} s`);
  });

  it('refuses a kernel client on a closed TCP port', async () => {
    const started = Date.now();
    const result = await setup.namespace.exec('curl', ['-sS', '--max-time', '5', `http://${APPLIANCE_IP}:81/`]);
    assert.equal(result.code, 7, result.stderr);
    assert.match(result.stderr, /Couldn't connect|Connection refused/);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('answers a closed UDP port with port unreachable', async () => {
    const script = [
      'import socket',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      's.settimeout(3)',
      `s.connect(("${APPLIANCE_IP}", 9999))`,
      's.send(b"anyone?")',
      'try:',
      '    s.recv(16)',
      '    print("answered")',
      'except ConnectionRefusedError:',
      '    print("refused")',
      'except socket.timeout:',
      '    print("timeout")',
    ].join('\n');
    const result = await setup.namespace.exec('/usr/bin/python3', ['-c', script], { timeoutMs: 10_000 });
    assert.equal(result.stdout.trim(), 'refused', result.stderr);
  });
});

describe('stack hardening: fragmented ping', function () {
  this.timeout(60_000);
  let setup: ApplianceNamespace;

  before(async function () {
    requireRoot(this);
    setup = await ApplianceNamespace.create('fragping');
  });

  after(async () => {
    await setup?.destroy();
  });

  it('answers ping -s 4000 in fragments', async () => {
    const capture = setup.namespace.spawn('tcpdump', ['-i', 'virbr0', '-nn', '-l', 'icmp or (ip[6:2] & 0x1fff != 0)']);
    let captured = '';
    capture.stdout?.on('data', (data: Buffer) => {
      captured += data.toString();
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const output = await pingOnce(setup, ['-s', '4000']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    capture.kill('SIGTERM');
    assert.match(output, /3 packets transmitted, 3 received/);
    assert.match(output, /4008 bytes from 192\.168\.122\.2/);
    // Both directions went in fragments: the replies' continuation fragments come from the appliance.
    assert.match(captured, /192\.168\.122\.1 > 192\.168\.122\.2: ip-proto-1/);
    assert.match(captured, /192\.168\.122\.2 > 192\.168\.122\.1: ip-proto-1/);
  });
});

describe('stack hardening: packet capture', function () {
  this.timeout(60_000);
  let setup: ApplianceNamespace;
  let capture: string;

  before(async function () {
    requireRoot(this);
    capture = path.join('/tmp', `minicache-capture-${process.pid}.pcap`);
    setup = await ApplianceNamespace.create('pcap', { args: ['--pcap', capture] });
  });

  after(async () => {
    await setup?.destroy();
    if (capture !== undefined) fs.rmSync(capture, { force: true });
  });

  it('writes a capture tcpdump reads', async () => {
    await pingOnce(setup);
    const response = await setup.curl(`http://${APPLIANCE_IP}/readme`, 'readme.out');
    assert.equal(response.status, 200);
    await setup.appliance.stop();

    const result = await setup.namespace.exec('tcpdump', ['-r', capture, '-nn', '-A']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /link-type EN10MB \(Ethernet\)/);
    assert.match(result.stdout, /192\.168\.122\.1 > 192\.168\.122\.2: ICMP echo request/);
    assert.match(result.stdout, /192\.168\.122\.2 > 192\.168\.122\.1: ICMP echo reply/);
    assert.match(result.stdout, /GET \/readme HTTP\/1\.1/);
    assert.match(result.stdout, /HTTP\/1\.1 200 OK/);
    assert.match(result.stdout, /ARP, Reply 192\.168\.122\.2 is-at 02:00:00:00:00:02/);
  });
});
