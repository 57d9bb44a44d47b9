// The DHCP client (RFC 2131 section 4.4): acquires an address for the
// stack's interface, keeps it by renewing and rebinding, and gives it up
// when the lease expires, the server refuses it, or the client stops.
//
//   STOPPED -start-> INIT -DISCOVER-> SELECTING -OFFER/REQUEST-> REQUESTING
//   REQUESTING -ACK-> BOUND -T1-> RENEWING -T2-> REBINDING -expiry-> INIT
//   RENEWING/REBINDING -ACK-> BOUND; NAK in REQUESTING/RENEWING/REBINDING -> INIT
//
// Known gaps: the client does not wait 1 to 10 s before the first
// DHCPDISCOVER as RFC 2131 section 4.4.1 suggests, so a caller that needs
// the delay must wait before start(). It takes the first acceptable offer.
// It does not probe the offered address with ARP before using it, so it
// never sends DHCPDECLINE; the interface still warns when another host
// claims the address.
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '../log';
import type { TimerHandle } from './clock';
import { formatIpv4, maskToPrefix, type Ipv4Address } from './ipv4-address';
import type { NetworkStack } from './stack';
import type { UdpMessage } from './udp';
import { formatMac, writeMac } from './wire/ethernet';
import {
  BootpOperation,
  DHCP_CLIENT_PORT,
  DHCP_INFINITE_LEASE,
  DHCP_SERVER_PORT,
  DhcpMessageType,
  dhcpMessageTypeName,
  DhcpOption,
  emitDhcp,
  parseDhcp,
  type DhcpMessage,
  type DhcpOptions,
} from './wire/dhcp';

/** RFC 2131 section 4.1: retransmission delays for DHCPDISCOVER and DHCPREQUEST, each randomised by RETRANSMIT_JITTER_MS. */
const RETRANSMIT_DELAYS_MS = [4_000, 8_000, 16_000, 32_000, 64_000] as const;
const RETRANSMIT_JITTER_MS = 1_000;
/** RFC 2131 section 4.4.5: shortest wait between DHCPREQUESTs in RENEWING and REBINDING. */
const RENEW_RETRANSMIT_MIN_MS = 60_000;
/** RFC 2131 section 4.4.5: T1 and T2 as fractions of the lease when the server sends no options 58 and 59. */
const DEFAULT_T1_FRACTION = 0.5;
const DEFAULT_T2_FRACTION = 0.875;
/**
 * Wait before discovery starts again after a DHCPNAK, doubled after each
 * NAK without a lease in between, so that a server that refuses every
 * request cannot make the client loop at network speed.
 */
const NAK_RESTART_DELAY_MIN_MS = 1_000;
const NAK_RESTART_DELAY_MAX_MS = 64_000;
/** Maximum delay of a Node timer (2^31 - 1 ms, about 24.8 days); longer waits are re-armed. */
const MAX_TIMER_DELAY_MS = 0x7fffffff;
/** Largest value of the 16-bit `secs` field. */
const MAX_SECS = 0xffff;
/** Hardware type 1 (Ethernet) as the first byte of the client identifier (RFC 2132 section 9.14). */
const CLIENT_ID_TYPE_ETHERNET = 1;

const PARAMETER_REQUEST_LIST = [
  DhcpOption.SUBNET_MASK,
  DhcpOption.ROUTER,
  DhcpOption.DNS_SERVER,
  DhcpOption.HOST_NAME,
  DhcpOption.LEASE_TIME,
  DhcpOption.RENEWAL_TIME,
  DhcpOption.REBINDING_TIME,
];

export type DhcpState = 'STOPPED' | 'INIT' | 'SELECTING' | 'REQUESTING' | 'BOUND' | 'RENEWING' | 'REBINDING';

