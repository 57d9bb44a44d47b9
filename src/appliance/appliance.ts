// The appliance: one TAP on a bridge, its own TCP/IP stack with a static
// or DHCP address, the volume, the HTTP server on port 80, µShell on port
// 23 and the control channel, started and stopped in that order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { HttpService } from '../http';
import { createLogger, type Logger } from '../log';
import { DhcpClient } from '../net/dhcp-client';
import { DnsResolver } from '../net/dns-resolver';
import { formatIpv4, parseIpv4, type Ipv4Address } from '../net/ipv4-address';
import type { FrameDevice } from '../net/phy/device';
import { PcapWriter } from '../net/phy/pcap-writer';
import { TapDevice } from '../net/phy/tap-device';
import { createServer, connect, type TcpServer } from '../net/socket';
import { NetworkStack } from '../net/stack';
import { formatMac, type MacAddress } from '../net/wire/ethernet';
import { buildWebVolume } from '../shfs/web-volume';
import { UShellService } from '../ushell';
import { ensureBridge, releaseBridge, requireBridge, type BridgeHandle } from './bridge';
import { ControlChannel } from './control-channel';
import { randomLocalMac } from './mac-address';
import { DEMO_BRIDGE_CIDR, DEMO_CIDR, type ApplianceOptions } from './options';
import { ApplianceShellContext } from './shell-context';
import { runControlAction } from './control-actions';
import { VolumeManager } from './volume-manager';
import { VERSION } from './version';

/** Folder of the demo site, relative to dist/src/appliance. */
const DEMO_SITE_DIR = path.join(__dirname, '..', '..', '..', 'demo', 'site');
/** Folder of the control sockets when --ctl is not given. */
const CONTROL_SOCKET_DIR = '/run/minicache';

export type StopReason = 'halt' | 'reboot' | 'signal';

export class Appliance {
  readonly logger: Logger;
  readonly volumes: VolumeManager;
  readonly startedAt = new Date();
  readonly mac: MacAddress;
  private bridge: BridgeHandle | undefined;
  private device: FrameDevice | undefined;
  private tap: TapDevice | undefined;
  private stackInstance: NetworkStack | undefined;
  private dhcp: DhcpClient | undefined;
  private dns: DnsResolver | undefined;
  private http: HttpService | undefined;
  private shell: UShellService | undefined;
  private httpServer: TcpServer | undefined;
  private shellServer: TcpServer | undefined;
  private control: ControlChannel | undefined;
  private demoImageDir: string | undefined;
  private readyLogged = false;
  private stopping: Promise<void> | undefined;
  private stopListeners: Array<(reason: StopReason) => void> = [];

  constructor(
    readonly options: ApplianceOptions,
    logger?: Logger,
  ) {
    this.logger = logger ?? createLogger('minicache');
    this.volumes = new VolumeManager(options.cacheSizeBytes, this.logger.child('volume'));
    this.mac = options.mac ?? randomLocalMac();
  }

  get stack(): NetworkStack | undefined {
    return this.stackInstance;
  }

  get httpService(): HttpService | undefined {
    return this.http;
  }

  get shellService(): UShellService | undefined {
    return this.shell;
  }

  get tapName(): string | undefined {
    return this.tap?.name;
  }

  get usesDhcp(): boolean {
    return this.options.address === undefined && !this.options.demo;
  }

  /** DNS servers: -d/-e, else those of the DHCP lease. */
  dnsServers(): Ipv4Address[] {
    if (this.options.dnsServers.length > 0) return this.options.dnsServers;
    return this.dhcp?.lease?.dnsServers ?? [];
  }

  /** Called once when the appliance stops, with the reason. */
  onStop(listener: (reason: StopReason) => void): void {
    this.stopListeners.push(listener);
  }

  /**
   * Brings everything up. On failure, whatever was started is torn down
   * again and the error is rethrown with a message for the user.
   */
  async start(): Promise<void> {
    try {
      await this.startVolume();
      this.startNetwork();
      await this.startServices();
      await this.startControlChannel();
      this.startAddressing();
    } catch (error) {
      await this.teardown();
      throw error;
    }
  }

