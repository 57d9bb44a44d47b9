// IPv4 fragment reassembly (RFC 791 section 3.2, with the hole bookkeeping
// of RFC 815 replaced by a sorted fragment list). Bounded in every
// dimension: datagrams in progress, bytes held, time to complete, and the
// 65535-byte maximum datagram size. Overlapping fragments make the whole
// datagram invalid, as RFC 5722 prescribes for IPv6 and Linux does for
// IPv4; an exact repeat of a fragment already held is ignored.
import type { Clock, TimerHandle } from './clock';
import type { Ipv4Address } from './ipv4-address';
import { IPV4_MAX_DATAGRAM_BYTES, type Ipv4Header } from './wire/ipv4';

/** Time allowed for all fragments of a datagram to arrive (Linux uses 30 s, RFC 791 suggests 15 s). */
export const REASSEMBLY_TIMEOUT_MS = 30_000;
/** Datagrams in reassembly at once; a new one beyond this evicts the oldest. */
export const REASSEMBLY_MAX_DATAGRAMS = 64;
/** Fragment bytes held across all datagrams in reassembly. */
export const REASSEMBLY_MAX_BYTES = 1024 * 1024;
/** Fragments held per datagram (65535 / 8 would allow 8192 tiny ones). */
export const REASSEMBLY_MAX_FRAGMENTS = 128;

interface Fragment {
  offset: number;
  data: Uint8Array;
}

interface Datagram {
  key: string;
  fragments: Fragment[];
  bytes: number;
  /** Total data length, known once the last fragment (MF clear) arrived. */
  totalLength: number | undefined;
  /** Header of the fragment at offset 0, once it arrived. */
  firstHeader: Uint8Array | undefined;
  timer: TimerHandle;
}

export type ReassemblyResult =
  /** `duplicate` is set when the fragment repeats one already held exactly, which changes nothing. */
  | { status: 'incomplete'; duplicate?: boolean }
  | { status: 'complete'; header: Uint8Array; payload: Uint8Array }
  | { status: 'dropped'; reason: string };

export interface ReassemblyEvents {
  /** A datagram timed out; `firstHeader` is set when its first fragment had arrived (RFC 792 time exceeded). */
  onTimeout(firstFragment: Uint8Array | undefined): void;
  /** An incomplete datagram was discarded to make room for a newer one. */
  onEvict?(): void;
}

export class Ipv4Reassembler {
  private readonly datagrams = new Map<string, Datagram>();
  private bytesHeld = 0;
  timeouts = 0;
  /** Incomplete datagrams discarded to make room for newer ones (count or memory limit). */
  evictions = 0;

  constructor(
    private readonly clock: Clock,
    private readonly events: ReassemblyEvents,
  ) {}

  get datagramsInProgress(): number {
    return this.datagrams.size;
  }

  get bytesInProgress(): number {
    return this.bytesHeld;
  }

