// Command-line handling of bin/minicache that needs no network: help,
// version and every kind of bad option or path.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseCommandLine, UsageError } from '../../src/appliance/options';

const MINICACHE = path.resolve(__dirname, '..', '..', '..', 'bin', 'minicache');

function runMinicache(args: string[]) {
  const result = spawnSync(process.execPath, [MINICACHE, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('minicache command line', () => {
  it('parses the original options', () => {
    const parsed = parseCommandLine(['-s', '2', '-i', '10.0.0.2/24', '-g', '10.0.0.1', '-d', '10.0.0.53', '-e', '10.0.0.54', '-a', '52:54:00:12:34:56/10.0.0.1', '-a', '52:54:00:12:34:57/10.0.0.5', '-b', 'a.img', '-b', 'b.img', '-h', '-x', 'stats.img', '-c', '10', '-P']);
    assert.equal(parsed.kind, 'run');
    if (parsed.kind !== 'run') return;
    const options = parsed.options;
    assert.equal(options.startupDelaySeconds, 2);
    assert.deepEqual(options.address, { address: 0x0a000002, prefixLength: 24 });
    assert.equal(options.gateway, 0x0a000001);
    assert.deepEqual(options.dnsServers, [0x0a000035, 0x0a000036]);
    assert.deepEqual(options.staticArp, [
      { mac: 0x525400123456, ip: 0x0a000001 },
      { mac: 0x525400123457, ip: 0x0a000005 },
    ]);
    assert.deepEqual(options.devices, ['a.img', 'b.img']);
    assert.equal(options.controlChannel, false);
    assert.equal(options.statsDevice, 'stats.img');
    assert.equal(options.maxConnections, 10);
    assert.equal(options.prefetch, true);
  });

  it('applies the defaults', () => {
    const parsed = parseCommandLine([]);
    assert.equal(parsed.kind, 'run');
    if (parsed.kind !== 'run') return;
    assert.equal(parsed.options.address, undefined);
    assert.equal(parsed.options.bridge, 'virbr0');
    assert.equal(parsed.options.maxConnections, 1024);
    assert.equal(parsed.options.httpPort, 80);
    assert.equal(parsed.options.shellPort, 23);
    assert.equal(parsed.options.controlChannel, true);
    assert.equal(parsed.options.cacheSizeBytes, 64 * 1024 * 1024);
  });

  it('parses the Linux options', () => {
    const parsed = parseCommandLine(['--tap', 'mc7', '--no-bridge', '--mac', '02:00:00:00:00:01', '--mtu', '9000', '--http-port', '8080', '--shell-port', '2323', '--cache-size', '1G', '--pcap', 'x.pcap', '--ctl', '/tmp/x.sock', '--verbose']);
    assert.equal(parsed.kind, 'run');
    if (parsed.kind !== 'run') return;
    assert.equal(parsed.options.tapName, 'mc7');
    assert.equal(parsed.options.bridge, undefined);
    assert.equal(parsed.options.mac, 0x020000000001);
    assert.equal(parsed.options.mtu, 9000);
    assert.equal(parsed.options.httpPort, 8080);
    assert.equal(parsed.options.shellPort, 2323);
    assert.equal(parsed.options.cacheSizeBytes, 1024 ** 3);
    assert.equal(parsed.options.pcapPath, 'x.pcap');
    assert.equal(parsed.options.verbose, true);
  });

  const bad: Array<[string[], RegExp]> = [
    [['-b', '51712'], /Xen virtual block device numbers have no meaning here; pass the path/],
    [['-i', '192.168.122.2'], /invalid host IP in CIDR notation/],
    [['-i', '192.168.122.300/24'], /invalid host IP in CIDR notation/],
    [['-i', '192.168.122.0/24'], /network or broadcast address/],
    [['-i', '192.168.122.255/24'], /network or broadcast address/],
    [['-g', 'gateway'], /invalid gateway IP/],
    [['-i', '10.0.0.2/24', '-g', '10.1.0.1'], /not in the subnet/],
    [['-d', '1.2.3'], /invalid primary DNS IP/],
    [['-e', 'x'], /invalid secondary DNS IP/],
    [['-a', '52:54:00:12:34:56'], /invalid static ARP entry/],
    [['-a', 'ff:ff:ff:ff:ff:ff/10.0.0.1'], /invalid static ARP entry/],
    [['-s', 'soon'], /invalid delay/],
    [['-c', '0'], /invalid connection limit/],
    [['-c', 'many'], /invalid connection limit/],
    [['--mac', '01:00:5e:00:00:01'], /not a unicast MAC/],
    [['--mac', 'zz'], /invalid MAC address/],
    [['--mtu', '100'], /invalid MTU/],
    [['--http-port', '70000'], /invalid port/],
    [['--http-port', '23'], /both 23/],
    [['--cache-size', '10K'], /at least 1M/],
    [['--cache-size', 'lots'], /invalid size/],
    [['--tap', 'a-name-that-is-too-long'], /1 to 15 characters/],
    [['--bridge', 'br0', '--no-bridge'], /exclude each other/],
    [['--demo', '-b', 'x.img'], /without -b/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['-h'], /-h disables the control channel, as in the original MiniCache; for help, use --help/],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(' ')}`, () => {
      assert.throws(() => parseCommandLine(args), (error: Error) => error instanceof UsageError && message.test(error.message));
    });
  }

  it('prints help and version', () => {
    const help = runMinicache(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: minicache \[OPTION\]/);
    assert.match(help.stdout, /-b PATH/);
    const version = runMinicache(['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^minicache \d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with one line for a bad option', () => {
    const result = runMinicache(['-b', '51712']);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.split('\n')[0], 'minicache: -b 51712: Xen virtual block device numbers have no meaning here; pass the path of an image file or block device');
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
  });

  it('exits 1 with one line for a missing image', () => {
    const result = runMinicache(['-b', '/nonexistent/volume.img', '--no-bridge', '-h']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /minicache: .*\/nonexistent\/volume\.img/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
  });
});