export interface DhcpLease {
  address: Ipv4Address;
  prefixLength: number;
  gateway?: Ipv4Address;
  dnsServers: Ipv4Address[];
  /** The server identifier (option 54): where renewals and the release go. */
  server: Ipv4Address;
  /** DHCP_INFINITE_LEASE for a lease that never expires. */
  leaseSeconds: number;
  /** T1: when renewal starts, in seconds after obtainedAtMs. */
  renewalSeconds: number;
  /** T2: when rebinding starts, in seconds after obtainedAtMs. */
  rebindingSeconds: number;
  /** stack.clock time the lease counts from: when the DHCPREQUEST was first sent (RFC 2131 section 4.4.1). */
  obtainedAtMs: number;
}

export interface DhcpClientOptions {
  /** Sent as option 12 so that the server can register the name. */
  hostname?: string;
  logger?: Logger;
}

export interface DhcpClientEvents {
  bound: [lease: DhcpLease];
  renewed: [lease: DhcpLease];
  lost: [];
  error: [error: Error];
}

/** The offer being requested in REQUESTING. */
interface SelectedOffer {
  address: Ipv4Address;
  server: Ipv4Address;
}

export class DhcpClient extends EventEmitter<DhcpClientEvents> {
  private readonly logger: Logger;
  private readonly hostname: string | undefined;
  private readonly clientId: Uint8Array;
  private currentState: DhcpState = 'STOPPED';
  private currentLease: DhcpLease | undefined;
  private offer: SelectedOffer | undefined;
  private xid = 0;
  /** Transmissions of the current message with the current xid. */
  private transmissions = 0;
  /** When the current exchange began, for the `secs` field. */
  private exchangeStartMs = 0;
  /** When the current DHCPREQUEST was first sent; a lease it brings counts from then. */
  private requestSentMs = 0;
  private consecutiveNaks = 0;
  private retransmitTimer: TimerHandle | undefined;
  private leaseTimers: TimerHandle[] = [];

  constructor(
    private readonly stack: NetworkStack,
    options: DhcpClientOptions = {},
  ) {
    super();
    this.logger = options.logger ?? createLogger('dhcp');
    this.hostname = options.hostname;
    this.clientId = new Uint8Array(7);
    this.clientId[0] = CLIENT_ID_TYPE_ETHERNET;
    writeMac(this.clientId, 1, stack.iface.mac);
  }

  get lease(): DhcpLease | undefined {
    return this.currentLease;
  }

  get state(): DhcpState {
    return this.currentState;
  }

  /** Binds UDP port 68 and starts discovery; throws EADDRINUSE when another client has bound the port. */
  start(): void {
    if (this.currentState !== 'STOPPED') return;
    this.stack.udp.bind(DHCP_CLIENT_PORT, (message) => this.receive(message));
    this.logger.debug(`starting on ${this.stack.iface.name} (${formatMac(this.stack.iface.mac)})`);
    this.startDiscovery();
  }

  /** Stops the client; a held lease is released with DHCPRELEASE and the interface unconfigured. */
  async stop(): Promise<void> {
    if (this.currentState === 'STOPPED') return;
    this.cancelTimers();
    const lease = this.currentLease;
    if (lease !== undefined) {
      this.newTransaction();
      this.send(DhcpMessageType.RELEASE, lease.server, { ciaddr: lease.address, options: { serverId: lease.server } });
      this.stack.iface.flush();
      this.stack.iface.unconfigure();
      this.logger.info(`released ${formatIpv4(lease.address)} to DHCP server ${formatIpv4(lease.server)}`);
    }
    this.stack.udp.unbind(DHCP_CLIENT_PORT);
    this.currentLease = undefined;
    this.offer = undefined;
    this.currentState = 'STOPPED';
  }

  // INIT -> SELECTING: a new transaction, DHCPDISCOVER by broadcast.
  private startDiscovery(): void {
    this.cancelTimers();
    this.currentState = 'INIT';
    this.offer = undefined;
    this.newTransaction();
    this.currentState = 'SELECTING';
    this.sendDiscover();
  }

  private sendDiscover(): void {
    this.send(DhcpMessageType.DISCOVER, 0xffffffff, { options: {} });
    this.scheduleBackoff(
      () => this.sendDiscover(),
      () => {
        this.report(new Error(`no DHCPOFFER on ${this.stack.iface.name} after ${RETRANSMIT_DELAYS_MS.length} DHCPDISCOVERs; starting over`));
        this.startDiscovery();
      },
    );
  }

