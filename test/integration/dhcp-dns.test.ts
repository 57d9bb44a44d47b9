import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireRoot, TestNamespace } from '../helpers/netns';

/** dist/test/integration -> the repository root. */
const REPOSITORY = path.resolve(__dirname, '..', '..', '..');
const BRIDGE = 'virbr0';
const RANGE_FIRST = 50;
const RANGE_LAST = 60;
/** The script gives up by itself after this long, so that a hang cannot outlive the test. */
const SCRIPT_LIMIT_MS = 60_000;

/**
 * The client side, run by Node inside the namespace: a TAP on the bridge,
 * the stack with a random locally administered MAC, the DHCP client, then
 * the resolver asking the leased DNS server. One JSON line per event.
 */
const CLIENT_SCRIPT = `
const crypto = require('node:crypto');
const dist = process.argv[2];
const { TapDevice } = require(dist + '/src/net/phy/tap-device.js');
const { NetworkStack } = require(dist + '/src/net/stack.js');
const { DhcpClient } = require(dist + '/src/net/dhcp-client.js');
const { DnsResolver } = require(dist + '/src/net/dns-resolver.js');
const { formatIpv4 } = require(dist + '/src/net/ipv4-address.js');
const { readMac, formatMac } = require(dist + '/src/net/wire/ethernet.js');

const print = (event) => process.stdout.write(JSON.stringify(event) + '\\n');
const macBytes = crypto.randomBytes(6);
macBytes[0] = (macBytes[0] & 0xfe) | 0x02;
const mac = readMac(macBytes, 0);
const device = TapDevice.open({ mtu: 1500, bridge: '${BRIDGE}' });
const stack = new NetworkStack({ device, mac });
stack.start();
const dhcp = new DhcpClient(stack, { hostname: 'minicache-test' });
const resolver = new DnsResolver(stack, { servers: () => (dhcp.lease ? dhcp.lease.dnsServers : []), timeoutMs: 2000 });
print({ event: 'started', mac: formatMac(mac), tap: device.name });

dhcp.on('bound', async (lease) => {
  print({
    event: 'bound',
    address: formatIpv4(lease.address),
    prefixLength: lease.prefixLength,
    gateway: lease.gateway === undefined ? null : formatIpv4(lease.gateway),
    dnsServers: lease.dnsServers.map(formatIpv4),
    server: formatIpv4(lease.server),
    leaseSeconds: lease.leaseSeconds,
  });
  try {
    print({ event: 'resolved', name: 'origin.test', address: formatIpv4(await resolver.resolve('origin.test')) });
  } catch (error) {
    print({ event: 'resolve failed', code: error.code, message: error.message });
  }
  for (const name of ['missing.test', 'unknown.example']) {
    try {
      print({ event: 'failed', name, address: formatIpv4(await resolver.resolve(name)) });
    } catch (error) {
      print({ event: 'failed', name, code: error.code, message: error.message });
    }
  }
});
dhcp.start();

process.on('SIGTERM', async () => {
  await dhcp.stop();
  print({ event: 'released', state: dhcp.state });
  setTimeout(() => {
    stack.close();
    process.exit(0);
  }, 200);
});
setTimeout(() => {
  print({ event: 'gave up' });
  process.exit(2);
}, ${SCRIPT_LIMIT_MS});
`;

type ScriptEvent = Record<string, unknown> & { event: string };

/** Collects the JSON lines a child prints and waits for particular events. */
class EventReader {
  readonly events: ScriptEvent[] = [];
  private buffered = '';
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString();
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        if (line.trim() !== '') this.events.push(JSON.parse(line) as ScriptEvent);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  async waitFor(name: string, timeoutMs: number): Promise<ScriptEvent> {
    return (await this.waitForCount(name, 1, timeoutMs))[0];
  }

