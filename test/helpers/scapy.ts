// Debian's scapy (python3-scapy, run with /usr/bin/python3) on a port of
// the test namespace's bridge that has no address: frames sent there reach
// the appliance as if from another host on the segment, and the kernel of
// the namespace neither replies to them nor resets the connections scapy opens.
// The appliance learns the scapy host from a static ARP entry (-a).
import * as path from 'node:path';
import { PROJECT_ROOT } from './appliance-process';
import type { TestNamespace } from './netns';

/** The bridge port scapy sends and sniffs on. */
export const SCAPY_INTERFACE = 'scapy0';
export const SCAPY_MAC = '02:00:00:00:00:99';
export const SCAPY_IP = '192.168.122.99';
/** The `-a` argument that teaches the appliance the scapy host. */
export const SCAPY_STATIC_ARP = `${SCAPY_MAC}/${SCAPY_IP}`;

const PYTHON = '/usr/bin/python3';
const SCRIPTS_DIR = path.join(PROJECT_ROOT, 'test', 'helpers', 'scripts');

/**
 * Adds a veth pair: SCAPY_INTERFACE (no address, no IPv6) with its peer on
 * `bridge`. With br_netfilter loaded, the bridge checks IPv4 headers and
 * drops malformed ones before they reach the appliance, so the namespace's
 * bridge is set not to pass frames to iptables.
 */
export async function addScapyPort(namespace: TestNamespace, bridge = 'virbr0'): Promise<void> {
  const bridgeSide = `${SCAPY_INTERFACE}br`;
  for (const family of ['iptables', 'ip6tables', 'arptables']) {
    // Missing when br_netfilter is not loaded, and then nothing is checked.
    await namespace.exec('sysctl', ['-q', '-w', `net.bridge.bridge-nf-call-${family}=0`]);
  }
  await namespace.check('ip', ['link', 'add', SCAPY_INTERFACE, 'type', 'veth', 'peer', 'name', bridgeSide]);
  await namespace.check('sysctl', ['-q', '-w', `net.ipv6.conf.${SCAPY_INTERFACE}.disable_ipv6=1`]);
  await namespace.check('sysctl', ['-q', '-w', `net.ipv6.conf.${bridgeSide}.disable_ipv6=1`]);
  await namespace.check('ip', ['link', 'set', bridgeSide, 'master', bridge, 'up']);
  await namespace.check('ip', ['link', 'set', SCAPY_INTERFACE, 'up']);
}

/** Runs test/helpers/scripts/`script` in the namespace and returns the JSON object it printed last. */
export async function runPythonScript<T>(namespace: TestNamespace, script: string, args: readonly string[], timeoutMs = 60_000): Promise<T> {
  const result = await namespace.exec(PYTHON, [path.join(SCRIPTS_DIR, script), ...args], { timeoutMs });
  if (result.code !== 0) throw new Error(`${script} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  const lines = result.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch {
    throw new Error(`${script} printed no JSON: ${result.stdout}${result.stderr}`);
  }
}
