// The DNS stub resolver (RFC 1034 section 5.3.1, RFC 1035 section 7):
// resolves host names to IPv4 addresses by asking the configured
// recursive servers over the stack's UDP, with a bounded TTL cache and
// negative caching (RFC 2308).
//
// Answers with TC set are reported as an EBADRESP error: the resolver has
// no TCP fallback (RFC 7766), because the appliance only needs A records
// of origin hosts, which fit in 512 bytes unless a zone publishes an
// unusually large address set.
import { randomInt } from 'node:crypto';
import { createLogger, type Logger } from '../log';
import { formatIpv4, parseIpv4, type Ipv4Address } from './ipv4-address';
import type { NetworkStack } from './stack';
import type { UdpError, UdpMessage } from './udp';
import {
  DNS_PORT,
  DnsClass,
  dnsNamesEqual,
  DnsOpcode,
  DnsRcode,
  dnsRcodeName,
  DnsType,
  emitDns,
  encodeDnsName,
  parseDns,
  parseDnsHeader,
  parseDnsName,
  type DnsMessage,
  type DnsRecord,
} from './wire/dns';

/** Seconds to wait for each query, as the `timeout` default of resolv.conf(5). */
const DEFAULT_TIMEOUT_MS = 5_000;
/** Rounds over the server list, as the `attempts` default of resolv.conf(5). */
const DEFAULT_ATTEMPTS = 2;
/** Servers asked per round; further ones are ignored, as glibc does beyond MAXNS (3). */
const MAX_SERVERS = 3;
/** Names kept in the cache by default; the least recently used name goes first. */
const DEFAULT_MAX_CACHE_ENTRIES = 512;
/** Longest time an answer stays cached, whatever its TTL. */
const MAX_CACHE_TTL_S = 86_400;
/** Longest time a negative answer stays cached (RFC 2308 section 5 lets resolvers cap it). */
const MAX_NEGATIVE_TTL_S = 300;
/** CNAMEs followed within one answer before it is rejected as a loop. */
const MAX_CNAME_CHAIN = 16;
/** RFC 2181 section 8: TTLs with the top bit set are treated as zero. */
const MAX_VALID_TTL_S = 0x7fffffff;

export type DnsErrorCode =
  | 'ENOTFOUND'
  | 'ETIMEOUT'
  | 'ESERVFAIL'
  | 'EREFUSED'
  | 'EFORMERR'
  | 'ENOTIMP'
  | 'EBADRESP'
  | 'EBADNAME'
  | 'ENOSERVER'
  | 'ENETUNREACH'
  | 'ECONNREFUSED';

/** A failed resolution; `code` follows the names of Node's `dns` module where one exists. */
export class DnsError extends Error {
  constructor(
    readonly code: DnsErrorCode,
    readonly hostname: string,
    message: string,
  ) {
    super(message);
    this.name = 'DnsError';
  }
}

export interface DnsResolverOptions {
  /** The servers to ask, read at each lookup (static -d/-e servers, or those of the current DHCP lease). */
  servers: () => Ipv4Address[];
  logger?: Logger;
  /** Wait for each query before the next server is asked, in milliseconds. */
  timeoutMs?: number;
  /** Rounds over the server list before the lookup fails. */
  attempts?: number;
  /** Names kept in the answer cache. */
  maxCacheEntries?: number;
}

type CacheEntry = { expiresAtMs: number } & ({ addresses: Ipv4Address[] } | { failure: { code: DnsErrorCode; detail: string } });

/** Answers by lower-case name, bounded in size, dropping the least recently used name first. */
class AnswerCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, now: number): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAtMs <= now) return undefined;
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: CacheEntry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One query sent: to which server, from which port, with which id. */
interface Query {
  server: Ipv4Address;
  port: number;
  id: number;
  /** An error answer arrived; later copies are ignored. */
  failed: boolean;
}

type Outcome = { addresses: Ipv4Address[] } | { error: DnsError };

export class DnsResolver {
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly cache: AnswerCache;
  private readonly inFlight = new Map<string, Promise<Ipv4Address[]>>();

  constructor(
    private readonly stack: NetworkStack,
    private readonly options: DnsResolverOptions,
  ) {
    this.logger = options.logger ?? createLogger('dns');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
    this.cache = new AnswerCache(Math.max(1, options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES));
  }

