// Maps a request target (or a shell argument) to the SHFS object it names.
//
// Request targets: leading '/'s are dropped and '?' starts the arguments.
// An empty path ("/", "/?") names the default object. "/?<hex digest>" names
// the object with that digest when the hex has exactly 2 * hashLength digits
// in either case. Anything else is a name, with the argument part cut off and
// the rest percent-decoded. A target that starts with '?' but is not a
// digest keeps its '?', so "/?abc" looks up the name "?abc".
import type { MountedVolume, ShfsEntry } from '../shfs/types';

export type ObjectReference =
  | { kind: 'default' }
  | { kind: 'digest'; digestHex: string }
  | { kind: 'name'; name: string };

/** A request target that cannot name any object, such as a malformed percent-escape. */
export class InvalidRequestTargetError extends Error {
  constructor(readonly target: string, reason: string) {
    super(`invalid request target ${JSON.stringify(target)}: ${reason}`);
    this.name = 'InvalidRequestTargetError';
  }
}

export const ARGUMENTS_SEPARATOR = '?';

// Absolute-form targets ("http://host/path", RFC 9112 section 3.2.2) carry
// the scheme and authority, which this server ignores.
const ABSOLUTE_FORM_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;
const HEX_DIGITS = /^[0-9A-Fa-f]+$/;

/** Returns the object reference of a request target; throws InvalidRequestTargetError. */
export function parseRequestTarget(target: string, hashLength: number): ObjectReference {
  const path = target.replace(ABSOLUTE_FORM_PREFIX, '').replace(/^\/+/, '');
  if (path === '' || path === ARGUMENTS_SEPARATOR) return { kind: 'default' };

  if (path.startsWith(ARGUMENTS_SEPARATOR)) {
    const digestHex = digestHexOf(path.slice(1), hashLength);
    if (digestHex !== undefined) return { kind: 'digest', digestHex };
    return { kind: 'name', name: percentDecode(target, path) };
  }

  const separator = path.indexOf(ARGUMENTS_SEPARATOR);
  const namePart = separator < 0 ? path : path.slice(0, separator);
  return { kind: 'name', name: percentDecode(target, namePart) };
}

/**
 * Returns the object reference of a shell argument: "?<hex digest>" is a
 * digest, anything else a name, taken literally.
 */
export function parseObjectArgument(argument: string, hashLength: number): ObjectReference {
  if (argument.startsWith(ARGUMENTS_SEPARATOR)) {
    const digestHex = digestHexOf(argument.slice(1), hashLength);
    if (digestHex !== undefined) return { kind: 'digest', digestHex };
  }
  return { kind: 'name', name: argument };
}

export function findObject(volume: MountedVolume, reference: ObjectReference): ShfsEntry | undefined {
  switch (reference.kind) {
    case 'default':
      return volume.defaultEntry();
    case 'digest':
      return volume.findByDigestHex(reference.digestHex);
    case 'name':
      return volume.findByName(reference.name);
  }
}

/** Text for messages: the name, "?<digest>" or "default object". */
export function describeReference(reference: ObjectReference): string {
  switch (reference.kind) {
    case 'default':
      return 'default object';
    case 'digest':
      return `?${reference.digestHex}`;
    case 'name':
      return reference.name;
  }
}

function digestHexOf(text: string, hashLength: number): string | undefined {
  if (text.length !== 2 * hashLength || !HEX_DIGITS.test(text)) return undefined;
  return text.toLowerCase();
}

function percentDecode(target: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidRequestTargetError(target, 'malformed percent-encoding');
  }
}