  /** Stops everything (idempotent); `reason` is passed to the stop listeners. */
  stop(reason: StopReason = 'signal'): Promise<void> {
    if (this.stopping === undefined) {
      // Sessions close at once, so the local one does not show a new prompt while the rest stops.
      void this.shell?.close();
      this.stopping = this.teardown().then(() => {
        for (const listener of this.stopListeners) listener(reason);
      });
    }
    return this.stopping;
  }

  private async startVolume(): Promise<void> {
    const options = this.options;
    if (options.statsDevice !== undefined) this.volumes.remember(options.statsDevice);
    if (options.demo) {
      this.demoImageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-demo-'));
      const image = path.join(this.demoImageDir, 'demo.img');
      await buildWebVolume(DEMO_SITE_DIR, image, { name: 'MiniCacheDemo' });
      await this.volumes.mount([image]);
    } else if (options.devices.length > 0) {
      await this.volumes.mount(options.devices);
    } else {
      this.logger.info('no volume given (-b): every request gets 404 until one is mounted');
    }
    if (options.prefetch && this.volumes.volume !== undefined) {
      const volume = this.volumes.volume;
      volume.prefetchAll().then(
        () => this.logger.info(`prefetched volume '${volume.name}' into the cache`),
        (error: Error) => this.logger.warn(`prefetch failed: ${error.message}`),
      );
    }
  }

  private startNetwork(): void {
    const options = this.options;
    if (options.bridge !== undefined) {
      this.bridge = options.demo && options.address === undefined ? ensureBridge(options.bridge, DEMO_BRIDGE_CIDR) : requireBridge(options.bridge);
      if (this.bridge.created) this.logger.info(`created bridge ${this.bridge.name} with address ${DEMO_BRIDGE_CIDR}`);
    }
    this.tap = TapDevice.open({ name: options.tapName, mtu: options.mtu, bridge: options.bridge, offload: options.offload });
    this.device = options.pcapPath === undefined ? this.tap : new PcapWriter(this.tap, options.pcapPath);
    const staticArp = options.staticArp.map((entry) => ({ ip: entry.ip, mac: entry.mac }));
    this.stackInstance = new NetworkStack({ device: this.device, mac: this.mac, staticArp, logger: this.logger.child('net') });
    this.stackInstance.start();
  }

  private async startServices(): Promise<void> {
    const stack = this.requireStack();
    this.dns = new DnsResolver(stack, { servers: () => this.dnsServers(), logger: this.logger.child('dns') });
    this.http = new HttpService({
      volume: () => this.volumes.volume,
      maxConnections: this.options.maxConnections,
      serverName: `MiniCache/${VERSION} (Linux)`,
      logger: this.logger.child('http'),
      connectOrigin: (host, port) => this.connectOrigin(host, port),
      resolveHost: async (name) => formatIpv4(await this.requireDns().resolve(name)),
    });
    this.shell = new UShellService({ context: new ApplianceShellContext(this), logger: this.logger.child('ushell') });

    const http = this.http;
    const shell = this.shell;
    this.httpServer = createServer(stack, (socket) => http.handleConnection(socket));
    this.shellServer = createServer(stack, (socket) => shell.handleConnection(socket));
    await listen(this.httpServer, this.options.httpPort);
    await listen(this.shellServer, this.options.shellPort);
  }

  private async startControlChannel(): Promise<void> {
    if (!this.options.controlChannel) return;
    const socketPath = this.options.controlSocketPath ?? path.join(CONTROL_SOCKET_DIR, `${this.tap?.name ?? 'minicache'}.sock`);
    this.control = await ControlChannel.open(socketPath, (request) => runControlAction(this, request), this.logger.child('control'));
  }