  /** Names with a live cache entry (positive or negative). */
  get cacheSize(): number {
    return this.cache.size;
  }

  /**
   * Returns the first IPv4 address of `name`; a dotted quad is returned as
   * it is. Rejects with a DnsError whose message names the host.
   */
  async resolve(name: string): Promise<Ipv4Address> {
    const literal = parseIpv4(name);
    if (literal !== undefined) return literal;

    const encoded = encodeDnsName(name);
    if (!encoded.ok) throw new DnsError('EBADNAME', name, `cannot resolve "${name}": ${encoded.reason}`);
    if (encoded.bytes.length === 1) throw new DnsError('EBADNAME', name, 'cannot resolve an empty host name');
    // The codec's text form of the name, so that names compare the same however the caller escaped them.
    const decoded = parseDnsName(encoded.bytes);
    if (!decoded.ok) throw new DnsError('EBADNAME', name, `cannot resolve "${name}": ${decoded.reason}`);
    const canonical = decoded.name;
    const key = canonical.toLowerCase();

    const cached = this.cache.get(key, this.stack.clock.now());
    if (cached !== undefined) {
      if ('addresses' in cached) return cached.addresses[0];
      throw new DnsError(cached.failure.code, name, `cannot resolve ${name}: ${cached.failure.detail} (cached)`);
    }

    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.lookup(canonical, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const addresses = await pending;
    return addresses[0];
  }

  private lookup(name: string, key: string): Promise<Ipv4Address[]> {
    const servers = this.options.servers().slice(0, MAX_SERVERS);
    if (servers.length === 0) {
      return Promise.reject(new DnsError('ENOSERVER', name, `cannot resolve ${name}: no DNS server is configured`));
    }
    return new Promise((resolve, reject) => {
      new Lookup(this.stack, this.logger, name, servers, this.attempts, this.timeoutMs, (outcome) => {
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.addresses);
      }, (entry) => this.cache.set(key, entry)).start();
    });
  }
}

/** One resolution in progress: queries sent round-robin over the servers, one timeout apart, until an answer settles it. */
class Lookup {
  private readonly queries: Query[] = [];
  private nextIndex = 0;
  private sentCount = 0;
  private timer: { cancel(): void } | undefined;
  private lastFailure: DnsError | undefined;
  private done = false;

  constructor(
    private readonly stack: NetworkStack,
    private readonly logger: Logger,
    private readonly name: string,
    private readonly servers: Ipv4Address[],
    private readonly attempts: number,
    private readonly timeoutMs: number,
    private readonly settle: (outcome: Outcome) => void,
    private readonly store: (entry: CacheEntry) => void,
  ) {}

  start(): void {
    this.sendNext();
  }

  private sendNext(): void {
    if (this.done) return;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.nextIndex >= this.servers.length * this.attempts) {
      this.finish({ error: this.lastFailure ?? this.exhaustedError() });
      return;
    }
    const server = this.servers[this.nextIndex % this.servers.length];
    this.nextIndex++;

