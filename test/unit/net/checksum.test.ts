import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { internetChecksum, onesComplementSum, pseudoHeaderSum } from '../../../src/net/checksum';

// Plain reference: 16-bit big-endian words summed with end-around carry.
function referenceSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return sum;
}

describe('internet checksum', () => {
  it('verifies the RFC 1071 example words', () => {
    const bytes = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(onesComplementSum(bytes), 0xddf2);
  });

  it('matches the reference on every length up to 2000', () => {
    for (let length = 0; length <= 2000; length += 7) {
      const bytes = randomBytes(length);
      assert.equal(onesComplementSum(bytes), referenceSum(bytes), `length ${length}`);
    }
  });

  it('continues a sum across an even split', () => {
    const bytes = randomBytes(1500);
    const first = onesComplementSum(bytes, 0, 600);
    assert.equal(onesComplementSum(bytes, 600, 1500, first), referenceSum(bytes));
  });

  it('verifies a real IPv4 header', () => {
    // 192.168.0.1 -> 192.168.0.199, TTL 64, protocol UDP, checksum 0xb861.
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    assert.equal(internetChecksum(header), 0xb861);
    header.writeUInt16BE(0xb861, 10);
    assert.equal(internetChecksum(header), 0);
  });

  it('sums the pseudo-header fields', () => {
    assert.equal(pseudoHeaderSum(0xc0a80001, 0xc0a800c7, 17, 0x5f), referenceSum(Buffer.from('c0a80001c0a800c70011005f', 'hex')));
  });
});
