import * as assert from 'node:assert/strict';
import { ManualClock } from '../../../src/net/clock';
import { Ipv4Reassembler, REASSEMBLY_TIMEOUT_MS } from '../../../src/net/ipv4-reassembly';
import { parseIpv4 } from '../../../src/net/wire/ipv4';
import { ipv4Datagram } from '../../helpers/frames';

function fragment(identification: number, offset: number, data: Uint8Array, more: boolean) {
  const bytes = ipv4Datagram({ protocol: 17, source: 0x0a000001, destination: 0x0a000002, identification, moreFragments: more, fragmentOffset: offset }, data);
  const parsed = parseIpv4(bytes);
  assert.ok(parsed.ok);
  return { header: parsed.header, bytes };
}

describe('ipv4 reassembly', () => {
  const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
  const pieces = [
    fragment(1, 0, data.subarray(0, 1480), true),
    fragment(1, 1480, data.subarray(1480, 2960), true),
    fragment(1, 2960, data.subarray(2960), false),
  ];

  it('joins fragments in order', () => {
    const reassembler = new Ipv4Reassembler(new ManualClock(), { onTimeout: () => undefined });
    assert.equal(reassembler.add(pieces[0].header, pieces[0].bytes).status, 'incomplete');
    assert.equal(reassembler.add(pieces[1].header, pieces[1].bytes).status, 'incomplete');
    const result = reassembler.add(pieces[2].header, pieces[2].bytes);
    assert.equal(result.status, 'complete');
    if (result.status === 'complete') assert.deepEqual(Buffer.from(result.payload), data);
    assert.equal(reassembler.datagramsInProgress, 0);
    assert.equal(reassembler.bytesInProgress, 0);
  });

  it('joins fragments out of order with a duplicate', () => {
    const reassembler = new Ipv4Reassembler(new ManualClock(), { onTimeout: () => undefined });
    for (const index of [2, 0, 0]) assert.equal(reassembler.add(pieces[index].header, pieces[index].bytes).status, 'incomplete');
    const result = reassembler.add(pieces[1].header, pieces[1].bytes);
    assert.equal(result.status, 'complete');
    if (result.status === 'complete') assert.deepEqual(Buffer.from(result.payload), data);
  });

  it('discards a datagram with overlapping fragments', () => {
    const reassembler = new Ipv4Reassembler(new ManualClock(), { onTimeout: () => undefined });
    reassembler.add(pieces[0].header, pieces[0].bytes);
    const overlap = fragment(1, 1472, data.subarray(1472, 2960), true);
    const result = reassembler.add(overlap.header, overlap.bytes);
    assert.deepEqual(result, { status: 'dropped', reason: 'overlapping fragments' });
    assert.equal(reassembler.datagramsInProgress, 0);
  });

  it('rejects a datagram beyond 65535 bytes', () => {
    const reassembler = new Ipv4Reassembler(new ManualClock(), { onTimeout: () => undefined });
    const last = fragment(2, 65528, Buffer.alloc(16), false);
    assert.equal(reassembler.add(last.header, last.bytes).status, 'dropped');
  });

  it('rejects a non-final fragment not a multiple of 8', () => {
    const reassembler = new Ipv4Reassembler(new ManualClock(), { onTimeout: () => undefined });
    const odd = fragment(3, 0, Buffer.alloc(13), true);
    assert.equal(reassembler.add(odd.header, odd.bytes).status, 'dropped');
  });

  it('times out incomplete datagrams', () => {
    const clock = new ManualClock();
    const timeouts: Array<Uint8Array | undefined> = [];
    const reassembler = new Ipv4Reassembler(clock, { onTimeout: (first) => timeouts.push(first) });
    reassembler.add(pieces[0].header, pieces[0].bytes);
    clock.advance(REASSEMBLY_TIMEOUT_MS - 1);
    assert.equal(timeouts.length, 0);
    clock.advance(1);
    assert.equal(timeouts.length, 1);
    assert.equal(timeouts[0]?.length, 28);
    assert.equal(reassembler.datagramsInProgress, 0);
  });

  it('bounds the datagrams in progress', () => {
    const reassembler = new Ipv4Reassembler(new ManualClock(), { onTimeout: () => undefined });
    for (let id = 0; id < 1000; id++) {
      const first = fragment(id, 0, Buffer.alloc(8), true);
      reassembler.add(first.header, first.bytes);
    }
    assert.equal(reassembler.datagramsInProgress, 64);
    assert.equal(reassembler.bytesInProgress, 64 * 8);
  });
});