    let port: number;
    try {
      port = this.stack.udp.bindEphemeral(
        (message) => this.receive(message, query),
        (error) => this.unreachable(error, query),
      );
    } catch (error) {
      this.finish({ error: new DnsError('ENETUNREACH', this.name, `cannot resolve ${this.name}: ${(error as Error).message}`) });
      return;
    }
    const query: Query = { server, port, id: randomInt(0, 0x10000), failed: false };
    this.queries.push(query);
    const bytes = emitDns(queryMessage(query.id, this.name));
    this.logger.debug(`query ${this.name} A id ${query.id} to ${formatIpv4(server)} from port ${port}`);
    if (!this.stack.udp.send(port, server, DNS_PORT, bytes)) {
      // No address or no route: the next server may still be reachable.
      query.failed = true;
      this.sendNext();
      return;
    }
    this.sentCount++;
    this.timer = this.stack.clock.setTimer(this.timeoutMs, () => {
      this.logger.debug(`no answer from ${formatIpv4(server)} for ${this.name} within ${this.timeoutMs} ms`);
      this.sendNext();
    });
  }

  private exhaustedError(): DnsError {
    const list = this.servers.map(formatIpv4).join(', ');
    if (this.sentCount === 0) return new DnsError('ENETUNREACH', this.name, `cannot resolve ${this.name}: no route to DNS server ${list}; check that the interface has an address`);
    return new DnsError('ETIMEOUT', this.name, `cannot resolve ${this.name}: no answer from DNS server ${list} after ${this.sentCount} queries of ${this.timeoutMs} ms`);
  }

  /** Checks an answer against its query (address, port, id and question, as RFC 5452 requires) before trusting it. */
  private receive(message: UdpMessage, query: Query): void {
    const drops = this.stack.iface.drops;
    if (message.source !== query.server || message.sourcePort !== DNS_PORT) {
      drops.drop('DNS answer from an unexpected address', `${formatIpv4(message.source)}:${message.sourcePort} for ${this.name}`);
      return;
    }

    const header = parseDnsHeader(message.payload);
    if (!header.ok) {
      drops.drop('malformed DNS answer', header.reason);
      return;
    }
    if (header.header.id !== query.id) {
      drops.drop('DNS answer with a wrong id', `id ${header.header.id}, expected ${query.id}`);
      return;
    }
    if (!header.header.response || header.header.opcode !== DnsOpcode.QUERY) {
      drops.drop('DNS message that is not an answer to a query', `from ${formatIpv4(query.server)}`);
      return;
    }
    if (query.failed) {
      drops.drop('duplicate DNS answer', `from ${formatIpv4(query.server)}`);
      return;
    }

    const server = formatIpv4(query.server);
    if (header.header.truncated) {
      this.finish({ error: new DnsError('EBADRESP', this.name, `cannot resolve ${this.name}: the answer from ${server} was truncated and DNS over TCP is not supported`) });
      return;
    }

    const parsed = parseDns(message.payload);
    if (!parsed.ok) {
      // Keep waiting: a valid answer may still come, and the timeout moves on to the next server.
      drops.drop('malformed DNS answer', parsed.reason);
      this.lastFailure = new DnsError('EBADRESP', this.name, `cannot resolve ${this.name}: malformed answer from ${server} (${parsed.reason})`);
      return;
    }
    const answer = parsed.message;
    const question = answer.questions[0];
    if (answer.questions.length !== 1 || !dnsNamesEqual(question.name, this.name) || question.type !== DnsType.A || question.class !== DnsClass.IN) {
      drops.drop('DNS answer for another question', answer.questions.map((q) => `${q.name} type ${q.type}`).join(', '));
      return;
    }
    this.handleAnswer(answer, query);
  }

  private handleAnswer(answer: DnsMessage, query: Query): void {
    const server = formatIpv4(query.server);
    const now = this.stack.clock.now();
    switch (answer.rcode) {
      case DnsRcode.NOERROR: {
        const chain = followChain(this.name, answer.answers);
        if (typeof chain === 'string') {
          this.failQuery(query, new DnsError('EBADRESP', this.name, `cannot resolve ${this.name}: ${chain} in the answer from ${server}`));
          return;
        }
        if (chain.addresses.length > 0) {
          const ttl = Math.min(chain.ttl, MAX_CACHE_TTL_S);
          if (ttl > 0) this.store({ addresses: chain.addresses, expiresAtMs: now + ttl * 1000 });
          this.logger.debug(`${this.name} is ${chain.addresses.map(formatIpv4).join(', ')} (TTL ${ttl} s, from ${server})`);
          this.finish({ addresses: chain.addresses });
          return;
        }
        // NODATA (RFC 2308 section 2.2): the name exists but has no A record.
        const target = chain.finalName === this.name ? '' : ` (alias of ${chain.finalName})`;
        this.finishNegative(answer, now, `${this.name}${target} has no IPv4 address (A record)`);
        return;
      }
      case DnsRcode.NXDOMAIN:
        this.finishNegative(answer, now, `name not found (NXDOMAIN from ${server})`);
        return;
      case DnsRcode.SERVFAIL:
        this.failQuery(query, new DnsError('ESERVFAIL', this.name, `cannot resolve ${this.name}: DNS server ${server} failed (SERVFAIL)`));
        return;
      case DnsRcode.REFUSED:
        this.failQuery(query, new DnsError('EREFUSED', this.name, `cannot resolve ${this.name}: DNS server ${server} refused the query (REFUSED)`));
        return;
      case DnsRcode.FORMERR:
        this.failQuery(query, new DnsError('EFORMERR', this.name, `cannot resolve ${this.name}: DNS server ${server} rejected the query as malformed (FORMERR)`));
        return;
      case DnsRcode.NOTIMP:
        this.failQuery(query, new DnsError('ENOTIMP', this.name, `cannot resolve ${this.name}: DNS server ${server} does not implement the query (NOTIMP)`));
        return;
      default:
        this.failQuery(query, new DnsError('EBADRESP', this.name, `cannot resolve ${this.name}: DNS server ${server} answered ${dnsRcodeName(answer.rcode)}`));
    }
  }

  /** An ICMP error about our query: the server cannot be reached, so the next one is tried now. */
  private unreachable(error: UdpError, query: Query): void {
    if (query.failed || error.destination !== query.server || error.destinationPort !== DNS_PORT) return;
    const reason = error.type === 3 && error.code === 3 ? 'no DNS server listens there (ICMP port unreachable)' : `ICMP type ${error.type} code ${error.code}`;
    this.failQuery(query, new DnsError('ECONNREFUSED', this.name, `cannot resolve ${this.name}: DNS server ${formatIpv4(query.server)} is unreachable: ${reason}`));
  }

  /** RFC 1035 section 7.2: a server error means trying the next server now rather than after the timeout. */
  private failQuery(query: Query, error: DnsError): void {
    this.logger.debug(error.message);
    query.failed = true;
    this.lastFailure = error;
    this.sendNext();
  }

  /** Ends with ENOTFOUND, cached for the SOA's negative TTL when the answer carries one (RFC 2308 section 5). */
  private finishNegative(answer: DnsMessage, now: number, detail: string): void {
    const ttl = negativeTtl(answer.authorities);
    if (ttl !== undefined && ttl > 0) this.store({ failure: { code: 'ENOTFOUND', detail }, expiresAtMs: now + ttl * 1000 });
    this.finish({ error: new DnsError('ENOTFOUND', this.name, `cannot resolve ${this.name}: ${detail}`) });
  }

  private finish(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    this.timer?.cancel();
    for (const query of this.queries) this.stack.udp.unbind(query.port);
    this.settle(outcome);
  }
}