  private startAddressing(): void {
    const stack = this.requireStack();
    const options = this.options;
    const cidr = options.address ?? (options.demo ? { address: parseIpv4(DEMO_CIDR.split('/')[0]) as Ipv4Address, prefixLength: Number(DEMO_CIDR.split('/')[1]) } : undefined);
    if (cidr !== undefined) {
      stack.configure({ address: cidr.address, prefixLength: cidr.prefixLength, gateway: options.gateway });
      this.logReady();
      return;
    }
    this.dhcp = new DhcpClient(stack, { logger: this.logger.child('dhcp') });
    this.dhcp.on('bound', () => this.logReady());
    this.dhcp.on('error', (error: Error) => this.logger.warn(`DHCP: ${error.message}`));
    this.logger.info(`waiting for a DHCP lease on ${this.tap?.name ?? '?'} (MAC ${formatMac(this.mac)})`);
    this.dhcp.start();
  }

  private logReady(): void {
    if (this.readyLogged) return;
    this.readyLogged = true;
    const config = this.stackInstance?.iface.config;
    const address = config === undefined ? 'none' : `${formatIpv4(config.address)}/${config.prefixLength}`;
    const volume = this.volumes.volume;
    const volumeText = volume === undefined ? 'no volume' : `volume '${volume.name}' (${volume.entries().length} objects)`;
    const bridge = this.options.bridge === undefined ? 'unattached' : `on ${this.options.bridge}`;
    this.logger.info(
      `ready: MAC ${formatMac(this.mac)}, IP ${address}, TAP ${this.tap?.name ?? '?'} ${bridge}, ${volumeText}, HTTP port ${this.options.httpPort}, shell port ${this.options.shellPort}`,
    );
  }

  /** Resolves with the socket once the handshake completes; rejects with the connection error. */
  private connectOrigin(host: string, port: number): Promise<Duplex> {
    const socket = connect(this.requireStack(), { host, port });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }

  private requireStack(): NetworkStack {
    if (this.stackInstance === undefined) throw new Error('the network is not started');
    return this.stackInstance;
  }

  private requireDns(): DnsResolver {
    if (this.dns === undefined) throw new Error('the resolver is not started');
    return this.dns;
  }

  /** Logs one line with the stack's main counters, for the record of a run. */
  private logNetworkSummary(): void {
    const counters = this.stackInstance?.counters();
    if (counters === undefined) return;
    const topDrops = counters.drops
      .slice(0, 3)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
    const tcp = counters.tcp;
    this.logger.info(
      `network: frames in ${counters.interface.framesIn}, out ${counters.interface.framesOut}, dropped ${counters.dropsTotal}` +
        `${topDrops.length > 0 ? ` (${topDrops})` : ''}; TCP connections ${tcp.passiveOpens + tcp.activeOpens}, ` +
        `segments retransmitted ${tcp.retransmittedSegments}, resets sent ${tcp.resetsSent}`,
    );
  }

  private async teardown(): Promise<void> {
    this.logNetworkSummary();
    const steps: Array<[string, () => Promise<void> | void]> = [
      ['control channel', () => this.control?.close()],
      ['HTTP server', () => this.httpServer?.close()],
      ['shell server', () => this.shellServer?.close()],
      ['HTTP service', () => this.http?.close()],
      ['shell', () => this.shell?.close()],
      ['DHCP client', () => this.dhcp?.stop()],
      ['network', () => this.stackInstance?.close() ?? this.device?.close()],
      ['volume', () => this.volumes.close()],
      ['bridge', () => (this.bridge === undefined ? undefined : releaseBridge(this.bridge))],
      ['demo image', () => (this.demoImageDir === undefined ? undefined : fs.rmSync(this.demoImageDir, { recursive: true, force: true }))],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        this.logger.warn(`stopping the ${name} failed: ${(error as Error).message}`);
      }
    }
    this.control = undefined;
    this.httpServer = undefined;
    this.shellServer = undefined;
    this.stackInstance = undefined;
    this.device = undefined;
    this.tap = undefined;
    this.bridge = undefined;
    this.demoImageDir = undefined;
  }
}

function listen(server: TcpServer, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
