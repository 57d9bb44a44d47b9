// Opens the TCP connection to the origin of a link entry through the
// appliance's own stack: resolve the host name, then connect, both within one
// time limit.
import type { Duplex } from 'node:stream';
import type { ShfsLink } from '../shfs/types';

/** The origin could not be reached: no route, name not resolved, connection refused or timed out. */
export class OriginUnreachableError extends Error {
  constructor(readonly origin: string, reason: string) {
    super(`origin ${origin} is unreachable: ${reason}`);
    this.name = 'OriginUnreachableError';
  }
}

export interface OriginAccess {
  connectOrigin?(host: string, port: number): Promise<Duplex>;
  resolveHost?(name: string): Promise<string>;
}

/** "host:port" of a link, with IPv6 addresses in brackets. */
export function originAuthority(link: ShfsLink): string {
  const host = link.hostType === 'ipv6' ? `[${link.host}]` : link.host;
  return `${host}:${link.port}`;
}

/** Returns the URL a link points to: http://host:port/path. */
export function linkUrl(link: ShfsLink): string {
  return `http://${originAuthority(link)}${linkRequestPath(link)}`;
}

/**
 * Returns "/" and the stored path of a link, with blanks, control characters
 * and non-ASCII characters percent-encoded (RFC 3986 section 2.1), because
 * they cannot appear in a request target. Existing escapes stay as they are.
 */
export function linkRequestPath(link: ShfsLink): string {
  return `/${link.path.replace(/[^\x21-\x7e]/gu, (character) => encodeURIComponent(character))}`;
}

/** Connects to the origin of `link`; rejects with OriginUnreachableError. */
export async function connectToOrigin(link: ShfsLink, access: OriginAccess, timeoutMs: number): Promise<Duplex> {
  const origin = originAuthority(link);
  const connectOrigin = access.connectOrigin;
  if (connectOrigin === undefined) throw new OriginUnreachableError(origin, 'the appliance has no connection to origins');
  if (link.hostType === 'ipv6') throw new OriginUnreachableError(origin, 'IPv6 origins are not supported by the stack');

  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const attempt = (async (): Promise<Duplex> => {
    const address = link.hostType === 'name' ? await resolve(link.host, access, origin) : link.host;
    const socket = await connectOrigin(address, link.port);
    // A connection that completes after the time limit is no longer wanted.
    if (timedOut) socket.destroy();
    return socket;
  })();
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new OriginUnreachableError(origin, `no connection within ${timeoutMs} ms`));
    }, timeoutMs);
  });

  try {
    return await Promise.race([attempt, deadline]);
  } catch (error) {
    if (error instanceof OriginUnreachableError) throw error;
    throw new OriginUnreachableError(origin, errorMessage(error));
  } finally {
    clearTimeout(timer);
    // The losing promise must not become an unhandled rejection.
    attempt.catch(() => undefined);
  }
}

async function resolve(name: string, access: OriginAccess, origin: string): Promise<string> {
  if (access.resolveHost === undefined) throw new OriginUnreachableError(origin, 'no DNS resolver is configured');
  try {
    return await access.resolveHost(name);
  } catch (error) {
    throw new OriginUnreachableError(origin, `cannot resolve ${name}: ${errorMessage(error)}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