  async waitForCount(name: string, count: number, timeoutMs: number): Promise<ScriptEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.filter((event) => event.event === name);
      if (found.length >= count) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`expected ${count} "${name}" events within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function waitForFile(file: string, predicate: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (predicate(text) || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function lastOctet(address: string): number {
  return Number(address.split('.')[3]);
}

describe('dhcp and dns against dnsmasq', function () {
  this.timeout(90_000);
  let namespace: TestNamespace | undefined;
  let folder: string | undefined;
  let dnsmasqLog = '';

  before(async function () {
    requireRoot(this);
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
    namespace = await TestNamespace.create('dhcp');
    await namespace.addBridge(BRIDGE, '192.168.122.1/24');
    const dnsmasq = namespace.spawn('dnsmasq', [
      '--no-daemon',
      '--conf-file=/dev/null',
      `--interface=${BRIDGE}`,
      '--bind-interfaces',
      `--dhcp-range=192.168.122.${RANGE_FIRST},192.168.122.${RANGE_LAST},12h`,
      '--address=/origin.test/192.168.122.1',
      // An empty address makes dnsmasq answer NXDOMAIN for the domain.
      '--address=/missing.test/',
      '--no-resolv',
      '--no-hosts',
      '--log-facility=-',
      '--log-dhcp',
      `--pid-file=${path.join(folder, 'dnsmasq.pid')}`,
      `--dhcp-leasefile=${path.join(folder, 'dnsmasq.leases')}`,
    ]);
    dnsmasq.stderr?.on('data', (chunk: Buffer) => {
      dnsmasqLog += chunk.toString();
    });
    // With --no-daemon dnsmasq writes no pid file; it logs the DHCP range once its sockets are bound.
    const deadline = Date.now() + 10_000;
    while (!dnsmasqLog.includes('DHCP, IP range') && Date.now() < deadline && dnsmasq.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(dnsmasqLog.includes('DHCP, IP range'), `dnsmasq did not start: ${dnsmasqLog}`);
  });

  after(async () => {
    await namespace?.destroy();
    if (folder !== undefined) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('leases, answers ping, resolves and releases', async () => {
    assert.ok(namespace !== undefined);
    assert.ok(folder !== undefined);
    const script = path.join(folder, 'client.js');
    fs.writeFileSync(script, CLIENT_SCRIPT);
    const child = namespace.spawn(process.execPath, [script, path.join(REPOSITORY, 'dist')]);
    const reader = new EventReader(child);
    try {
      const started = await reader.waitFor('started', 10_000);
      const bound = await reader.waitFor('bound', 30_000);
      const address = String(bound.address);
      assert.match(address, /^192\.168\.122\.\d+$/);
      assert.ok(lastOctet(address) >= RANGE_FIRST, `${address} is below the DHCP range`);
      assert.ok(lastOctet(address) <= RANGE_LAST, `${address} is above the DHCP range`);
      assert.equal(bound.prefixLength, 24);
      assert.equal(bound.server, '192.168.122.1');
      assert.equal(bound.gateway, '192.168.122.1');
      assert.deepEqual(bound.dnsServers, ['192.168.122.1']);
      assert.equal(bound.leaseSeconds, 12 * 3600);

      const leases = await waitForFile(path.join(folder, 'dnsmasq.leases'), (text) => text.includes(String(started.mac)), 5_000);
      assert.match(leases, new RegExp(`${String(started.mac)} ${address.replace(/\./g, '\\.')} minicache-test`));

      const ping = await namespace.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', address], { timeoutMs: 15_000 });
      assert.equal(ping.code, 0, `ping ${address} failed: ${ping.stdout}${ping.stderr}`);
      assert.match(ping.stdout, /3 received/);

      const resolved = await reader.waitFor('resolved', 15_000);
      assert.equal(resolved.address, '192.168.122.1');
      const failures = await reader.waitForCount('failed', 2, 15_000);
      assert.equal(failures[0].code, 'ENOTFOUND');
      assert.equal(failures[0].message, 'cannot resolve missing.test: name not found (NXDOMAIN from 192.168.122.1)');
      // Without upstream servers (--no-resolv) dnsmasq refuses names it has no answer for.
      assert.equal(failures[1].code, 'EREFUSED');
      assert.equal(failures[1].message, 'cannot resolve unknown.example: DNS server 192.168.122.1 refused the query (REFUSED)');

      child.kill('SIGTERM');
      const released = await reader.waitFor('released', 10_000);
      assert.equal(released.state, 'STOPPED');
      const after = await waitForFile(path.join(folder, 'dnsmasq.leases'), (text) => !text.includes(String(started.mac)), 5_000);
      assert.ok(!after.includes(String(started.mac)), `dnsmasq still lists the lease after DHCPRELEASE: ${after}`);
    } catch (error) {
      process.stderr.write(`dnsmasq output:\n${dnsmasqLog}\n`);
      throw error;
    } finally {
      child.kill('SIGKILL');
    }
  });
});
