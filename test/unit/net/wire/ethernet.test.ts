import * as assert from 'node:assert/strict';
import { emitEthernet, formatMac, isMulticastMac, MAC_BROADCAST, parseEthernet, parseMac, readMac, writeMac } from '../../../../src/net/wire/ethernet';

describe('wire/ethernet', () => {
  it('round-trips a header', () => {
    const frame = new Uint8Array(14);
    emitEthernet({ destination: 0x02aabbccddee, source: 0xffffffffffff, etherType: 0x0806 }, frame);
    assert.deepEqual(Buffer.from(frame).toString('hex'), '02aabbccddeeffffffffffff0806');
    assert.deepEqual(parseEthernet(frame), { destination: 0x02aabbccddee, source: 0xffffffffffff, etherType: 0x0806 });
  });

  it('rejects a runt', () => {
    assert.equal(parseEthernet(new Uint8Array(13)), undefined);
  });

  it('reads and writes the highest MAC exactly', () => {
    const bytes = new Uint8Array(6);
    writeMac(bytes, 0, 0xfeffffffffff);
    assert.equal(readMac(bytes, 0), 0xfeffffffffff);
  });

  it('parses and formats MAC text', () => {
    assert.equal(parseMac('02:AA:bb:0c:dd:0e'), 0x02aabb0cdd0e);
    assert.equal(parseMac('02-aa-bb-0c-dd-0e'), 0x02aabb0cdd0e);
    assert.equal(formatMac(0x02aabb0cdd0e), '02:aa:bb:0c:dd:0e');
    assert.equal(parseMac('02:aa:bb:0c:dd'), undefined);
    assert.equal(parseMac('02:aa:bb:0c:dd:zz'), undefined);
  });

  it('tells group addresses', () => {
    assert.equal(isMulticastMac(MAC_BROADCAST), true);
    assert.equal(isMulticastMac(0x01005e000001), true);
    assert.equal(isMulticastMac(0x02aabbccddee), false);
  });
});