function queryMessage(id: number, name: string): DnsMessage {
  return {
    id,
    response: false,
    opcode: DnsOpcode.QUERY,
    authoritative: false,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: false,
    rcode: DnsRcode.NOERROR,
    questions: [{ name, type: DnsType.A, class: DnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

function effectiveTtl(ttl: number): number {
  return ttl > MAX_VALID_TTL_S ? 0 : ttl;
}

/**
 * Follows CNAMEs from `name` through the answer section (RFC 1034 section
 * 3.6.2) and collects the A records of the last name. Records for other
 * names are ignored. The TTL is the smallest along the chain.
 */
function followChain(name: string, answers: readonly DnsRecord[]): { addresses: Ipv4Address[]; ttl: number; finalName: string } | string {
  let current = name;
  let ttl = Infinity;
  const seen = new Set([name.toLowerCase()]);
  for (let step = 0; step <= MAX_CNAME_CHAIN; step++) {
    const addresses: Ipv4Address[] = [];
    for (const record of answers) {
      if (record.type !== DnsType.A || record.class !== DnsClass.IN || record.data.kind !== 'address' || !dnsNamesEqual(record.name, current)) continue;
      addresses.push(record.data.address);
      ttl = Math.min(ttl, effectiveTtl(record.ttl));
    }
    if (addresses.length > 0) return { addresses, ttl, finalName: current };

    const alias = answers.find((record) => record.type === DnsType.CNAME && record.class === DnsClass.IN && dnsNamesEqual(record.name, current));
    if (alias === undefined || alias.data.kind !== 'name') return { addresses: [], ttl: 0, finalName: current };
    ttl = Math.min(ttl, effectiveTtl(alias.ttl));
    current = alias.data.name;
    if (seen.has(current.toLowerCase())) return `CNAME loop at ${current}`;
    seen.add(current.toLowerCase());
  }
  return `CNAME chain longer than ${MAX_CNAME_CHAIN}`;
}

/** RFC 2308 section 5: the negative TTL is the smaller of the SOA record's TTL and its MINIMUM field, capped here. */
function negativeTtl(authorities: readonly DnsRecord[]): number | undefined {
  const soa = authorities.find((record) => record.type === DnsType.SOA);
  if (soa === undefined || soa.data.kind !== 'soa') return undefined;
  return Math.min(effectiveTtl(soa.ttl), soa.data.soa.minimumSeconds, MAX_NEGATIVE_TTL_S);
}
