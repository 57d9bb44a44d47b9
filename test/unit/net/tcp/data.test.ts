import * as assert from 'node:assert/strict';
import { DELAYED_ACK_TIMEOUT_MS } from '../../../../src/net/tcp/connection';
import { ACK, assertSegment, PSH, REMOTE_ISS, seq, TcpHarness } from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;

describe('tcp data transfer', () => {
  describe('receiving', () => {
    it('delivers in-order data', () => {
      const tcp = new TcpHarness();
      const { handler, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK | PSH, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'hello');
      assert.equal(handler.received, 'hello');
    });

    it('delays the ACK by DELAYED_ACK_TIMEOUT_MS', () => {
      const tcp = new TcpHarness();
      const { iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'hello');
      tcp.takeNone();
      tcp.advance(DELAYED_ACK_TIMEOUT_MS - 1);
      tcp.takeNone();
      tcp.advance(1);
      assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER + 5, payload: '' });
    });

    it('acknowledges every second full segment at once', () => {
      const tcp = new TcpHarness();
      const { iss } = tcp.establishPassive();
      const full = Buffer.alloc(1460, 0x61);
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, full);
      tcp.takeNone();
      tcp.send({ flags: ACK, sequenceNumber: PEER + 1460, acknowledgmentNumber: seq(iss, 1), window: 65535 }, full);
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 2920 });
    });

    it('piggybacks the ACK on a reply', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'ping');
      connection.write(Buffer.from('pong'));
      assertSegment(tcp.takeOne(), { flags: ACK | PSH, acknowledgmentNumber: PEER + 4, payload: 'pong' });
      tcp.send({ flags: ACK, sequenceNumber: PEER + 4, acknowledgmentNumber: seq(iss, 5), window: 65535 });
      tcp.advance(DELAYED_ACK_TIMEOUT_MS);
      tcp.takeNone();
    });

    it('queues out-of-order data and sends an immediate duplicate ACK', () => {
      const tcp = new TcpHarness();
      const { handler, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER + 5, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'world');
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER });
      assert.equal(handler.received, '');
    });

    it('delivers in order once the gap fills and ACKs at once', () => {
      const tcp = new TcpHarness();
      const { handler, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER + 10, acknowledgmentNumber: seq(iss, 1), window: 65535 }, '!!');
      tcp.send({ flags: ACK, sequenceNumber: PEER + 5, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'world');
      tcp.take();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'hello');
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 12 });
      assert.equal(handler.received, 'helloworld!!');
    });

    it('trims overlapping data', () => {
      const tcp = new TcpHarness();
      const { handler, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'abcdef');
      tcp.send({ flags: ACK, sequenceNumber: PEER + 3, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'defghi');
      assert.equal(handler.received, 'abcdefghi');
    });

    it('keeps the first copy of overlapping out-of-order data', () => {
      const tcp = new TcpHarness();
      const { handler, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER + 4, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'EFGH');
      tcp.send({ flags: ACK, sequenceNumber: PEER + 2, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'cdxxxxij');
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'ab');
      assert.equal(handler.received, 'abcdEFGHij');
    });

    it('answers a duplicate segment with an immediate ACK', () => {
      const tcp = new TcpHarness();
      const { handler, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'abc');
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'abc');
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 3 });
      assert.equal(handler.received, 'abc');
    });

    it('trims data beyond the window', () => {
      const tcp = new TcpHarness({ receiveBufferBytes: 4 });
      const { handler, iss } = tcp.establishPassive();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'abcdefgh');
      assert.equal(handler.received, 'abcd');
    });
  });

  describe('sending', () => {
    it('sends a write as one segment with PSH', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive();
      connection.write(Buffer.from('response'));
      assertSegment(tcp.takeOne(), {
        flags: ACK | PSH,
        sequenceNumber: seq(iss, 1),
        acknowledgmentNumber: PEER,
        window: 65535,
        payload: 'response',
      });
    });

    it('splits a large write into MSS segments', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 });
      connection.write(Buffer.alloc(2500, 0x62));
      // The initial window is min(4 * 1000, max(2 * 1000, 4380)) = 4000 bytes.
      const segments = tcp.take();
      assert.equal(segments.length, 3);
      assertSegment(segments[0], { flags: ACK, sequenceNumber: seq(iss, 1), payload: Buffer.alloc(1000, 0x62) });
      assertSegment(segments[1], { flags: ACK, sequenceNumber: seq(iss, 1001), payload: Buffer.alloc(1000, 0x62) });
      assertSegment(segments[2], { flags: ACK | PSH, sequenceNumber: seq(iss, 2001), payload: Buffer.alloc(500, 0x62) });
    });

    it('references written buffers without copying', () => {
      const tcp = new TcpHarness();
      const { connection } = tcp.establishPassive({ mss: 1000 });
      const data = Buffer.alloc(1500, 0x63);
      connection.write(data);
      const raw = tcp.takeRaw();
      assert.equal(raw.length, 2);
      assert.equal(raw[0].payload.length, 1);
      assert.equal(raw[0].payload[0].buffer, data.buffer);
      assert.equal(raw[0].payload[0].byteOffset, data.byteOffset);
      assert.equal(raw[1].payload[0].buffer, data.buffer);
      assert.equal(raw[1].payload[0].byteOffset, data.byteOffset + 1000);
    });

    it('limits the first flight to the initial window', () => {
      const tcp = new TcpHarness();
      const { connection } = tcp.establishPassive({ mss: 1460 });
      connection.write(Buffer.alloc(20000));
      const segments = tcp.take();
      // min(4 * 1460, max(2 * 1460, 4380)) = 4380 bytes: three segments.
      assert.equal(segments.length, 3);
      assert.equal(segments.reduce((sum, s) => sum + s.payload.length, 0), 4380);
    });

    it('respects the peer window', () => {
      const tcp = new TcpHarness();
      const { connection } = tcp.establishPassive({ mss: 1460 }, 1000);
      connection.write(Buffer.alloc(3000));
      const segments = tcp.take();
      assert.equal(segments.length, 1);
      assert.equal(segments[0].payload.length, 1000);
    });

    it('frees the send buffer on a cumulative ACK', () => {
      const tcp = new TcpHarness();
      const { connection, handler, iss } = tcp.establishPassive({ mss: 1000 });
      connection.write(Buffer.alloc(2500));
      tcp.take();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2001), window: 65535 });
      assert.equal(connection.sendBuffer.length, 500);
      assert.equal(connection.sndUna, seq(iss, 2001));
      assert.ok(handler.writable >= 1);
    });

    it('grows the window in slow start', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 });
      connection.write(Buffer.alloc(20000));
      assert.equal(tcp.take().length, 4);
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1001), window: 65535 });
      // cwnd 4000 + 1000: two more segments, one for the ACKed one and one for growth.
      assert.equal(tcp.take().length, 2);
      assert.equal(connection.congestion.cwnd, 5000);
    });

    it('moves data both ways at once', () => {
      const tcp = new TcpHarness();
      const { connection, handler, iss } = tcp.establishPassive();
      connection.write(Buffer.from('server'));
      assertSegment(tcp.takeOne(), { payload: 'server', acknowledgmentNumber: PEER });
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 7), window: 65535 }, 'client');
      assert.equal(handler.received, 'client');
      assert.equal(connection.sendBuffer.length, 0);
    });
  });
});
