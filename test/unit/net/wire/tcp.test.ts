import * as assert from 'node:assert/strict';
import {
  checkTcpSegmentLength,
  createTcpHeader,
  emitTcpHeader,
  fillTcpChecksum,
  formatTcpFlags,
  parseTcpHeader,
  tcpChecksum,
  TcpFlags,
  TcpFormatError,
  tcpHeaderLength,
  TcpSegmentView,
  verifyTcpChecksum,
  type TcpHeader,
} from '../../../../src/net/wire/tcp';

const SOURCE = 0xc0a87a01;
const DESTINATION = 0xc0a87a02;

/**
 * Builds a fixed 20-byte header followed by `optionBytes`, padded with
 * end-of-list bytes to a multiple of 4, with the data offset covering them.
 */
function withOptions(optionBytes: number[], payload: number[] = []): Uint8Array {
  const options = [...optionBytes];
  while (options.length % 4 !== 0) options.push(0);
  const header = Buffer.from('1f900050' + '00000064' + '000000c8' + '0000' + 'ffff' + '0000' + '0000', 'hex');
  const length = 20 + options.length;
  header[12] = (length / 4) << 4;
  header[13] = TcpFlags.SYN;
  return Uint8Array.from([...header, ...options, ...payload]);
}

function roundTrip(fields: Partial<TcpHeader>): TcpHeader {
  const header = createTcpHeader(fields);
  const bytes = new Uint8Array(tcpHeaderLength(header));
  const written = emitTcpHeader(header, bytes);
  assert.equal(written, bytes.length);
  return parseTcpHeader(bytes);
}

