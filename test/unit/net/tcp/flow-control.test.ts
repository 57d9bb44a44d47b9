import * as assert from 'node:assert/strict';
import { DELAYED_ACK_TIMEOUT_MS, PERSIST_PROBES_MAX } from '../../../../src/net/tcp/connection';
import { RTO_MAX_MS } from '../../../../src/net/tcp/retransmit';
import { TcpState } from '../../../../src/net/tcp/state';
import { ACK, assertSegment, FIN, PSH, REMOTE_ISS, RST, seq, TcpHarness } from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;

function ackTo(tcp: TcpHarness, iss: number, offset: number, window: number): void {
  tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, offset), window });
}

/**
 * Sets up a connection whose peer acknowledged 1000 bytes 100 ms after they
 * were sent and closed its window to zero. `rto` is the timeout at that point.
 */
function zeroWindow(): {
  tcp: TcpHarness;
  connection: ReturnType<TcpHarness['establishPassive']>['connection'];
  handler: ReturnType<TcpHarness['establishPassive']>['handler'];
  iss: number;
  rto: number;
} {
  const tcp = new TcpHarness();
  const { connection, handler, iss } = tcp.establishPassive({ mss: 1000 }, 1000, 100);
  connection.write(Buffer.from('a'.repeat(1000) + 'b'.repeat(2000)));
  assert.equal(tcp.take().length, 1);
  tcp.advance(100);
  ackTo(tcp, iss, 1001, 0);
  tcp.takeNone();
  return { tcp, connection, handler, iss, rto: connection.retransmissionTimeout };
}