  // REQUESTING: DHCPREQUEST by broadcast, naming the chosen server and address (RFC 2131 section 4.3.2).
  private sendSelectingRequest(): void {
    const offer = this.offer;
    if (offer === undefined) return;
    if (this.transmissions === 0) this.requestSentMs = this.stack.clock.now();
    this.send(DhcpMessageType.REQUEST, 0xffffffff, { options: { requestedAddress: offer.address, serverId: offer.server } });
    this.scheduleBackoff(
      () => this.sendSelectingRequest(),
      () => {
        this.report(new Error(`no reply from DHCP server ${formatIpv4(offer.server)} to the DHCPREQUEST for ${formatIpv4(offer.address)}; starting over`));
        this.startDiscovery();
      },
    );
  }

  /** Arms the RFC 2131 section 4.1 back-off after a transmission: retransmit, or give up after the last delay. */
  private scheduleBackoff(retransmit: () => void, giveUp: () => void): void {
    const index = this.transmissions - 1;
    const delay = RETRANSMIT_DELAYS_MS[index] + randomInt(-RETRANSMIT_JITTER_MS, RETRANSMIT_JITTER_MS + 1);
    const last = index + 1 >= RETRANSMIT_DELAYS_MS.length;
    this.retransmitTimer = this.stack.clock.setTimer(delay, last ? giveUp : retransmit);
  }

  // RENEWING (at T1): DHCPREQUEST by unicast to the server that gave the lease, ciaddr set (RFC 2131 section 4.4.5).
  private startRenewing(): void {
    const lease = this.currentLease;
    if (lease === undefined) return;
    this.cancelRetransmit();
    this.currentState = 'RENEWING';
    this.newTransaction();
    this.requestSentMs = this.stack.clock.now();
    this.logger.debug(`renewing ${formatIpv4(lease.address)} with ${formatIpv4(lease.server)}`);
    this.sendRenewal(lease.server, lease.obtainedAtMs + lease.rebindingSeconds * 1000);
  }

  // REBINDING (at T2): DHCPREQUEST by broadcast to any server (RFC 2131 section 4.4.5).
  private startRebinding(): void {
    const lease = this.currentLease;
    if (lease === undefined) return;
    this.cancelRetransmit();
    this.currentState = 'REBINDING';
    this.newTransaction();
    this.requestSentMs = this.stack.clock.now();
    this.logger.warn(`DHCP server ${formatIpv4(lease.server)} did not renew ${formatIpv4(lease.address)}; asking any server`);
    this.sendRenewal(0xffffffff, lease.obtainedAtMs + lease.leaseSeconds * 1000);
  }

  /** Sends a renewal or rebinding request and schedules the next one after half the time left until `deadlineMs`, at least a minute. */
  private sendRenewal(destination: Ipv4Address, deadlineMs: number): void {
    const lease = this.currentLease;
    if (lease === undefined) return;
    this.send(DhcpMessageType.REQUEST, destination, { ciaddr: lease.address, options: {} });
    const now = this.stack.clock.now();
    const delay = Math.max(RENEW_RETRANSMIT_MIN_MS, (deadlineMs - now) / 2);
    // Past the deadline the T2 or expiry timer takes over.
    if (now + delay < deadlineMs) this.retransmitTimer = this.stack.clock.setTimer(delay, () => this.sendRenewal(destination, deadlineMs));
  }

  private newTransaction(): void {
    this.xid = randomInt(0, 0x100000000);
    this.transmissions = 0;
    this.exchangeStartMs = this.stack.clock.now();
  }

