// The digest functions an SHFS volume can be formatted with: their codes in
// the configuration header, the lengths each allows and the tools' defaults.
import type { HashFunctionName } from './types';

export interface HashFunctionSpec {
  name: HashFunctionName;
  /** Code in the configuration header. */
  code: number;
  /** The word `shfs-admin -i` prints. */
  label: string;
  /** Allowed digest lengths in bytes; empty means any length from 1 to 64. */
  lengths: readonly number[];
  defaultLength: number;
}

export const MIN_DIGEST_LENGTH = 1;
export const MAX_DIGEST_LENGTH = 64;

export const HASH_FUNCTIONS: readonly HashFunctionSpec[] = [
  { name: 'manual', code: 1, label: 'Manual', lengths: [], defaultLength: 16 },
  // SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 by length.
  { name: 'sha', code: 2, label: 'SHA', lengths: [20, 28, 32, 48, 64], defaultLength: 32 },
  // CRC-32/BZIP2.
  { name: 'crc', code: 3, label: 'CRC', lengths: [4], defaultLength: 4 },
  { name: 'md5', code: 4, label: 'MD5', lengths: [16], defaultLength: 16 },
  // HAVAL with 3 passes; the length selects the output size.
  { name: 'haval', code: 5, label: 'HAVAL', lengths: [16, 20, 24, 28, 32], defaultLength: 32 },
];

export function hashFunctionByName(name: string): HashFunctionSpec | undefined {
  return HASH_FUNCTIONS.find((spec) => spec.name === name);
}

export function hashFunctionByCode(code: number): HashFunctionSpec | undefined {
  return HASH_FUNCTIONS.find((spec) => spec.code === code);
}

export function isValidDigestLength(spec: HashFunctionSpec, length: number): boolean {
  if (!Number.isInteger(length) || length < MIN_DIGEST_LENGTH || length > MAX_DIGEST_LENGTH) return false;
  return spec.lengths.length === 0 || spec.lengths.includes(length);
}
