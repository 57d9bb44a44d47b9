// Everything µShell needs from the appliance, behind one interface: the
// appliance implements it, and tests implement it with fakes.
import type { HeapInfo } from 'node:v8';
import type { HttpConnectionInfo, HttpStatistics } from '../http/types';
import type { Ipv4Address } from '../net/ipv4-address';
import type { StackCounters } from '../net/stack';
import type { MountedVolume, ShfsEntry } from '../shfs/types';

export interface InterfaceCounters {
  rxFrames: number;
  rxBytes: number;
  /** Received frames dropped (bad checksum, unknown protocol, no buffer). */
  rxDropped: number;
  txFrames: number;
  txBytes: number;
  /** Frames that could not be sent. */
  txDropped: number;
}

export interface TcpCounters {
  activeConnections: number;
  segmentsReceived: number;
  segmentsSent: number;
  retransmissions: number;
  resetsSent: number;
}

export interface NetworkInterfaceInfo {
  /** TAP device name, e.g. "mc0". */
  name: string;
  /** "02:00:00:12:34:56". */
  mac: string;
  up: boolean;
  /** True when the address comes from the DHCP client. */
  dhcp: boolean;
  mtu: number;
  /** Absent while DHCP has no lease yet. */
  ipv4?: { address: Ipv4Address; prefixLength: number };
  gateway?: Ipv4Address;
  dnsServers: readonly Ipv4Address[];
  counters: InterfaceCounters;
  tcp: TcpCounters;
}

export interface BlockDeviceInfo {
  /** Image file or block device path. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Logical sector size in bytes. */
  sectorSize: number;
  blockDevice: boolean;
  /** True when a mounted volume uses it. */
  inUse: boolean;
}

export interface MemoryReport {
  usage: NodeJS.MemoryUsage;
  resources: NodeJS.ResourceUsage;
  heap: HeapInfo;
  /** Memory of the host, in bytes (os.totalmem and os.freemem). */
  systemTotal: number;
  systemFree: number;
  /** Page size of the host, in bytes. */
  pageSize: number;
}

export interface StatisticsExportResult {
  /** Path of the statistics device written (-x). */
  device: string;
  bytes: number;
}

export interface ShellContext {
  /** Appliance version, e.g. "0.1.0". */
  readonly version: string;
  readonly startedAt: Date;
  readonly httpPort: number;
  readonly shellPort: number;
  now(): Date;

  volume(): MountedVolume | undefined;
  /** Mounts the volume on these image files or block devices; rejects with a message to show. */
  mount(devicePaths: readonly string[]): Promise<void>;
  /** Unmounts; with `force` also while objects are being served. */
  umount(force: boolean): Promise<void>;
  remount(): Promise<void>;
  flushCache(): void;
  /** Loads one object into the chunk cache. */
  prefetch(entry: ShfsEntry): Promise<void>;
  prefetchAll(): Promise<void>;

  network(): NetworkInterfaceInfo;
  /** Every counter of the stack; undefined while the network is not running. */
  networkCounters(): StackCounters | undefined;
  /** Undefined while the HTTP server is not running. */
  httpStatistics(): HttpStatistics | undefined;
  httpConnections(): readonly HttpConnectionInfo[];
  memory(): MemoryReport;
  /** Image files and block devices given with -b and -x, and those mounted since. */
  blockDevices(): readonly BlockDeviceInfo[];

  /** Stops the appliance. */
  halt(): void;
  /** Restarts the appliance in place. */
  reboot(): void;
  /**
   * Suspends the appliance until it is resumed; resolves with a line for
   * the user that says how to resume it, and rejects when suspending is not
   * supported.
   */
  suspend(): Promise<string>;
  /** Writes the access statistics to the statistics device; rejects when none is configured (-x). */
  exportStatistics(): Promise<StatisticsExportResult>;
}
