// The origin URL of a link entry, parsed and checked the way the original
// shfs_admin does (http_parser's URL rules plus its own limits), so that
// the same URLs are accepted and stored the same way.
import { ShfsError } from '../errors';
import { ENTRY_FIELD_SIZES, HOST_TYPE_IPV4, HOST_TYPE_NAME } from '../format/entry';

export const DEFAULT_LINK_PORT = 80;

export interface LinkTarget {
  hostType: typeof HOST_TYPE_NAME | typeof HOST_TYPE_IPV4;
  /** Host name text, or the four address bytes. */
  host: Buffer;
  port: number;
  /** The URL after the authority without its leading '/', empty when the path is just '/'. */
  path: string;
  /** Whether the original writes the path field (a path or query longer than one character). */
  hasPath: boolean;
}

function invalid(message: string): ShfsError {
  return new ShfsError('EINVAL', message);
}

/**
 * Reads a dotted quad the way sscanf("%d.%d.%d.%d") does, accepting it only
 * when every part is 1..255. So 10.0.0.5 is stored as a host name, exactly
 * as the original stores it.
 */
function parseStrictIpv4(host: string): Buffer | undefined {
  const match = /^([+-]?\d+)\.([+-]?\d+)\.([+-]?\d+)\.([+-]?\d+)/.exec(host);
  if (!match) return undefined;
  const parts = match.slice(1).map((part) => Number.parseInt(part, 10));
  if (!parts.every((part) => part > 0 && part < 256)) return undefined;
  return Buffer.from(parts);
}

/** The last component of a path, as POSIX basename() returns it. */
export function posixBasename(text: string): string {
  const trimmed = text.replace(/\/+$/, '');
  if (trimmed === '') return text.startsWith('/') ? '/' : '';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Parses an http URL for a link entry; throws EINVAL with the original's reason. */
export function parseLinkUrl(url: string): LinkTarget {
  // http_parser takes "scheme://authority/path?query#fragment" or an origin-form path.
  const match = /^(?:([A-Za-z]+):\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(url);
  if (!match || url === '' || (match[1] === undefined && !url.startsWith('/'))) {
    throw invalid(`invalid URL: ${url}`);
  }
  const [, scheme, authority, path, query, fragment] = match;
  if (/[\s]/.test(url)) throw invalid(`invalid URL: ${url}`);

  // The original compares the scheme as a prefix of "http:".
  if (scheme !== undefined && !'http:'.startsWith(scheme)) {
    throw invalid(`unsupported scheme in URL (only http): ${url}`);
  }
  if (authority === undefined || authority === '') {
    throw invalid(`host name missing in URL: ${url}`);
  }
  if (fragment !== undefined && fragment.length > 0) {
    throw invalid(`fragments are not supported in URL: ${url}`);
  }

  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    throw invalid(`user information is not supported in URL: ${url}`);
  }
  const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d*))?$/.exec(authority);
  if (!hostPort) throw invalid(`invalid URL: ${url}`);
  const host = hostPort[1].startsWith('[') ? hostPort[1].slice(1, -1) : hostPort[1];
  let port = DEFAULT_LINK_PORT;
  if (hostPort[2] !== undefined) {
    port = Number.parseInt(hostPort[2], 10);
    if (hostPort[2] === '' || port > 0xffff) throw invalid(`invalid port in URL: ${url}`);
  }

  if (Buffer.byteLength(path, 'utf8') > ENTRY_FIELD_SIZES.path) {
    throw invalid(`path in URL is longer than the ${ENTRY_FIELD_SIZES.path} bytes SHFS stores: ${url}`);
  }

  const address = parseStrictIpv4(host);
  const hostBytes = address ?? Buffer.from(host, 'utf8');
  if (!address && hostBytes.length > ENTRY_FIELD_SIZES.host) {
    throw invalid(`host name in URL is longer than the ${ENTRY_FIELD_SIZES.host} bytes SHFS stores: ${url}`);
  }

  // The stored path is everything after the authority without the leading '/'.
  const afterAuthority = url.slice(`${scheme}://${authority}`.length);
  return {
    hostType: address ? HOST_TYPE_IPV4 : HOST_TYPE_NAME,
    host: hostBytes,
    port,
    path: afterAuthority.startsWith('/') ? afterAuthority.slice(1) : afterAuthority,
    hasPath: path.length > 1 || (query !== undefined && query.length > 1),
  };
}
