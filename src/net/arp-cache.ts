// The ARP cache (RFC 826): dynamic entries learnt from traffic expire,
// static ones (from the command line) never expire and are never replaced
// by what arrives on the wire. Datagrams waiting for a resolution are held
// here, a bounded number per address.
import type { Clock } from './clock';
import type { Ipv4Address } from './ipv4-address';
import type { FrameOffload } from './phy/device';
import type { MacAddress } from './wire/ethernet';

/** How long a learnt entry stays valid without being confirmed again. */
export const ARP_ENTRY_LIFETIME_MS = 300_000;
/**
 * Time before expiry from which an entry in use is confirmed with a unicast
 * request (RFC 1122 2.3.2.1), so traffic does not stall while the entry is
 * resolved again from scratch. Peers such as Linux confirm reachability
 * from TCP progress and send no ARP of their own.
 */
export const ARP_REFRESH_BEFORE_MS = 30_000;
/** Interval between ARP requests for an unresolved address. */
export const ARP_REQUEST_INTERVAL_MS = 1000;
/** Requests sent before the datagrams waiting on an address are dropped. */
export const ARP_MAX_REQUESTS = 3;
/** Datagrams held per unresolved address; older ones are dropped first. */
export const ARP_MAX_PENDING_PER_ADDRESS = 16;
/** Addresses being resolved at the same time. */
export const ARP_MAX_PENDING_ADDRESSES = 256;
/** Dynamic entries kept; the least recently refreshed is evicted beyond it. */
export const ARP_MAX_ENTRIES = 1024;

export interface ArpEntry {
  mac: MacAddress;
  isStatic: boolean;
  /** Clock time after which a dynamic entry is stale. */
  expiresAtMs: number;
  /** A unicast request to confirm the entry went out in its refresh window. */
  refreshSent?: boolean;
}

/**
 * A frame waiting for its next hop's MAC: its parts, the first of which
 * starts with room for the Ethernet header, and its offload request.
 */
export interface PendingFrame {
  parts: Uint8Array[];
  offload: FrameOffload | undefined;
}

interface PendingResolution {
  frames: PendingFrame[];
  requestsSent: number;
}

/**
 * Outcome of enqueue for a frame: it started a new resolution, joined one,
 * joined one and pushed out the oldest waiting frame, or was dropped
 * because too many addresses are being resolved.
 */
export type EnqueueResult = 'started' | 'queued' | 'displaced' | 'rejected';

export class ArpCache {
  private readonly entries = new Map<Ipv4Address, ArpEntry>();
  private readonly pending = new Map<Ipv4Address, PendingResolution>();
  private dynamicCount = 0;
  /** Datagrams dropped because their address never resolved or the queue was full. */
  unresolvedDrops = 0;

  constructor(private readonly clock: Clock) {}

  addStatic(ip: Ipv4Address, mac: MacAddress): void {
    const previous = this.entries.get(ip);
    if (previous !== undefined && !previous.isStatic) this.dynamicCount--;
    this.entries.set(ip, { mac, isStatic: true, expiresAtMs: Infinity });
  }

  /** Returns the MAC for `ip` when a fresh entry exists. */
  lookup(ip: Ipv4Address): MacAddress | undefined {
    const entry = this.entries.get(ip);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.clock.now()) {
      this.entries.delete(ip);
      this.dynamicCount--;
      return undefined;
    }
    return entry.mac;
  }

  /**
   * Records a mapping seen on the wire. `create` is false when the mapping
   * may only refresh an existing entry (RFC 826: a packet not addressed to
   * us updates the cache but does not add to it). Static entries never
   * change. Returns frames that were waiting for this address.
   */
  /**
   * Returns true once per refresh window when the entry for `ip` is about
   * to expire: the caller then sends a unicast request to confirm it.
   */
  takeRefresh(ip: Ipv4Address): boolean {
    const entry = this.entries.get(ip);
    if (entry === undefined || entry.isStatic || entry.refreshSent === true) return false;
    if (this.clock.now() < entry.expiresAtMs - ARP_REFRESH_BEFORE_MS) return false;
    entry.refreshSent = true;
    return true;
  }

  learn(ip: Ipv4Address, mac: MacAddress, create: boolean): PendingFrame[] {
    const entry = this.entries.get(ip);
    if (entry?.isStatic === true) return this.takePending(ip);
    if (entry === undefined && !create && !this.pending.has(ip)) return [];
    if (entry === undefined) {
      if (this.dynamicCount >= ARP_MAX_ENTRIES) this.evictOldest();
      this.dynamicCount++;
    }
    this.entries.set(ip, { mac, isStatic: false, expiresAtMs: this.clock.now() + ARP_ENTRY_LIFETIME_MS });
    return this.takePending(ip);
  }

  /** Holds a frame until `ip` resolves; on 'started' the caller sends the first request. */
  enqueue(ip: Ipv4Address, frame: PendingFrame): EnqueueResult {
    let resolution = this.pending.get(ip);
    const isNew = resolution === undefined;
    if (resolution === undefined) {
      if (this.pending.size >= ARP_MAX_PENDING_ADDRESSES) {
        this.unresolvedDrops++;
        return 'rejected';
      }
      resolution = { frames: [], requestsSent: 0 };
      this.pending.set(ip, resolution);
    }
    let displaced = false;
    if (resolution.frames.length >= ARP_MAX_PENDING_PER_ADDRESS) {
      resolution.frames.shift();
      this.unresolvedDrops++;
      displaced = true;
    }
    resolution.frames.push(frame);
    if (isNew) return 'started';
    return displaced ? 'displaced' : 'queued';
  }

  /**
   * Counts a request for `ip` that is about to be sent. Returns false when
   * the retries are used up, and then drops the waiting frames.
   */
  noteRequest(ip: Ipv4Address): boolean {
    const resolution = this.pending.get(ip);
    if (resolution === undefined) return false;
    if (resolution.requestsSent >= ARP_MAX_REQUESTS) {
      this.unresolvedDrops += resolution.frames.length;
      this.pending.delete(ip);
      return false;
    }
    resolution.requestsSent++;
    return true;
  }

  isPending(ip: Ipv4Address): boolean {
    return this.pending.has(ip);
  }

  /** Addresses being resolved now. */
  get pendingAddresses(): number {
    return this.pending.size;
  }

  /** Datagrams waiting for a resolution, over all addresses. */
  get pendingFrames(): number {
    let frames = 0;
    for (const resolution of this.pending.values()) frames += resolution.frames.length;
    return frames;
  }

  /** Lists the fresh entries, for `arp`-style listings. */
  list(): Array<{ ip: Ipv4Address } & ArpEntry> {
    const now = this.clock.now();
    const result: Array<{ ip: Ipv4Address } & ArpEntry> = [];
    for (const [ip, entry] of this.entries) if (entry.expiresAtMs > now) result.push({ ip, ...entry });
    return result;
  }

  private takePending(ip: Ipv4Address): PendingFrame[] {
    const resolution = this.pending.get(ip);
    if (resolution === undefined) return [];
    this.pending.delete(ip);
    return resolution.frames;
  }

  private evictOldest(): void {
    let oldestIp: Ipv4Address | undefined;
    let oldestExpiry = Infinity;
    for (const [ip, entry] of this.entries) {
      if (!entry.isStatic && entry.expiresAtMs < oldestExpiry) {
        oldestExpiry = entry.expiresAtMs;
        oldestIp = ip;
      }
    }
    if (oldestIp !== undefined) {
      this.entries.delete(oldestIp);
      this.dynamicCount--;
    }
  }
}
