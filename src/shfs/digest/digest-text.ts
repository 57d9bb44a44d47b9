// Digests as hex text, the way the tools and URLs give them.
import { ShfsError } from '../errors';

/**
 * Parses exactly `hashLength * 2` hex digits (either case) into bytes, as the
 * original's hash_parse does: shorter or longer text and other characters
 * are rejected.
 */
export function parseDigest(text: string, hashLength: number): Buffer {
  if (text.length !== hashLength * 2 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new ShfsError('EINVAL', `invalid digest '${text}': expected ${hashLength * 2} hex digits`);
  }
  return Buffer.from(text, 'hex');
}

export function isZeroDigest(digest: Uint8Array): boolean {
  return digest.every((byte) => byte === 0);
}
