// µShell's view of the appliance (ShellContext), mapped onto a Linux
// process: memory is the process's, halt stops the appliance, reboot
// restarts it in place, suspend stops the process until SIGCONT.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as v8 from 'node:v8';
import { exportRecords, formatStatisticsExport } from '../http';
import { native } from '../native';
import type { HttpConnectionInfo, HttpStatistics } from '../http/types';
import type { StackCounters } from '../net/stack';
import { formatMac } from '../net/wire/ethernet';
import type { MountedVolume, ShfsEntry } from '../shfs/types';
import type { BlockDeviceInfo, MemoryReport, NetworkInterfaceInfo, ShellContext, StatisticsExportResult } from '../ushell/context';
import type { Appliance } from './appliance';
import { VERSION } from './version';

/** Delay between the reply to `suspend` and stopping the process, so the reply reaches the client. */
const SUSPEND_DELAY_MS = 200;
/** TCP states that count as open connections. */
const CLOSED_STATES = new Set(['CLOSED', 'LISTEN', 'TIME-WAIT', 'TIME_WAIT']);

export class ApplianceShellContext implements ShellContext {
  readonly version = VERSION;

  constructor(private readonly appliance: Appliance) {}

  get startedAt(): Date {
    return this.appliance.startedAt;
  }

  get httpPort(): number {
    return this.appliance.options.httpPort;
  }

  get shellPort(): number {
    return this.appliance.options.shellPort;
  }

  now(): Date {
    return new Date();
  }

  volume(): MountedVolume | undefined {
    return this.appliance.volumes.volume;
  }

  async mount(devicePaths: readonly string[]): Promise<void> {
    await this.appliance.volumes.mount(devicePaths);
  }

  async umount(_force: boolean): Promise<void> {
    // Reads in flight fail with EIO either way: the HTTP server responds
    // with 500 or cuts the connection, so there is nothing to wait for.
    await this.appliance.volumes.umount();
  }

  async remount(): Promise<void> {
    await this.appliance.volumes.remount();
  }

  flushCache(): void {
    const volume = this.appliance.volumes.volume;
    if (volume === undefined) throw new Error('no volume is mounted');
    volume.flushCache();
  }

  prefetch(entry: ShfsEntry): Promise<void> {
    return this.appliance.volumes.prefetch(entry);
  }

  async prefetchAll(): Promise<void> {
    const volume = this.appliance.volumes.volume;
    if (volume === undefined) throw new Error('no volume is mounted');
    await volume.prefetchAll();
  }

  network(): NetworkInterfaceInfo {
    const stack = this.appliance.stack;
    const iface = stack?.iface;
    const config = iface?.config;
    const tcp = stack?.tcp.stats;
    let activeConnections = 0;
    for (const [state, count] of Object.entries(tcp?.connectionsByState ?? {})) if (!CLOSED_STATES.has(state)) activeConnections += count;
    return {
      name: this.appliance.tapName ?? '-',
      mac: formatMac(this.appliance.mac),
      up: stack !== undefined,
      dhcp: this.appliance.usesDhcp,
      mtu: iface?.mtu ?? this.appliance.options.mtu,
      ipv4: config === undefined ? undefined : { address: config.address, prefixLength: config.prefixLength },
      gateway: config?.gateway,
      dnsServers: this.appliance.dnsServers(),
      counters: {
        rxFrames: iface?.counters.framesIn ?? 0,
        rxBytes: iface?.counters.bytesIn ?? 0,
        rxDropped: iface?.drops.total ?? 0,
        txFrames: iface?.counters.framesOut ?? 0,
        txBytes: iface?.counters.bytesOut ?? 0,
        txDropped: (iface?.counters.sendFailures ?? 0) + (iface?.arp.unresolvedDrops ?? 0),
      },
      tcp: {
        activeConnections,
        segmentsReceived: tcp?.segmentsReceived ?? 0,
        segmentsSent: tcp?.segmentsSent ?? 0,
        retransmissions: tcp?.retransmittedSegments ?? 0,
        resetsSent: tcp?.resetsSent ?? 0,
      },
    };
  }

  networkCounters(): StackCounters | undefined {
    return this.appliance.stack?.counters();
  }

  httpStatistics(): HttpStatistics | undefined {
    return this.appliance.httpService?.statistics();
  }

  httpConnections(): readonly HttpConnectionInfo[] {
    return this.appliance.httpService?.connections() ?? [];
  }

  memory(): MemoryReport {
    return {
      usage: process.memoryUsage(),
      resources: process.resourceUsage(),
      heap: v8.getHeapStatistics(),
      systemTotal: os.totalmem(),
      systemFree: os.freemem(),
      pageSize: 4096,
    };
  }

  blockDevices(): readonly BlockDeviceInfo[] {
    return this.appliance.volumes.blockDevices();
  }

  halt(): void {
    void this.appliance.stop('halt');
  }

  reboot(): void {
    void this.appliance.stop('reboot');
  }

  async suspend(): Promise<string> {
    const hint = `the process stops until it receives SIGCONT (kill -CONT ${process.pid})`;
    this.appliance.logger.info(`suspending: ${hint}`);
    setTimeout(() => process.kill(process.pid, 'SIGSTOP'), SUSPEND_DELAY_MS);
    return `Suspending: ${hint}`;
  }

  async exportStatistics(): Promise<StatisticsExportResult> {
    const device = this.appliance.options.statsDevice;
    if (device === undefined) throw new Error('no statistics device is configured (start the appliance with -x PATH)');
    const volume = this.appliance.volumes.volume;
    if (volume === undefined) throw new Error('no volume is mounted');
    const statistics = this.appliance.httpService?.statistics();
    const bytes = formatStatisticsExport(exportRecords(volume, statistics?.objects ?? []), volume.hashLength);
    const handle = await fs.promises.open(device, 'r+').catch(async (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return fs.promises.open(device, 'w');
      throw error;
    });
    try {
      const stat = await handle.stat();
      // stat() gives block devices a size of 0; their size comes from BLKGETSIZE64.
      const capacity = stat.isBlockDevice() ? native.blkOpen(device, { direct: false }) : undefined;
      if (capacity !== undefined) native.blkClose(capacity.fd);
      if (capacity !== undefined && capacity.size < bytes.length) {
        throw new Error(`statistics device ${device} is too small: ${capacity.size} bytes, the export needs ${bytes.length}`);
      }
      await handle.write(bytes, 0, bytes.length, 0);
      if (stat.isFile()) await handle.truncate(bytes.length);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { device, bytes: bytes.length };
  }
}
