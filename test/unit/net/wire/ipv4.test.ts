import * as assert from 'node:assert/strict';
import { emitIpv4, parseIpv4 } from '../../../../src/net/wire/ipv4';

// A real header: 192.168.0.1 -> 192.168.0.199, UDP, 115 bytes, DF.
const HEADER_HEX = '45000073000040004011b861c0a80001c0a800c7';

function withChecksum(bytes: Buffer): Buffer {
  bytes.writeUInt16BE(0, 10);
  let sum = 0;
  const headerLength = (bytes[0] & 0x0f) * 4;
  for (let i = 0; i < headerLength; i += 2) sum += bytes.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  bytes.writeUInt16BE(~sum & 0xffff, 10);
  return bytes;
}

function datagram(headerHex: string, totalBytes = 115): Buffer {
  const bytes = Buffer.alloc(totalBytes);
  Buffer.from(headerHex, 'hex').copy(bytes);
  return bytes;
}

describe('wire/ipv4', () => {
  it('parses a real header', () => {
    const result = parseIpv4(datagram(HEADER_HEX));
    assert.ok(result.ok);
    assert.deepEqual(result.header, {
      headerLength: 20,
      tos: 0,
      totalLength: 115,
      identification: 0,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 17,
      source: 0xc0a80001,
      destination: 0xc0a800c7,
    });
  });

  it('emits the same header', () => {
    const bytes = new Uint8Array(20);
    emitIpv4({ totalLength: 115, identification: 0, dontFragment: true, ttl: 64, protocol: 17, source: 0xc0a80001, destination: 0xc0a800c7 }, bytes);
    assert.equal(Buffer.from(bytes).toString('hex'), HEADER_HEX);
  });

  it('emits fragment fields', () => {
    const bytes = new Uint8Array(20);
    emitIpv4({ totalLength: 1500, identification: 0x1234, moreFragments: true, fragmentOffset: 1480, ttl: 64, protocol: 1, source: 1, destination: 2 }, bytes);
    const result = parseIpv4(Buffer.concat([bytes, Buffer.alloc(1480)]));
    assert.ok(result.ok);
    assert.equal(result.header.moreFragments, true);
    assert.equal(result.header.fragmentOffset, 1480);
    assert.equal(result.header.identification, 0x1234);
  });

  it('accepts Ethernet padding after the datagram', () => {
    assert.ok(parseIpv4(datagram(HEADER_HEX, 200)).ok);
  });

  it('accepts well-formed options', () => {
    // IHL 6: a NOP, then a 3-byte option, then EOL.
    const bytes = withChecksum(datagram('46000073000040004011' + '0000' + 'c0a80001c0a800c7' + '01820300'));
    assert.ok(parseIpv4(bytes).ok);
  });

  const malformed: Array<[string, Buffer, RegExp]> = [
    ['runt', Buffer.alloc(19), /shorter than an IPv4 header/],
    ['version 6', withChecksum(datagram('65' + HEADER_HEX.slice(2))), /version 6/],
    ['IHL below 5', withChecksum(datagram('44' + HEADER_HEX.slice(2))), /below 20/],
    ['total below header', withChecksum(datagram('45000010' + HEADER_HEX.slice(8))), /below the header length/],
    ['total beyond bytes', withChecksum(datagram('450000ff' + HEADER_HEX.slice(8))), /exceeds/],
    ['bad checksum', datagram(HEADER_HEX.slice(0, 20) + 'b862' + HEADER_HEX.slice(24)), /checksum/],
    ['reserved flag', withChecksum(datagram('4500007300008000' + HEADER_HEX.slice(16))), /reserved flag/],
    ['option length 0', withChecksum(datagram('46000073000040004011' + '0000' + 'c0a80001c0a800c7' + '82000000')), /invalid length 0/],
    ['option past header', withChecksum(datagram('46000073000040004011' + '0000' + 'c0a80001c0a800c7' + '01830800')), /runs past the header/],
    ['option without length', withChecksum(datagram('46000073000040004011' + '0000' + 'c0a80001c0a800c7' + '01010182')), /no length byte/],
  ];
  for (const [name, bytes, reason] of malformed) {
    it(`rejects ${name}`, () => {
      const result = parseIpv4(bytes);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }
});
