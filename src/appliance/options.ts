// Command line of the appliance: the original MiniCache's short options
// with their meanings, plus the long options of the Linux version.
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { parseIpv4, parseIpv4Cidr, type Ipv4Address, type Ipv4Cidr } from '../net/ipv4-address';
import { isMulticastMac, parseMac, type MacAddress } from '../net/wire/ethernet';

export const DEFAULT_BRIDGE = 'virbr0';
/** TAP name template; the kernel replaces %d with the first free number. */
export const DEFAULT_TAP_NAME = 'mc%d';
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_MTU = 1500;
export const DEFAULT_HTTP_PORT = 80;
export const DEFAULT_SHELL_PORT = 23;
export const DEFAULT_CACHE_SIZE_BYTES = 64 * 1024 * 1024;
/** Address and bridge address that --demo uses without -i (libvirt's default network). */
export const DEMO_CIDR = '192.168.122.2/24';
export const DEMO_BRIDGE_CIDR = '192.168.122.1/24';

const MIN_MTU = 576;
const MAX_MTU = 9000;
const MAX_CONNECTIONS_LIMIT = 65535;
const MIN_CACHE_SIZE_BYTES = 1024 * 1024;

export interface StaticArpOption {
  mac: MacAddress;
  ip: Ipv4Address;
}

export interface ApplianceOptions {
  startupDelaySeconds: number;
  /** Static address; DHCP runs when absent. */
  address?: Ipv4Cidr;
  gateway?: Ipv4Address;
  dnsServers: Ipv4Address[];
  staticArp: StaticArpOption[];
  /** Members of the volume to mount at start. */
  devices: string[];
  controlChannel: boolean;
  controlSocketPath?: string;
  statsDevice?: string;
  maxConnections: number;
  prefetch: boolean;
  tapName: string;
  /** Bridge to attach the TAP to; undefined with --no-bridge. */
  bridge?: string;
  mac?: MacAddress;
  mtu: number;
  /** Checksum and segmentation offload to the kernel through the TAP's virtio-net header. */
  offload: boolean;
  httpPort: number;
  shellPort: number;
  cacheSizeBytes: number;
  pcapPath?: string;
  demo: boolean;
  verbose: boolean;
}

export type ParsedCommandLine = { kind: 'run'; options: ApplianceOptions } | { kind: 'help' } | { kind: 'version' };