  /** Sends one client message with the options every message carries (RFC 2131 section 4.4.1). */
  private send(type: number, destination: Ipv4Address, fields: { ciaddr?: Ipv4Address; options: Partial<DhcpOptions> }): void {
    this.transmissions++;
    const secs = Math.min(MAX_SECS, Math.floor((this.stack.clock.now() - this.exchangeStartMs) / 1000));
    const options: DhcpOptions = { messageType: type, clientId: this.clientId, ...fields.options };
    if (type !== DhcpMessageType.RELEASE) {
      options.parameterRequestList = PARAMETER_REQUEST_LIST;
      options.maxMessageSize = this.stack.iface.mtu;
      if (this.hostname !== undefined && this.hostname !== '') options.hostName = this.hostname;
    }
    const message: DhcpMessage = { op: BootpOperation.REQUEST, xid: this.xid, secs, ciaddr: fields.ciaddr ?? 0, chaddr: this.stack.iface.mac, options };
    // Before an address is bound, the source is 0.0.0.0 (RFC 2131 section 4.1).
    const source = fields.ciaddr ?? 0;
    this.logger.debug(`sending ${dhcpMessageTypeName(type)} xid 0x${this.xid.toString(16).padStart(8, '0')} to ${formatIpv4(destination)}`);
    this.stack.udp.send(DHCP_CLIENT_PORT, destination, DHCP_SERVER_PORT, emitDhcp(message), { source });
  }

  private receive(datagram: UdpMessage): void {
    const drops = this.stack.iface.drops;
    if (datagram.sourcePort !== DHCP_SERVER_PORT) {
      drops.drop('DHCP message not from port 67', `from ${formatIpv4(datagram.source)}:${datagram.sourcePort}`);
      return;
    }
    const parsed = parseDhcp(datagram.payload);
    if (!parsed.ok) {
      drops.drop('malformed DHCP message', `from ${formatIpv4(datagram.source)}: ${parsed.reason}`);
      return;
    }
    const reply = parsed.message;
    const type = reply.options.messageType;
    if (reply.op !== BootpOperation.REPLY) {
      drops.drop('DHCP message that is not a reply', dhcpMessageTypeName(type));
      return;
    }
    if (reply.chaddr !== this.stack.iface.mac) {
      drops.drop('DHCP reply for another client', formatMac(reply.chaddr));
      return;
    }
    if (reply.xid !== this.xid) {
      drops.drop('DHCP reply with a wrong transaction id', `xid 0x${reply.xid.toString(16)}, expected 0x${this.xid.toString(16)}`);
      return;
    }
    // RFC 6842: a server that echoes the client identifier must echo ours.
    const echoedId = reply.options.clientId;
    if (echoedId !== undefined && Buffer.compare(echoedId, this.clientId) !== 0) {
      drops.drop('DHCP reply with another client identifier', Buffer.from(echoedId).toString('hex'));
      return;
    }

    switch (this.currentState) {
      case 'SELECTING':
        if (type === DhcpMessageType.OFFER) return this.acceptOffer(reply);
        break;
      case 'REQUESTING':
        if (type === DhcpMessageType.ACK) return this.acceptAck(reply);
        if (type === DhcpMessageType.NAK) return this.acceptNak(reply);
        break;
      case 'RENEWING':
      case 'REBINDING':
        if (type === DhcpMessageType.ACK) return this.acceptAck(reply);
        if (type === DhcpMessageType.NAK) return this.acceptNak(reply);
        break;
    }
    drops.drop('unexpected DHCP reply', `${dhcpMessageTypeName(type)} in ${this.currentState}`);
  }

  // SELECTING: the first offer with a usable address and a server identifier wins (RFC 2131 section 4.4.1).
  private acceptOffer(offer: DhcpMessage): void {
    const address = offer.yiaddr ?? 0;
    const server = offer.options.serverId;
    const problem = checkUnicastAddress(address) ?? (server === undefined ? 'no server identifier (option 54)' : undefined);
    if (problem !== undefined || server === undefined) {
      this.stack.iface.drops.drop('unusable DHCPOFFER', problem);
      return;
    }
    this.logger.debug(`offer of ${formatIpv4(address)} from ${formatIpv4(server)}`);
    this.cancelRetransmit();
    this.offer = { address, server };
    this.currentState = 'REQUESTING';
    this.transmissions = 0;
    this.sendSelectingRequest();
  }

