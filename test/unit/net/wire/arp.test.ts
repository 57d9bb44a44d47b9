import * as assert from 'node:assert/strict';
import { ArpOperation, emitArp, parseArp } from '../../../../src/net/wire/arp';

const REQUEST_HEX = '0001080006040001' + '02aabbccddee' + 'c0a87a01' + '000000000000' + 'c0a87a02';

describe('wire/arp', () => {
  it('emits a request byte for byte', () => {
    const bytes = new Uint8Array(28);
    emitArp({ operation: ArpOperation.REQUEST, senderMac: 0x02aabbccddee, senderIp: 0xc0a87a01, targetMac: 0, targetIp: 0xc0a87a02 }, bytes);
    assert.equal(Buffer.from(bytes).toString('hex'), REQUEST_HEX);
  });

  it('parses a request', () => {
    const result = parseArp(Buffer.from(REQUEST_HEX, 'hex'));
    assert.ok(result.ok);
    assert.deepEqual(result.packet, { operation: 1, senderMac: 0x02aabbccddee, senderIp: 0xc0a87a01, targetMac: 0, targetIp: 0xc0a87a02 });
  });

  it('rejects malformed packets with a reason', () => {
    const cases: Array<[string, string]> = [
      [REQUEST_HEX.slice(0, 40), 'too short'],
      ['0006' + REQUEST_HEX.slice(4), 'not Ethernet/IPv4'],
      [REQUEST_HEX.slice(0, 8) + '0804' + REQUEST_HEX.slice(12), 'lengths'],
      [REQUEST_HEX.slice(0, 12) + '0009' + REQUEST_HEX.slice(16), 'unknown ARP operation'],
    ];
    for (const [hex, reason] of cases) {
      const result = parseArp(Buffer.from(hex, 'hex'));
      assert.equal(result.ok, false, hex);
      if (!result.ok) assert.match(result.reason, new RegExp(reason));
    }
  });
});