/** A command-line error: the message is printed as is, with a hint to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: minicache [OPTION]...
A content cache appliance: its own MAC and IPv4 address on a bridge, serving
an SHFS volume over HTTP (port 80) with a telnet shell (port 23).

Options of the original MiniCache:
  -s SEC          wait SEC seconds before starting (default 0)
  -i IP/PREFIX    static IPv4 address in CIDR notation (e.g. 192.168.122.2/24);
                  without it the DHCP client runs
  -g IP           default gateway
  -d IP           primary DNS server
  -e IP           secondary DNS server
  -a MAC/IP       static ARP entry (e.g. 52:54:00:12:34:56/192.168.122.1);
                  repeatable; such entries never expire or change
  -b PATH         mount the SHFS volume on this image file or block device at
                  start; repeat once per member of a multi-member volume
  -h              disable the control channel (minicache-ctl)
  -x PATH         file or block device to export object statistics to
  -c NUM          maximum number of simultaneous HTTP connections (default ${DEFAULT_MAX_CONNECTIONS})
  -P              load every object into the cache after mounting

Linux options:
  --tap NAME      name of the TAP device (default ${DEFAULT_TAP_NAME}: the first free mcN)
  --bridge NAME   bridge to attach the TAP to (default ${DEFAULT_BRIDGE})
  --no-bridge     leave the TAP unattached
  --mac ADDR      MAC address (default: random, locally administered)
  --mtu BYTES     MTU of the TAP (default ${DEFAULT_MTU})
  --no-offload    compute every checksum and segment in the appliance instead
                  of letting the kernel do it (slower; for comparisons)
  --http-port N   HTTP port (default ${DEFAULT_HTTP_PORT})
  --shell-port N  telnet port of the shell (default ${DEFAULT_SHELL_PORT})
  --cache-size SIZE  chunk cache size, e.g. 64M or 1G (default 64M)
  --pcap FILE     record every frame sent and received in a pcap file
  --ctl PATH      path of the control socket (default /run/minicache/TAP.sock)
  --demo          serve the built-in demo site; without -i use ${DEMO_CIDR} and
                  create the bridge with ${DEMO_BRIDGE_CIDR} if it is missing
  --verbose       log debug messages (every dropped packet, with the reason)
  --help          print this help and exit
  --version       print the version and exit
`;

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  // -h keeps the original's meaning (no control channel), but alone it is
  // almost always a request for help, which would otherwise start an
  // appliance on DHCP.
  if (argv.length === 1 && argv[0] === '-h') {
    throw new UsageError('-h disables the control channel, as in the original MiniCache; for help, use --help');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        s: { type: 'string', short: 's' },
        i: { type: 'string', short: 'i' },
        g: { type: 'string', short: 'g' },
        d: { type: 'string', short: 'd' },
        e: { type: 'string', short: 'e' },
        a: { type: 'string', short: 'a', multiple: true },
        b: { type: 'string', short: 'b', multiple: true },
        h: { type: 'boolean', short: 'h' },
        x: { type: 'string', short: 'x' },
        c: { type: 'string', short: 'c' },
        P: { type: 'boolean', short: 'P' },
        tap: { type: 'string' },
        bridge: { type: 'string' },
        'no-bridge': { type: 'boolean' },
        mac: { type: 'string' },
        mtu: { type: 'string' },
        'no-offload': { type: 'boolean' },
        'http-port': { type: 'string' },
        'shell-port': { type: 'string' },
        'cache-size': { type: 'string' },
        pcap: { type: 'string' },
        ctl: { type: 'string' },
        demo: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const values = parsed.values;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };

  if (values['no-bridge'] === true && values.bridge !== undefined) throw new UsageError('--bridge and --no-bridge exclude each other');
  const options: ApplianceOptions = {
    startupDelaySeconds: values.s === undefined ? 0 : parseInteger(values.s, '-s', 'invalid delay: expected a number of seconds (e.g. -s 5)', 0, 3600),
    address: values.i === undefined ? undefined : parseCidrOption(values.i),
    gateway: values.g === undefined ? undefined : parseAddressOption(values.g, '-g', 'invalid gateway IP (e.g. 192.168.122.1)'),
    dnsServers: [],
    staticArp: (values.a ?? []).map(parseStaticArp),
    devices: (values.b ?? []).map(parseDevicePath),
    controlChannel: values.h !== true,
    controlSocketPath: values.ctl,
    statsDevice: values.x,
    maxConnections: values.c === undefined ? DEFAULT_MAX_CONNECTIONS : parseInteger(values.c, '-c', `invalid connection limit: expected 1 to ${MAX_CONNECTIONS_LIMIT}`, 1, MAX_CONNECTIONS_LIMIT),
    prefetch: values.P === true,
    tapName: values.tap ?? DEFAULT_TAP_NAME,
    bridge: values['no-bridge'] === true ? undefined : (values.bridge ?? DEFAULT_BRIDGE),
    mac: values.mac === undefined ? undefined : parseMacOption(values.mac),
    mtu: values.mtu === undefined ? DEFAULT_MTU : parseInteger(values.mtu, '--mtu', `invalid MTU: expected ${MIN_MTU} to ${MAX_MTU} bytes`, MIN_MTU, MAX_MTU),
    offload: values['no-offload'] !== true,
    httpPort: values['http-port'] === undefined ? DEFAULT_HTTP_PORT : parsePort(values['http-port'], '--http-port'),
    shellPort: values['shell-port'] === undefined ? DEFAULT_SHELL_PORT : parsePort(values['shell-port'], '--shell-port'),
    cacheSizeBytes: values['cache-size'] === undefined ? DEFAULT_CACHE_SIZE_BYTES : parseSize(values['cache-size']),
    pcapPath: values.pcap,
    demo: values.demo === true,
    verbose: values.verbose === true,
  };
  if (values.d !== undefined) options.dnsServers.push(parseAddressOption(values.d, '-d', 'invalid primary DNS IP (e.g. 192.168.122.1)'));
  if (values.e !== undefined) options.dnsServers.push(parseAddressOption(values.e, '-e', 'invalid secondary DNS IP (e.g. 192.168.122.1)'));
  checkInterfaceName(options.tapName, '--tap', 'a TAP name');
  if (options.bridge !== undefined) checkInterfaceName(options.bridge, '--bridge', 'a bridge name');
  if (options.httpPort === options.shellPort) throw new UsageError(`--http-port and --shell-port are both ${options.httpPort}`);
  if (options.demo && options.devices.length > 0) throw new UsageError('--demo serves the built-in demo volume: use it without -b');
  if (options.gateway !== undefined && options.address !== undefined && !sameSubnet(options.gateway, options.address)) {
    throw new UsageError(`-g: the gateway is not in the subnet of -i`);
  }
  return { kind: 'run', options };
}

/**
 * Checks a network interface name as the kernel does (dev_valid_name):
 * 1 to 15 bytes, not "." or "..", without '/', ':' or white space.
 */