describe('tcp flow control', () => {
  describe('zero window', () => {
    it('sends nothing into a zero window', () => {
      const { tcp, connection, rto } = zeroWindow();
      assert.equal(connection.sndWnd, 0);
      // SRTT 100, RTTVAR 37.5: RTO = 100 + 4 * 37.5.
      assert.equal(rto, 250);
      tcp.advance(rto - 1);
      tcp.takeNone();
    });

    it('probes with one byte after the RTO', () => {
      const { tcp, iss, rto } = zeroWindow();
      tcp.advance(rto);
      assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1001), acknowledgmentNumber: PEER, payload: 'b' });
    });

    it('backs off the probe interval exponentially', () => {
      const { tcp, iss, rto } = zeroWindow();
      for (const delay of [rto, 2 * rto, 4 * rto, 8 * rto, 16 * rto]) {
        tcp.advance(delay - 1);
        tcp.takeNone();
        tcp.advance(1);
        assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 1001), payload: 'b' });
        // The peer replies to every probe with a zero window.
        ackTo(tcp, iss, 1001, 0);
        tcp.takeNone();
      }
    });

    it('gives up on a closed connection the peer keeps shut', () => {
      const { tcp, connection, iss } = zeroWindow();
      // The application closes; the peer answers every probe and never opens its window.
      connection.close();
      tcp.take();
      let probes = 0;
      for (let step = 0; step < 20_000 && connection.state !== TcpState.CLOSED; step++) {
        tcp.advance(250);
        if (tcp.take().length === 0) continue;
        probes++;
        ackTo(tcp, iss, 1001, 0);
      }
      assert.equal(connection.state, TcpState.CLOSED);
      assert.ok(probes <= PERSIST_PROBES_MAX + 1, `${probes} probes`);
    });

    it('caps the probe interval at RTO_MAX_MS and never gives up while answered', () => {
      const { tcp, connection, iss } = zeroWindow();
      const gaps: number[] = [];
      let last = tcp.clock.now();
      for (let step = 0; step < 8000 && gaps.length < PERSIST_PROBES_MAX * 2; step++) {
        tcp.advance(250);
        if (tcp.take().length === 0) continue;
        gaps.push(tcp.clock.now() - last);
        last = tcp.clock.now();
        ackTo(tcp, iss, 1001, 0);
      }
      assert.equal(gaps.length, PERSIST_PROBES_MAX * 2);
      assert.equal(Math.max(...gaps), RTO_MAX_MS);
      assert.equal(gaps[gaps.length - 1], RTO_MAX_MS);
      assert.equal(connection.state, TcpState.ESTABLISHED);
    });

    it('aborts when probes go unanswered', () => {
      const { tcp, connection, handler } = zeroWindow();
      let probes = 0;
      let resets = 0;
      for (let i = 0; i < 100 && connection.state !== TcpState.CLOSED; i++) {
        tcp.advance(RTO_MAX_MS);
        for (const segment of tcp.take()) {
          if (segment.flags & RST) resets++;
          else probes++;
        }
      }
      assert.equal(probes, PERSIST_PROBES_MAX);
      assert.equal(resets, 0);
      assert.equal(handler.closed[0]?.code, 'ETIMEDOUT');
    });

    it('resumes sending when the window opens', () => {
      const { tcp, iss } = zeroWindow();
      ackTo(tcp, iss, 1001, 2000);
      const segments = tcp.take();
      assert.equal(segments.length, 2);
      assertSegment(segments[0], { sequenceNumber: seq(iss, 1001), payload: 'b'.repeat(1000) });
      assertSegment(segments[1], { flags: ACK | PSH, sequenceNumber: seq(iss, 2001), payload: 'b'.repeat(1000) });
    });

    it('counts a probe byte the peer accepted', () => {
      const { tcp, connection, iss, rto } = zeroWindow();
      tcp.advance(rto);
      tcp.take();
      ackTo(tcp, iss, 1002, 0);
      assert.equal(connection.sndUna, seq(iss, 1002));
      assert.equal(connection.sndNxt, seq(iss, 1002));
      assert.equal(connection.sendBuffer.length, 1999);
    });

    it('sends pure ACKs at SND.UNA while the window is zero', () => {
      const { tcp, iss, rto } = zeroWindow();
      tcp.advance(rto);
      tcp.take();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1001), window: 0 }, 'req');
      tcp.advance(DELAYED_ACK_TIMEOUT_MS);
      const acks = tcp.take().filter((segment) => segment.payload.length === 0);
      assert.equal(acks.length, 1);
      assertSegment(acks[0], { flags: ACK, sequenceNumber: seq(iss, 1001), acknowledgmentNumber: PEER + 3 });
    });
  });

  describe('zero window and FIN', () => {
    it('probes with the FIN when only the FIN is left', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 1000, 100);
      connection.write(Buffer.alloc(1000, 0x61));
      tcp.take();
      tcp.advance(100);
      ackTo(tcp, iss, 1001, 0);
      connection.end();
      tcp.takeNone();
      tcp.advance(connection.retransmissionTimeout);
      assertSegment(tcp.takeOne(), { flags: ACK | FIN, sequenceNumber: seq(iss, 1001) });
    });

    it('keeps retransmitting a FIN the zero window dropped', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 1000, 100);
      connection.write(Buffer.alloc(1000, 0x61));
      tcp.take();
      tcp.advance(100);
      ackTo(tcp, iss, 1001, 0);
      connection.end();
      const fins: number[] = [];
      for (let i = 0; i < 40; i++) {
        tcp.advance(1000);
        for (const segment of tcp.take()) if (segment.flags & FIN) fins.push(segment.sequenceNumber);
        // The peer keeps its window closed and acknowledges nothing new.
        ackTo(tcp, iss, 1001, 0);
      }
      assert.ok(fins.length >= 3, `FIN sent ${fins.length} times`);
      assert.deepEqual(new Set(fins), new Set([seq(iss, 1001)]));
      assert.equal(connection.state, TcpState.FIN_WAIT_1);
      ackTo(tcp, iss, 1002, 1000);
      assert.equal(connection.state, TcpState.FIN_WAIT_2);
    });
  });

  describe('receive window', () => {
    it('shrinks the advertised window while data is unread', () => {
      const tcp = new TcpHarness({ receiveBufferBytes: 8000 });
      const { handler, iss } = tcp.establishPassive();
      handler.holdData = true;
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, Buffer.alloc(3000));
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 3000, window: 5000 });
    });

    it('advertises a zero window when the buffer is full', () => {
      const tcp = new TcpHarness({ receiveBufferBytes: 4000 });
      const { handler, iss } = tcp.establishPassive();
      handler.holdData = true;
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, Buffer.alloc(4000));
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 4000, window: 0 });
    });

    it('drops data into a zero window but takes its ACK', () => {
      const tcp = new TcpHarness({ receiveBufferBytes: 4000 });
      const { connection, handler, iss } = tcp.establishPassive();
      handler.holdData = true;
      connection.write(Buffer.from('out'));
      tcp.take();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, Buffer.alloc(4000));
      tcp.take();
      tcp.send({ flags: ACK, sequenceNumber: PEER + 4000, acknowledgmentNumber: seq(iss, 4), window: 65535 }, 'x');
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 4000, window: 0 });
      assert.equal(handler.data.reduce((sum, data) => sum + data.length, 0), 4000);
      assert.equal(connection.sndUna, seq(iss, 4));
    });

    it('sends a window update once the application reads', () => {
      const tcp = new TcpHarness({ receiveBufferBytes: 4000 });
      const { connection, handler, iss } = tcp.establishPassive();
      handler.holdData = true;
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, Buffer.alloc(4000));
      tcp.take();
      handler.unread = 0;
      connection.onDataConsumed();
      assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER + 4000, window: 4000 });
    });

    it('sends no window update for a small read (receiver SWS avoidance)', () => {
      const tcp = new TcpHarness({ receiveBufferBytes: 4000 });
      const { connection, handler, iss } = tcp.establishPassive();
      handler.holdData = true;
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, Buffer.alloc(4000));
      tcp.take();
      handler.unread = 3900;
      connection.onDataConsumed();
      tcp.takeNone();
    });

    it('keeps the right edge until it can move by an MSS', () => {
      const tcp = new TcpHarness({ receiveBufferBytes: 20000 });
      const { handler, iss } = tcp.establishPassive();
      handler.holdData = true;
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, Buffer.alloc(100));
      handler.unread = 0;
      tcp.advance(DELAYED_ACK_TIMEOUT_MS);
      // The free space grew by only 100 bytes since the SYN-ACK offered 20000, so the edge stays.
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 100, window: 19900 });
    });
  });

  describe('sender silly window avoidance', () => {
    it('waits for a usable window that is too small', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
      connection.write(Buffer.alloc(1000, 1));
      tcp.take();
      ackTo(tcp, iss, 1001, 300);
      connection.write(Buffer.alloc(5000, 2));
      tcp.takeNone();
    });

    it('sends into a small window after the override timeout', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
      connection.write(Buffer.alloc(1000, 1));
      tcp.take();
      ackTo(tcp, iss, 1001, 300);
      connection.write(Buffer.alloc(5000, 2));
      tcp.advance(connection.retransmissionTimeout);
      assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 1001), payload: Buffer.alloc(300, 2) });
    });

    it('sends all queued data when it fits the window', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
      connection.write(Buffer.alloc(1000, 1));
      tcp.take();
      connection.write(Buffer.alloc(200, 2));
      ackTo(tcp, iss, 1001, 300);
      assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 1001), payload: Buffer.alloc(200, 2) });
    });
  });
});
