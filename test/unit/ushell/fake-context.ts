// A ShellContext for tests: fixed clock, network identity, memory figures
// and HTTP statistics, a fake volume, and a record of every action the shell
// asked the appliance for.
import type { HeapInfo } from 'node:v8';
import type { HttpConnectionInfo, HttpStatistics } from '../../../src/http';
import { parseIpv4 } from '../../../src/net/ipv4-address';
import type { ShfsEntry } from '../../../src/shfs/types';
import type { StackCounters } from '../../../src/net/stack';
import { createDropCounters } from '../../../src/net/tcp/counters';
import type { BlockDeviceInfo, MemoryReport, NetworkInterfaceInfo, ShellContext, StatisticsExportResult } from '../../../src/ushell';
import { FakeVolume, type FakeObject } from '../../helpers/fake-volume';

export const STARTED_AT = new Date(Date.UTC(2024, 0, 15, 8, 0, 0));
/** 1 day, 2 hours, 3 minutes and 4 seconds after STARTED_AT. */
export const NOW = new Date(STARTED_AT.getTime() + ((26 * 60 + 3) * 60 + 4) * 1000);

export const OBJECTS: FakeObject[] = [
  { name: 'index.html', data: '<html>\n<p>Hi</p>\n</html>\n', mime: 'text/html', isDefault: true },
  { name: 'notes.txt', data: 'first line\nsecond line\n', mime: 'text/plain' },
  { name: 'logo.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x41]), mime: 'image/png' },
  { name: 'big.txt', data: 'x'.repeat(3000), mime: 'text/plain', hidden: true },
  { name: 'movie', link: { type: 'redirect', host: '10.0.0.5', hostType: 'ipv4', port: 8080, path: 'videos/a.mp4' } },
  { name: 'clone', link: { type: 'raw', host: 'origin.example', hostType: 'name', port: 80, path: 'raw/path' } },
];

function ipv4(text: string): number {
  const address = parseIpv4(text);
  if (address === undefined) throw new Error(`bad test address ${text}`);
  return address;
}

const HEAP: HeapInfo = {
  total_heap_size: 6_000_000,
  total_heap_size_executable: 500_000,
  total_physical_size: 5_500_000,
  total_available_size: 4_000_000_000,
  used_heap_size: 4_200_000,
  heap_size_limit: 4_300_000_000,
  malloced_memory: 260_000,
  peak_malloced_memory: 1_100_000,
  does_zap_garbage: 0,
  number_of_native_contexts: 1,
  number_of_detached_contexts: 0,
  total_global_handles_size: 8192,
  used_global_handles_size: 3000,
  external_memory: 2_000_000,
};

export class FakeContext implements ShellContext {
  readonly version = '0.1.0';
  readonly startedAt = STARTED_AT;
  readonly httpPort = 80;
  readonly shellPort = 23;
  currentVolume: FakeVolume | undefined;
  readonly actions: string[] = [];
  /** Error message for the next mount, umount, remount, suspend or export call. */
  failNext: string | undefined;
  http: HttpStatistics | undefined = {
    connections: { current: 2, max: 1024, total: 17, rejected: 1 },
    requests: 40,
    responses: { '1xx': 0, '2xx': 30, '3xx': 2, '4xx': 7, '5xx': 1 },
    bodyBytesSent: 123456,
    invalidRequests: 3,
    originFailures: 1,
    objects: [],
  };
  connections: HttpConnectionInfo[] = [];
  devices: BlockDeviceInfo[] = [
    { path: '/var/lib/minicache/test.img', size: 8388608, sectorSize: 512, blockDevice: false, inUse: true },
    { path: '/dev/sdb', size: 1073741824, sectorSize: 4096, blockDevice: true, inUse: false },
  ];
  network: () => NetworkInterfaceInfo = () => ({
    name: 'mc0',
    mac: '02:00:00:aa:bb:cc',
    up: true,
    dhcp: false,
    mtu: 1500,
    ipv4: { address: ipv4('192.168.122.2'), prefixLength: 24 },
    gateway: ipv4('192.168.122.1'),
    dnsServers: [ipv4('192.168.122.1'), ipv4('9.9.9.9')],
    counters: { rxFrames: 100, rxBytes: 64000, rxDropped: 2, txFrames: 90, txBytes: 120000, txDropped: 0 },
    tcp: { activeConnections: 3, segmentsReceived: 80, segmentsSent: 85, retransmissions: 4, resetsSent: 1 },
  });

  counters: StackCounters | undefined = {
    interface: { framesIn: 100, bytesIn: 64000, framesOut: 90, bytesOut: 120000, sendFailures: 0 },
    drops: [
      ['multicast frame', 7],
      ['IPv6 is not supported', 2],
    ],
    dropsTotal: 9,
    ipv4: { datagramsIn: 80, datagramsOut: 85, fragmentsIn: 3, fragmentsOut: 3, reassembled: 1 },
    reassembly: { datagrams: 0, bytes: 0, timeouts: 1, evictions: 0 },
    arp: { entries: 2, pendingAddresses: 0, pendingFrames: 0, unresolvedDrops: 0 },
    icmp: { echoRequests: 4, echoReplies: 4, errorsSent: 1, errorsRateLimited: 0, errorsReceived: 0 },
    udp: { datagramsIn: 5, datagramsOut: 5, noPort: 1 },
    tcp: {
      segmentsReceived: 80,
      segmentsSent: 85,
      retransmittedSegments: 4,
      resetsSent: 1,
      resetsReceived: 0,
      activeOpens: 0,
      passiveOpens: 6,
      timeouts: 0,
      synCookiesSent: 0,
      synCookiesAccepted: 0,
      challengeAcksSent: 0,
      timeWaitOverflows: 0,
      dropped: { ...createDropCounters(), checksum: 2, 'closed-port': 5 },
      connectionsByState: { LISTEN: 2, ESTABLISHED: 3, 'TIME-WAIT': 0 },
    },
    tcpOutOfOrderBytes: 0,
  };

  networkCounters(): StackCounters | undefined {
    return this.counters;
  }

  constructor(objects: FakeObject[] = OBJECTS) {
    this.currentVolume = new FakeVolume(objects, { name: 'DemoVol' });
  }

  now(): Date {
    return NOW;
  }

  volume(): FakeVolume | undefined {
    return this.currentVolume;
  }

  async mount(devicePaths: readonly string[]): Promise<void> {
    this.act(`mount ${devicePaths.join(' ')}`);
    this.currentVolume = new FakeVolume(OBJECTS, { name: 'Mounted' });
  }

  async umount(force: boolean): Promise<void> {
    this.act(`umount${force ? ' -f' : ''}`);
    this.currentVolume = undefined;
  }

  async remount(): Promise<void> {
    this.act('remount');
  }

  flushCache(): void {
    this.actions.push('flush');
  }

  async prefetch(entry: ShfsEntry): Promise<void> {
    this.act(`prefetch ${entry.name}`);
  }

  async prefetchAll(): Promise<void> {
    this.act('prefetch-all');
  }

  httpStatistics(): HttpStatistics | undefined {
    return this.http;
  }

  httpConnections(): readonly HttpConnectionInfo[] {
    return this.connections;
  }

  memory(): MemoryReport {
    return {
      usage: { rss: 50 * 1024 * 1024, heapTotal: 6_000_000, heapUsed: 4_200_000, external: 2_000_000, arrayBuffers: 1_000_000 },
      resources: { maxRSS: 60_000 } as NodeJS.ResourceUsage,
      heap: HEAP,
      systemTotal: 8 * 1024 * 1024 * 1024,
      systemFree: 3 * 1024 * 1024 * 1024,
      pageSize: 4096,
    };
  }

  blockDevices(): readonly BlockDeviceInfo[] {
    return this.devices;
  }

  halt(): void {
    this.actions.push('halt');
  }

  reboot(): void {
    this.actions.push('reboot');
  }

  async suspend(): Promise<string> {
    this.act('suspend');
    return 'Suspending; resume with the fake signal';
  }

  async exportStatistics(): Promise<StatisticsExportResult> {
    this.act('export-stats');
    return { device: '/var/lib/minicache/stats.img', bytes: 312 };
  }

  private act(action: string): void {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) throw new Error(failure);
    this.actions.push(action);
  }
}