  // REQUESTING, RENEWING, REBINDING: DHCPACK binds (or extends) the lease.
  private acceptAck(ack: DhcpMessage): void {
    const drops = this.stack.iface.drops;
    if (this.currentState === 'REQUESTING' && ack.options.serverId !== this.offer?.server) {
      drops.drop('DHCPACK from a server not selected', formatIpv4(ack.options.serverId ?? 0));
      return;
    }
    const lease = leaseFromAck(ack, this.requestSentMs);
    if (typeof lease === 'string') {
      drops.drop('unusable DHCPACK', lease);
      return;
    }

    const previous = this.currentLease;
    const renewal = previous !== undefined;
    this.cancelTimers();
    this.currentLease = lease;
    this.currentState = 'BOUND';
    this.consecutiveNaks = 0;
    this.offer = undefined;
    const config = this.stack.iface.config;
    if (config === undefined || config.address !== lease.address || config.prefixLength !== lease.prefixLength || config.gateway !== lease.gateway) {
      this.stack.configure({ address: lease.address, prefixLength: lease.prefixLength, gateway: lease.gateway });
    }
    this.scheduleLeaseTimers(lease);

    if (!renewal) {
      this.logger.info(`bound ${describeLease(lease)}`);
      this.emit('bound', lease);
      return;
    }
    if (previous.address !== lease.address) this.logger.info(`lease changed from ${formatIpv4(previous.address)}: now ${describeLease(lease)}`);
    else this.logger.debug(`renewed ${describeLease(lease)}`);
    this.emit('renewed', lease);
  }

  // RFC 2131 section 4.4.1 and 4.4.5: a DHCPNAK ends the lease (if any) and restarts discovery.
  private acceptNak(nak: DhcpMessage): void {
    const reason = nak.options.message !== undefined ? ` (${nak.options.message})` : '';
    const lease = this.currentLease;
    const delay = Math.min(NAK_RESTART_DELAY_MAX_MS, NAK_RESTART_DELAY_MIN_MS * 2 ** this.consecutiveNaks);
    this.consecutiveNaks++;
    if (lease !== undefined) {
      this.logger.warn(`DHCP server ${formatIpv4(nak.options.serverId ?? 0)} rejected ${formatIpv4(lease.address)} with DHCPNAK${reason}; address removed, discovery restarts in ${delay / 1000} s`);
      this.loseLease();
    } else {
      this.logger.warn(`DHCP server ${formatIpv4(nak.options.serverId ?? 0)} rejected ${formatIpv4(this.offer?.address ?? 0)} with DHCPNAK${reason}; discovery restarts in ${delay / 1000} s`);
    }
    this.cancelTimers();
    this.offer = undefined;
    this.currentState = 'INIT';
    this.retransmitTimer = this.stack.clock.setTimer(delay, () => this.startDiscovery());
  }

  private expire(): void {
    const lease = this.currentLease;
    if (lease === undefined) return;
    this.logger.warn(`DHCP lease of ${formatIpv4(lease.address)} expired; address removed, restarting discovery`);
    this.loseLease();
    this.startDiscovery();
  }

  private loseLease(): void {
    this.currentLease = undefined;
    this.stack.iface.unconfigure();
    this.emit('lost');
  }

  private scheduleLeaseTimers(lease: DhcpLease): void {
    if (lease.leaseSeconds === DHCP_INFINITE_LEASE) return;
    const start = lease.obtainedAtMs;
    this.leaseTimers = [
      this.setTimerAt(start + lease.renewalSeconds * 1000, () => this.startRenewing()),
      this.setTimerAt(start + lease.rebindingSeconds * 1000, () => this.startRebinding()),
      this.setTimerAt(start + lease.leaseSeconds * 1000, () => this.expire()),
    ];
  }

  /** Sets a timer for an absolute stack.clock time, re-armed in steps when the wait exceeds MAX_TIMER_DELAY_MS. */
  private setTimerAt(dueMs: number, callback: () => void): TimerHandle {
    let current: TimerHandle;
    const arm = (): void => {
      const remaining = dueMs - this.stack.clock.now();
      if (remaining > MAX_TIMER_DELAY_MS) current = this.stack.clock.setTimer(MAX_TIMER_DELAY_MS, arm);
      else current = this.stack.clock.setTimer(remaining, callback);
    };
    arm();
    return { cancel: () => current.cancel() };
  }