function checkInterfaceName(name: string, option: string, what: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > 15) throw new UsageError(`${option} ${name}: ${what} has 1 to 15 characters`);
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new UsageError(`${option} ${name}: ${what} must not be "." or ".." or contain '/', ':' or white space`);
  }
}

function parseInteger(text: string, option: string, message: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} ${text}: ${message}`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${option} ${text}: ${message}`);
  return value;
}

function parsePort(text: string, option: string): number {
  return parseInteger(text, option, 'invalid port: expected 1 to 65535', 1, 65535);
}

function parseCidrOption(text: string): Ipv4Cidr {
  const cidr = parseIpv4Cidr(text);
  if (cidr === undefined) throw new UsageError(`-i ${text}: invalid host IP in CIDR notation (e.g. 192.168.122.2/24)`);
  if (cidr.prefixLength === 0 || cidr.prefixLength > 30 && cidr.prefixLength !== 32) {
    throw new UsageError(`-i ${text}: the prefix length must be 1 to 30, or 32`);
  }
  const hostBits = cidr.prefixLength === 32 ? 0 : 32 - cidr.prefixLength;
  const host = hostBits === 0 ? 1 : cidr.address % 2 ** hostBits;
  if (host === 0 || (hostBits > 0 && host === 2 ** hostBits - 1)) {
    throw new UsageError(`-i ${text}: that is the network or broadcast address of the subnet, not a host address`);
  }
  if (cidr.address >>> 28 >= 0xe || cidr.address >>> 24 === 0 || cidr.address >>> 24 === 127) {
    throw new UsageError(`-i ${text}: not a usable unicast host address`);
  }
  return cidr;
}

function parseAddressOption(text: string, option: string, message: string): Ipv4Address {
  const address = parseIpv4(text);
  if (address === undefined) throw new UsageError(`${option} ${text}: ${message}`);
  return address;
}

function parseMacOption(text: string): MacAddress {
  const mac = parseMac(text);
  if (mac === undefined) throw new UsageError(`--mac ${text}: invalid MAC address (e.g. 52:54:00:12:34:56)`);
  if (isMulticastMac(mac) || mac === 0) throw new UsageError(`--mac ${text}: not a unicast MAC address`);
  return mac;
}

function parseStaticArp(text: string): StaticArpOption {
  const slash = text.indexOf('/');
  const mac = slash < 0 ? undefined : parseMac(text.slice(0, slash));
  const ip = slash < 0 ? undefined : parseIpv4(text.slice(slash + 1));
  if (mac === undefined || ip === undefined || isMulticastMac(mac)) {
    throw new UsageError(`-a ${text}: invalid static ARP entry (e.g. 52:54:00:12:34:56/192.168.122.1)`);
  }
  return { mac, ip };
}

function parseDevicePath(text: string): string {
  if (/^\d+$/.test(text)) {
    throw new UsageError(`-b ${text}: Xen virtual block device numbers have no meaning here; pass the path of an image file or block device`);
  }
  if (text.length === 0) throw new UsageError('-b: empty path');
  return text;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

function parseSize(text: string): number {
  const match = /^(\d+)([KMG]?)(i?B)?$/i.exec(text);
  if (match === null) throw new UsageError(`--cache-size ${text}: invalid size (e.g. 64M or 1G)`);
  const bytes = Number(match[1]) * SIZE_UNITS[match[2].toUpperCase()];
  if (bytes < MIN_CACHE_SIZE_BYTES) throw new UsageError(`--cache-size ${text}: the cache needs at least 1M`);
  const memoryBytes = os.totalmem();
  if (bytes > memoryBytes) {
    throw new UsageError(`--cache-size ${text}: larger than the machine's memory (${Math.floor(memoryBytes / 1024 ** 2)}M)`);
  }
  return bytes;
}

function sameSubnet(gateway: Ipv4Address, cidr: Ipv4Cidr): boolean {
  if (cidr.prefixLength === 32) return true;
  const shift = 32 - cidr.prefixLength;
  return Math.floor(gateway / 2 ** shift) === Math.floor(cidr.address / 2 ** shift);
}
