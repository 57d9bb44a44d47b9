import * as assert from 'node:assert/strict';
import { emitIcmp, IcmpType, parseIcmp } from '../../../../src/net/wire/icmp';
import { emitUdp, parseUdp } from '../../../../src/net/wire/udp';

describe('wire/icmp', () => {
  it('round-trips an echo request with a valid checksum', () => {
    const bytes = emitIcmp({ type: IcmpType.ECHO_REQUEST, code: 0, rest: 0x12340001, data: Buffer.from('abcdefgh') });
    assert.equal(bytes.toString('hex', 0, 8), '0800' + bytes.toString('hex', 2, 4) + '12340001');
    const result = parseIcmp(bytes);
    assert.ok(result.ok);
    assert.equal(result.message.rest, 0x12340001);
    assert.equal(Buffer.from(result.message.data).toString(), 'abcdefgh');
  });

  it('matches a known echo checksum', () => {
    // type 8, id 1, seq 1, no data: sum 0x0800 + 0x0001 + 0x0001 = 0x0802.
    assert.equal(emitIcmp({ type: 8, code: 0, rest: 0x00010001, data: new Uint8Array(0) }).readUInt16BE(2), 0xf7fd);
  });

  it('rejects a bad checksum and a runt', () => {
    const bytes = emitIcmp({ type: 8, code: 0, rest: 1, data: Buffer.from('x') });
    bytes[8] ^= 1;
    assert.equal(parseIcmp(bytes).ok, false);
    assert.equal(parseIcmp(new Uint8Array(7)).ok, false);
  });
});

describe('wire/udp', () => {
  const source = 0xc0a87a01;
  const destination = 0xc0a87a02;

  it('round-trips a datagram', () => {
    const bytes = emitUdp({ sourcePort: 5353, destinationPort: 53, payload: Buffer.from('query') }, source, destination);
    assert.equal(bytes.readUInt16BE(4), 13);
    const result = parseUdp(bytes, source, destination);
    assert.ok(result.ok);
    assert.equal(result.datagram.sourcePort, 5353);
    assert.equal(result.datagram.destinationPort, 53);
    assert.equal(Buffer.from(result.datagram.payload).toString(), 'query');
  });

  it('checks the pseudo-header', () => {
    const bytes = emitUdp({ sourcePort: 1, destinationPort: 2, payload: Buffer.from('x') }, source, destination);
    assert.equal(parseUdp(bytes, source, destination + 1).ok, false);
  });

  it('accepts a zero checksum as none', () => {
    const bytes = emitUdp({ sourcePort: 1, destinationPort: 2, payload: Buffer.from('x') }, source, destination);
    bytes.writeUInt16BE(0, 6);
    assert.ok(parseUdp(bytes, source, destination).ok);
  });

  it('rejects bad lengths', () => {
    const bytes = emitUdp({ sourcePort: 1, destinationPort: 2, payload: Buffer.from('xyz') }, source, destination);
    const long = Buffer.from(bytes);
    long.writeUInt16BE(100, 4);
    assert.equal(parseUdp(long, source, destination).ok, false);
    const short = Buffer.from(bytes);
    short.writeUInt16BE(7, 4);
    assert.equal(parseUdp(short, source, destination).ok, false);
    assert.equal(parseUdp(bytes.subarray(0, 7), source, destination).ok, false);
  });
});
