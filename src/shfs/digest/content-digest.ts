// The digest of an object's content with a volume's function: Node's crypto
// for SHA-1/224/256/384/512 and MD5, the project's own CRC-32/BZIP2 and HAVAL.
import { createHash } from 'node:crypto';
import { ShfsError } from '../errors';
import type { HashFunctionName } from '../types';
import { Crc32Bzip2 } from './crc32-bzip2';
import { Haval, type HavalBits } from './haval';

export interface ContentDigest {
  update(data: Uint8Array): void;
  /** The digest; `hashLength` bytes long. */
  digest(): Buffer;
}

/** SHA variants by digest length in bytes. */
const SHA_ALGORITHMS: Record<number, string> = { 20: 'sha1', 28: 'sha224', 32: 'sha256', 48: 'sha384', 64: 'sha512' };

/** HAVAL passes the original tools used (through libmhash) for every output length. */
export const HAVAL_PASSES = 3;

function nodeHash(algorithm: string): ContentDigest {
  const hash = createHash(algorithm);
  return {
    update: (data) => void hash.update(data),
    digest: () => hash.digest(),
  };
}

/**
 * Creates a digest for `hashFunction` with `hashLength` bytes of output.
 * Throws EINVAL for manual volumes (the user gives the digest) and for
 * lengths the function does not produce.
 */
export function createContentDigest(hashFunction: HashFunctionName, hashLength: number): ContentDigest {
  switch (hashFunction) {
    case 'sha': {
      const algorithm = SHA_ALGORITHMS[hashLength];
      if (algorithm) return nodeHash(algorithm);
      break;
    }
    case 'md5':
      if (hashLength === 16) return nodeHash('md5');
      break;
    case 'crc':
      if (hashLength === 4) return new Crc32Bzip2();
      break;
    case 'haval':
      if ([16, 20, 24, 28, 32].includes(hashLength)) return new Haval(HAVAL_PASSES, (hashLength * 8) as HavalBits);
      break;
    case 'manual':
      throw new ShfsError('EINVAL', 'a volume with manual digests takes the digest from the user');
  }
  throw new ShfsError('EINVAL', `${hashFunction.toUpperCase()} does not produce ${hashLength}-byte digests`);
}
