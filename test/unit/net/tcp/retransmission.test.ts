import * as assert from 'node:assert/strict';
import { DATA_RETRANSMISSIONS_MAX } from '../../../../src/net/tcp/connection';
import { RTO_MAX_MS, RTO_MIN_MS } from '../../../../src/net/tcp/retransmit';
import { TcpState } from '../../../../src/net/tcp/state';
import { ACK, assertSegment, PSH, REMOTE_ISS, RST, seq, TcpHarness } from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;

function ackTo(tcp: TcpHarness, iss: number, offset: number, window = 65535): void {
  tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, offset), window });
}

describe('tcp retransmission', () => {
  it('derives the RTO from the handshake RTT', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    // SRTT = 100, RTTVAR = 50, RTO = 100 + 4 * 50 = 300 ms.
    assert.equal(connection.rto.srtt, 100);
    assert.equal(connection.rto.rttvar, 50);
    assert.equal(connection.retransmissionTimeout, 300);
  });

  it('floors the RTO at RTO_MIN_MS', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive({ mss: 1460 }, 65535, 1);
    assert.equal(connection.retransmissionTimeout, RTO_MIN_MS);
  });

  it('retransmits after the RTO with exponential back-off', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 1), payload: 'data' });
    const expected = [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 60000, 60000];
    for (const delay of expected) {
      tcp.advance(delay - 1);
      tcp.takeNone();
      tcp.advance(1);
      assertSegment(tcp.takeOne(), { flags: ACK | PSH, sequenceNumber: seq(iss, 1), payload: 'data' });
    }
  });

  it('caps the back-off at RTO_MAX_MS', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    tcp.take();
    for (let i = 0; i < 10; i++) connection.rto.backOff();
    assert.equal(connection.retransmissionTimeout, RTO_MAX_MS);
  });

  it('aborts after the last retransmission', () => {
    const tcp = new TcpHarness();
    const { connection, handler } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    tcp.take();
    let retransmissions = 0;
    let resets = 0;
    for (let i = 0; i < 30 && connection.state !== TcpState.CLOSED; i++) {
      tcp.advance(RTO_MAX_MS);
      for (const segment of tcp.take()) {
        if (segment.flags & RST) resets++;
        else retransmissions++;
      }
    }
    assert.equal(retransmissions, DATA_RETRANSMISSIONS_MAX);
    assert.equal(resets, 0, 'no reset to a peer that stopped answering');
    assert.equal(connection.state, TcpState.CLOSED);
    assert.equal(handler.closed[0]?.code, 'ETIMEDOUT');
  });

  it('counts retransmitted segments', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    tcp.advance(300);
    tcp.advance(600);
    assert.equal(tcp.layer.counters().retransmittedSegments, 2);
  });

  it('takes no RTT sample from a retransmitted segment', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    tcp.advance(300);
    tcp.take();
    tcp.advance(50);
    ackTo(tcp, iss, 5);
    // Karn's rule: the sample would be ambiguous, so SRTT stays and the back-off stays.
    assert.equal(connection.rto.srtt, 100);
    assert.equal(connection.retransmissionTimeout, 600);
  });

  it('samples the RTT of a segment sent once', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    tcp.advance(180);
    ackTo(tcp, iss, 5);
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 180| = 57.5, SRTT = 7/8 * 100 + 1/8 * 180 = 110.
    assert.equal(connection.rto.srtt, 110);
    assert.equal(connection.rto.rttvar, 57.5);
    assert.equal(connection.retransmissionTimeout, 340);
  });

  it('stops the timer when everything is acknowledged', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    tcp.take();
    ackTo(tcp, iss, 5);
    tcp.advance(10_000);
    tcp.takeNone();
  });

  it('goes back to SND.UNA with one segment after a timeout', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
    connection.write(Buffer.alloc(4000, 1));
    assert.equal(tcp.take().length, 4);
    tcp.advance(300);
    assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 1) });
    assert.equal(connection.congestion.cwnd, 1000);
    assert.equal(connection.congestion.ssthresh, 2000);
    // The ACK of the retransmission opens the window to two segments (slow start).
    ackTo(tcp, iss, 1001);
    const next = tcp.take();
    assert.equal(next.length, 2);
    assertSegment(next[0], { sequenceNumber: seq(iss, 1001) });
    assertSegment(next[1], { sequenceNumber: seq(iss, 2001) });
  });

  it('accepts an ACK beyond a go-back-N retransmission', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
    connection.write(Buffer.alloc(3000, 1));
    tcp.take();
    tcp.advance(300);
    tcp.take();
    ackTo(tcp, iss, 3001);
    assert.equal(connection.sndUna, seq(iss, 3001));
    assert.equal(connection.sndNxt, seq(iss, 3001));
    assert.equal(connection.sendBuffer.length, 0);
  });

  describe('fast retransmit', () => {
    function flight(): { tcp: TcpHarness; connection: ReturnType<TcpHarness['establishPassive']>['connection']; iss: number } {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
      connection.congestion.cwnd = 6000;
      connection.write(Buffer.alloc(6000, 2));
      assert.equal(tcp.take().length, 6);
      return { tcp, connection, iss };
    }

    it('retransmits on the third duplicate ACK', () => {
      const { tcp, connection, iss } = flight();
      ackTo(tcp, iss, 1001);
      tcp.take();
      ackTo(tcp, iss, 1001);
      ackTo(tcp, iss, 1001);
      tcp.takeNone();
      ackTo(tcp, iss, 1001);
      const segments = tcp.take();
      assertSegment(segments[0], { sequenceNumber: seq(iss, 1001), payload: Buffer.alloc(1000, 2) });
      assert.equal(connection.congestion.inFastRecovery, true);
    });

    it('sets ssthresh to half the flight and inflates cwnd', () => {
      const { tcp, connection, iss } = flight();
      ackTo(tcp, iss, 1001);
      tcp.take();
      for (let i = 0; i < 3; i++) ackTo(tcp, iss, 1001);
      // FlightSize: 6000 sent - 1000 acknowledged = 5000.
      assert.equal(connection.congestion.ssthresh, 2500);
      assert.equal(connection.congestion.cwnd, 2500 + 3 * 1000);
    });

    it('retransmits the next hole on a partial ACK', () => {
      const { tcp, connection, iss } = flight();
      for (let i = 0; i < 4; i++) ackTo(tcp, iss, 1);
      assertSegment(tcp.take()[0], { sequenceNumber: seq(iss, 1) });
      ackTo(tcp, iss, 2001);
      const segments = tcp.take();
      assertSegment(segments[0], { sequenceNumber: seq(iss, 2001) });
      assert.equal(connection.congestion.inFastRecovery, true);
    });

    it('leaves recovery on a full ACK with cwnd deflated', () => {
      const { tcp, connection, iss } = flight();
      for (let i = 0; i < 4; i++) ackTo(tcp, iss, 1);
      tcp.take();
      ackTo(tcp, iss, 6001);
      assert.equal(connection.congestion.inFastRecovery, false);
      // min(ssthresh 3000, max(FlightSize 0, MSS) + MSS) = 2000, with FlightSize 6000 at the loss.
      assert.equal(connection.congestion.cwnd, 2000);
    });

    it('does not count ACKs with data as duplicates', () => {
      const { tcp, connection, iss } = flight();
      for (let i = 0; i < 4; i++) {
        tcp.send({ flags: ACK, sequenceNumber: PEER + i, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'x');
      }
      assert.equal(connection.congestion.inFastRecovery, false);
    });

    it('does not count window updates as duplicates', () => {
      const { tcp, connection, iss } = flight();
      for (let i = 0; i < 4; i++) ackTo(tcp, iss, 1, 60000 + i);
      assert.equal(connection.congestion.inFastRecovery, false);
    });

    it('sends new data on the first duplicates (limited transmit)', () => {
      const tcp = new TcpHarness();
      const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
      connection.write(Buffer.alloc(10000, 3));
      assert.equal(tcp.take().length, 4);
      ackTo(tcp, iss, 1);
      assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 4001) });
      ackTo(tcp, iss, 1);
      assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 5001) });
    });
  });
});