describe('tcp wire codec', () => {
  describe('fixed header', () => {
    it('parses every field of a captured SYN', () => {
      // Linux SYN, 192.168.122.1:44170 -> :80, seq 0x8c0fa3f1, MSS 1460, SACK-permitted, TS, WS 7.
      const bytes = Buffer.from(
        'ac8a0050' + '8c0fa3f1' + '00000000' + 'a002' + 'faf0' + '1c3d' + '0000' + '020405b4' + '0402080a' + '1b2c3d4e' + '00000000' + '01030307',
        'hex',
      );
      const header = parseTcpHeader(bytes);
      assert.equal(header.sourcePort, 44170);
      assert.equal(header.destinationPort, 80);
      assert.equal(header.sequenceNumber, 0x8c0fa3f1);
      assert.equal(header.acknowledgmentNumber, 0);
      assert.equal(header.headerLength, 40);
      assert.equal(header.flags, TcpFlags.SYN);
      assert.equal(header.window, 64240);
      assert.equal(header.checksum, 0x1c3d);
      assert.equal(header.urgentPointer, 0);
      assert.equal(header.mss, 1460);
      assert.equal(header.sackPermitted, true);
      assert.equal(header.hasTimestamp, true);
      assert.equal(header.timestampValue, 0x1b2c3d4e);
      assert.equal(header.timestampEchoReply, 0);
      assert.equal(header.windowScale, 7);
      assert.deepEqual(header.sackBlocks, []);
    });

    it('reads fields in place through the view', () => {
      const bytes = withOptions([2, 4, 5, 0xb4], [0xaa, 0xbb]);
      const view = new TcpSegmentView(bytes);
      assert.equal(view.sourcePort, 8080);
      assert.equal(view.destinationPort, 80);
      assert.equal(view.sequenceNumber, 100);
      assert.equal(view.acknowledgmentNumber, 200);
      assert.equal(view.headerLength, 24);
      assert.equal(view.flags, TcpFlags.SYN);
      assert.equal(view.window, 0xffff);
      assert.deepEqual([...view.options], [2, 4, 5, 0xb4]);
      assert.deepEqual([...view.payload], [0xaa, 0xbb]);
    });

    it('round-trips a header without options', () => {
      const header = roundTrip({
        sourcePort: 65535,
        destinationPort: 1,
        sequenceNumber: 0xffffffff,
        acknowledgmentNumber: 0x80000000,
        flags: TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN,
        window: 12345,
        urgentPointer: 7,
      });
      assert.equal(header.sourcePort, 65535);
      assert.equal(header.destinationPort, 1);
      assert.equal(header.sequenceNumber, 0xffffffff);
      assert.equal(header.acknowledgmentNumber, 0x80000000);
      assert.equal(header.flags, TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN);
      assert.equal(header.window, 12345);
      assert.equal(header.urgentPointer, 7);
      assert.equal(header.headerLength, 20);
    });

    it('names flags in a fixed order', () => {
      assert.equal(formatTcpFlags(TcpFlags.SYN | TcpFlags.ACK), 'SYN|ACK');
      assert.equal(formatTcpFlags(TcpFlags.FIN | TcpFlags.PSH | TcpFlags.ACK), 'FIN|PSH|ACK');
      assert.equal(formatTcpFlags(0), 'none');
    });
  });

  describe('options', () => {
    it('round-trips every option together with the Linux layout', () => {
      const fields: Partial<TcpHeader> = {
        flags: TcpFlags.SYN,
        mss: 1460,
        sackPermitted: true,
        hasTimestamp: true,
        timestampValue: 0x01020304,
        timestampEchoReply: 0x05060708,
        windowScale: 7,
      };
      const header = createTcpHeader(fields);
      const bytes = new Uint8Array(tcpHeaderLength(header));
      emitTcpHeader(header, bytes);
      assert.equal(bytes.length, 40);
      assert.equal(Buffer.from(bytes.subarray(20)).toString('hex'), '020405b4' + '0402080a' + '01020304' + '05060708' + '01030307');
      const parsed = parseTcpHeader(bytes);
      assert.equal(parsed.mss, 1460);
      assert.equal(parsed.sackPermitted, true);
      assert.equal(parsed.timestampValue, 0x01020304);
      assert.equal(parsed.timestampEchoReply, 0x05060708);
      assert.equal(parsed.windowScale, 7);
    });

    it('pads SACK-permitted without timestamps with NOPs', () => {
      const header = createTcpHeader({ sackPermitted: true });
      const bytes = new Uint8Array(tcpHeaderLength(header));
      emitTcpHeader(header, bytes);
      assert.equal(Buffer.from(bytes.subarray(20)).toString('hex'), '01010402');
    });

    it('round-trips timestamps with SACK blocks', () => {
      const parsed = roundTrip({
        flags: TcpFlags.ACK,
        hasTimestamp: true,
        timestampValue: 1,
        timestampEchoReply: 2,
        sackBlocks: [100, 200, 300, 400, 0xfffffff0, 0x10],
      });
      assert.equal(parsed.headerLength, 20 + 12 + 4 + 24);
      assert.deepEqual(parsed.sackBlocks, [100, 200, 300, 400, 0xfffffff0, 0x10]);
      assert.equal(parsed.timestampValue, 1);
    });

    it('round-trips four SACK blocks without timestamps', () => {
      const parsed = roundTrip({ sackBlocks: [1, 2, 3, 4, 5, 6, 7, 8] });
      assert.deepEqual(parsed.sackBlocks, [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(parsed.headerLength, 56);
    });

    it('rejects options longer than 40 bytes on emit', () => {
      const header = createTcpHeader({ hasTimestamp: true, sackBlocks: [1, 2, 3, 4, 5, 6, 7, 8] });
      assert.throws(() => emitTcpHeader(header, new Uint8Array(80)), RangeError);
    });

    it('rejects an unpaired SACK edge on emit', () => {
      const header = createTcpHeader({ sackBlocks: [1, 2, 3] });
      assert.throws(() => emitTcpHeader(header, new Uint8Array(80)), /pairs/);
    });

    it('rejects a buffer too small on emit', () => {
      const header = createTcpHeader({ mss: 1460 });
      assert.throws(() => emitTcpHeader(header, new Uint8Array(20)), /no room/);
    });

    it('skips unknown options by their length', () => {
      const parsed = parseTcpHeader(withOptions([30, 6, 1, 2, 3, 4, 2, 4, 0x05, 0xdc]));
      assert.equal(parsed.mss, 1500);
    });

    it('stops at end of option list', () => {
      const parsed = parseTcpHeader(withOptions([0, 2, 4, 5, 0xb4, 0, 0, 0]));
      assert.equal(parsed.mss, 0);
    });

    it('accepts a window scale above 14 as given', () => {
      const parsed = parseTcpHeader(withOptions([3, 3, 15, 1]));
      assert.equal(parsed.windowScale, 15);
    });

    it('clears options of a reused record', () => {
      const record = parseTcpHeader(withOptions([2, 4, 5, 0xb4, 4, 2, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2]));
      assert.equal(record.sackBlocks.length, 2);
      parseTcpHeader(withOptions([]), record);
      assert.equal(record.mss, 0);
      assert.equal(record.sackPermitted, false);
      assert.deepEqual(record.sackBlocks, []);
    });

    const malformed: Array<[string, number[], RegExp]> = [
      ['option kind without a length byte', [1, 1, 1, 2], /no length byte/],
      ['option length below 2', [2, 1, 0, 0], /invalid length 1/],
      ['option length 0', [30, 0, 0, 0], /invalid length 0/],
      ['option running past the header', [2, 8, 5, 0xb4], /runs past the header/],
      ['MSS of length 3', [2, 3, 5, 1], /MSS option has length 3/],
      ['MSS of length 6', [2, 6, 5, 0xb4, 0, 0, 1, 1], /MSS option has length 6/],
      ['window scale of length 4', [3, 4, 7, 0], /window scale option has length 4/],
      ['SACK-permitted of length 3', [4, 3, 0, 1], /SACK-permitted option has length 3/],
      ['timestamps of length 8', [8, 8, 0, 0, 0, 1, 0, 0], /timestamps option has length 8/],
      ['SACK without blocks', [5, 2, 1, 1], /SACK option length 2/],
      ['SACK with a partial block', [5, 6, 0, 0, 0, 1, 1, 1], /SACK option length 6/],
    ];
    for (const [name, options, message] of malformed) {
      it(`rejects ${name}`, () => {
        assert.throws(
          () => parseTcpHeader(withOptions(options)),
          (error: unknown) => error instanceof TcpFormatError && message.test(error.message),
        );
      });
    }
  });

  describe('length checks', () => {
    it('rejects a segment shorter than 20 bytes', () => {
      assert.match(checkTcpSegmentLength(new Uint8Array(19)) ?? '', /shorter than the 20-byte TCP header/);
      assert.throws(() => parseTcpHeader(new Uint8Array(19)), TcpFormatError);
      assert.throws(() => new TcpSegmentView(new Uint8Array(0)), TcpFormatError);
    });

    it('rejects a data offset below 5', () => {
      const bytes = withOptions([]);
      bytes[12] = 4 << 4;
      assert.throws(() => parseTcpHeader(bytes), /data offset 4 is below the minimum/);
    });

    it('rejects a data offset beyond the segment', () => {
      const bytes = withOptions([]);
      bytes[12] = 6 << 4;
      assert.throws(() => parseTcpHeader(bytes), /header length 24 exceeds the segment length 20/);
    });

    it('accepts a 60-byte header', () => {
      const bytes = withOptions(new Array(40).fill(1));
      assert.equal(parseTcpHeader(bytes).headerLength, 60);
    });
  });

  describe('checksum', () => {
    it('fills a checksum that verifies', () => {
      const header = new Uint8Array(20);
      emitTcpHeader(createTcpHeader({ sourcePort: 80, destinationPort: 5000, flags: TcpFlags.ACK, window: 100 }), header);
      const payload = Buffer.from('hello world');
      fillTcpChecksum(SOURCE, DESTINATION, header, [payload], payload.length);
      const segment = Buffer.concat([header, payload]);
      assert.equal(verifyTcpChecksum(SOURCE, DESTINATION, segment), true);
    });

    it('sums payload pieces at odd offsets', () => {
      const header = new Uint8Array(20);
      emitTcpHeader(createTcpHeader({ flags: TcpFlags.ACK }), header);
      const whole = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789');
      const pieces = [whole.subarray(0, 3), whole.subarray(3, 4), whole.subarray(4, 17), whole.subarray(17)];
      const split = tcpChecksum(SOURCE, DESTINATION, header, pieces, whole.length);
      const joined = tcpChecksum(SOURCE, DESTINATION, header, [whole], whole.length);
      assert.equal(split, joined);
    });

    it('matches across long payloads summed by the addon', () => {
      const header = new Uint8Array(20);
      emitTcpHeader(createTcpHeader({ flags: TcpFlags.ACK }), header);
      const whole = Buffer.alloc(3001);
      for (let i = 0; i < whole.length; i++) whole[i] = (i * 31) & 0xff;
      const pieces = [whole.subarray(0, 1001), whole.subarray(1001, 2000), whole.subarray(2000)];
      fillTcpChecksum(SOURCE, DESTINATION, header, pieces, whole.length);
      assert.equal(verifyTcpChecksum(SOURCE, DESTINATION, Buffer.concat([header, whole])), true);
    });

    it('detects a flipped bit', () => {
      const header = new Uint8Array(20);
      emitTcpHeader(createTcpHeader({ flags: TcpFlags.ACK }), header);
      const payload = Buffer.from('data');
      fillTcpChecksum(SOURCE, DESTINATION, header, [payload], 4);
      const segment = Buffer.concat([header, payload]);
      segment[21] ^= 0x04;
      assert.equal(verifyTcpChecksum(SOURCE, DESTINATION, segment), false);
    });

    it('detects a wrong pseudo-header address', () => {
      const header = new Uint8Array(20);
      emitTcpHeader(createTcpHeader({ flags: TcpFlags.ACK }), header);
      fillTcpChecksum(SOURCE, DESTINATION, header);
      assert.equal(verifyTcpChecksum(SOURCE, DESTINATION + 1, header), false);
    });
  });
});