  private cancelRetransmit(): void {
    this.retransmitTimer?.cancel();
    this.retransmitTimer = undefined;
  }

  private cancelTimers(): void {
    this.cancelRetransmit();
    for (const timer of this.leaseTimers) timer.cancel();
    this.leaseTimers = [];
  }

  /**
   * Reports a problem the client recovers from by itself: emitted as
   * 'error' when someone listens, otherwise logged as a warning (an 'error'
   * event without a listener would throw).
   */
  private report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else this.logger.warn(error.message);
  }
}

/** Builds the lease a DHCPACK grants, or returns why the ACK is unusable. */
function leaseFromAck(ack: DhcpMessage, requestSentMs: number): DhcpLease | string {
  const options = ack.options;
  const address = ack.yiaddr ?? 0;
  const addressProblem = checkUnicastAddress(address);
  if (addressProblem !== undefined) return addressProblem;
  if (options.serverId === undefined) return 'no server identifier (option 54)';
  // RFC 2131 section 4.3.1: a DHCPACK to a DHCPREQUEST must carry the lease time.
  if (options.leaseSeconds === undefined) return 'no lease time (option 51)';
  if (options.leaseSeconds === 0) return 'lease time of 0 s';

  const prefixLength = options.subnetMask === undefined ? classfulPrefix(address) : maskToPrefix(options.subnetMask);
  if (prefixLength < 1) return `subnet mask ${formatIpv4(options.subnetMask ?? 0)} is not a valid prefix`;

  const leaseSeconds = options.leaseSeconds;
  let renewalSeconds = options.renewalSeconds ?? leaseSeconds * DEFAULT_T1_FRACTION;
  let rebindingSeconds = options.rebindingSeconds ?? leaseSeconds * DEFAULT_T2_FRACTION;
  // T1 < T2 < lease is what RFC 2131 section 4.4.5 assumes; other values from the server fall back to the defaults.
  if (leaseSeconds !== DHCP_INFINITE_LEASE && !(renewalSeconds < rebindingSeconds && rebindingSeconds < leaseSeconds)) {
    renewalSeconds = leaseSeconds * DEFAULT_T1_FRACTION;
    rebindingSeconds = leaseSeconds * DEFAULT_T2_FRACTION;
  }

  return {
    address,
    prefixLength,
    gateway: options.routers?.[0],
    dnsServers: options.dnsServers ?? [],
    server: options.serverId,
    leaseSeconds,
    renewalSeconds,
    rebindingSeconds,
    obtainedAtMs: requestSentMs,
  };
}

/** Returns why `address` cannot be a host's own address, or undefined when it can. */
function checkUnicastAddress(address: Ipv4Address): string | undefined {
  const firstOctet = address >>> 24;
  if (firstOctet === 0 || firstOctet === 127 || firstOctet >= 224) return `offered address ${formatIpv4(address)} is not a unicast host address`;
  return undefined;
}

/** The prefix of the address's historical class (A /8, B /16, C /24), used when the server sends no subnet mask (option 1). */
function classfulPrefix(address: Ipv4Address): number {
  const firstOctet = address >>> 24;
  if (firstOctet < 128) return 8;
  if (firstOctet < 192) return 16;
  return 24;
}

function describeLease(lease: DhcpLease): string {
  const gateway = lease.gateway === undefined ? 'no gateway' : `gateway ${formatIpv4(lease.gateway)}`;
  const dns = lease.dnsServers.length === 0 ? 'no DNS server' : `DNS ${lease.dnsServers.map(formatIpv4).join(', ')}`;
  const duration = lease.leaseSeconds === DHCP_INFINITE_LEASE ? 'an infinite lease' : `${lease.leaseSeconds} s`;
  return `${formatIpv4(lease.address)}/${lease.prefixLength} from DHCP server ${formatIpv4(lease.server)}, ${gateway}, ${dns}, for ${duration}`;
}