  /** Adds one fragment: `datagram` is the whole fragment (header and data), `header` its parsed header. */
  add(header: Ipv4Header, datagram: Uint8Array): ReassemblyResult {
    const data = datagram.subarray(header.headerLength, header.totalLength);
    const offset = header.fragmentOffset;
    const end = offset + data.length;
    if (header.moreFragments && data.length % 8 !== 0) return { status: 'dropped', reason: 'non-final fragment length is not a multiple of 8' };
    if (header.moreFragments && data.length === 0) return { status: 'dropped', reason: 'empty non-final fragment' };
    if (header.headerLength + end > IPV4_MAX_DATAGRAM_BYTES) return { status: 'dropped', reason: 'reassembled datagram would exceed 65535 bytes' };

    const key = fragmentKey(header.source, header.destination, header.protocol, header.identification);
    let entry = this.datagrams.get(key);
    if (entry === undefined) {
      if (this.datagrams.size >= REASSEMBLY_MAX_DATAGRAMS) this.evictOldest();
      entry = {
        key,
        fragments: [],
        bytes: 0,
        totalLength: undefined,
        firstHeader: undefined,
        timer: this.clock.setTimer(REASSEMBLY_TIMEOUT_MS, () => this.expire(key)),
      };
      this.datagrams.set(key, entry);
    }

    // The last fragment fixes the length; fragments past it, held or
    // arriving, or a second different end, make the datagram invalid.
    if (!header.moreFragments) {
      if (entry.totalLength !== undefined && entry.totalLength !== end) return this.discard(entry, 'conflicting last fragments');
      const last = entry.fragments[entry.fragments.length - 1];
      if (last !== undefined && last.offset + last.data.length > end) return this.discard(entry, 'fragment beyond the end of the datagram');
      entry.totalLength = end;
    }
    if (entry.totalLength !== undefined && end > entry.totalLength) return this.discard(entry, 'fragment beyond the end of the datagram');

    const position = this.insertionPoint(entry, offset);
    const previous = entry.fragments[position - 1];
    const next = entry.fragments[position];
    if (previous !== undefined && previous.offset === offset && previous.data.length === data.length) return { status: 'incomplete', duplicate: true };
    if (previous !== undefined && previous.offset + previous.data.length > offset) return this.discard(entry, 'overlapping fragments');
    if (next !== undefined && next.offset < end) return this.discard(entry, 'overlapping fragments');
    if (entry.fragments.length >= REASSEMBLY_MAX_FRAGMENTS) return this.discard(entry, 'too many fragments');

    // Over the memory limit, the datagrams that have waited longest make
    // room: a sender that keeps the memory full with fragments that never
    // complete then only delays its own garbage, while a datagram whose
    // fragments arrive together still completes.
    while (this.bytesHeld + data.length > REASSEMBLY_MAX_BYTES) {
      const oldest = this.datagrams.values().next().value as Datagram;
      if (oldest === entry) return this.discard(entry, 'reassembly memory limit reached');
      this.evict(oldest);
    }

    // Copied, because the frame buffer belongs to the receive batch.
    entry.fragments.splice(position, 0, { offset, data: Uint8Array.from(data) });
    entry.bytes += data.length;
    this.bytesHeld += data.length;
    if (offset === 0) entry.firstHeader = Uint8Array.from(datagram.subarray(0, header.headerLength));

    return this.tryComplete(entry);
  }

  private insertionPoint(entry: Datagram, offset: number): number {
    let position = entry.fragments.length;
    while (position > 0 && entry.fragments[position - 1].offset > offset) position--;
    return position;
  }

  private tryComplete(entry: Datagram): ReassemblyResult {
    if (entry.totalLength === undefined || entry.firstHeader === undefined || entry.bytes !== entry.totalLength) return { status: 'incomplete' };
    // Without overlaps, covering totalLength bytes means there are no holes.
    const payload = Buffer.allocUnsafe(entry.totalLength);
    for (const fragment of entry.fragments) payload.set(fragment.data, fragment.offset);
    const header = entry.firstHeader;
    this.remove(entry);
    return { status: 'complete', header, payload };
  }

  private discard(entry: Datagram, reason: string): ReassemblyResult {
    this.remove(entry);
    return { status: 'dropped', reason };
  }

  private remove(entry: Datagram): void {
    entry.timer.cancel();
    this.bytesHeld -= entry.bytes;
    this.datagrams.delete(entry.key);
  }

  private expire(key: string): void {
    const entry = this.datagrams.get(key);
    if (entry === undefined) return;
    this.remove(entry);
    this.timeouts++;
    const first = entry.fragments[0];
    this.events.onTimeout(entry.firstHeader !== undefined && first !== undefined && first.offset === 0 ? Buffer.concat([entry.firstHeader, first.data.subarray(0, 8)]) : undefined);
  }

  private evictOldest(): void {
    // Map iteration order is insertion order: the first key is the oldest.
    const oldest = this.datagrams.values().next().value as Datagram | undefined;
    if (oldest !== undefined) this.evict(oldest);
  }

  private evict(entry: Datagram): void {
    this.remove(entry);
    this.evictions++;
    this.events.onEvict?.();
  }
}

function fragmentKey(source: Ipv4Address, destination: Ipv4Address, protocol: number, identification: number): string {
  return `${source}:${destination}:${protocol}:${identification}`;
}
