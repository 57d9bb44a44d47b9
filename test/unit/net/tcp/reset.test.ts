import * as assert from 'node:assert/strict';
import { OUT_OF_WINDOW_ACK_INTERVAL_MS } from '../../../../src/net/tcp/connection';
import { TcpState } from '../../../../src/net/tcp/state';
import {
  ACK,
  assertSegment,
  FIN,
  LOCAL_PORT,
  REMOTE_ISS,
  REMOTE_PORT,
  RecordingHandler,
  REMOTE_ADDRESS,
  RST,
  seq,
  SYN,
  TcpHarness,
} from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;

interface Driven {
  tcp: TcpHarness;
  connection: ReturnType<TcpHarness['establishPassive']>['connection'];
  handler: RecordingHandler;
  iss: number;
  /** The peer's next sequence number (our RCV.NXT). */
  peerNext: number;
}

/** Drives a passive connection into `state` with the peer's help. */
function driveTo(state: TcpState): Driven {
  const tcp = new TcpHarness();
  const { connection, handler, iss } = tcp.establishPassive();
  let peerNext = PEER;
  const peerFin = (ackOffset: number): void => {
    tcp.send({ flags: FIN | ACK, sequenceNumber: peerNext, acknowledgmentNumber: seq(iss, ackOffset), window: 65535 });
    peerNext++;
  };
  switch (state) {
    case TcpState.ESTABLISHED:
      break;
    case TcpState.FIN_WAIT_1:
      connection.end();
      break;
    case TcpState.FIN_WAIT_2:
      connection.end();
      tcp.send({ flags: ACK, sequenceNumber: peerNext, acknowledgmentNumber: seq(iss, 2), window: 65535 });
      break;
    case TcpState.CLOSE_WAIT:
      peerFin(1);
      break;
    case TcpState.CLOSING:
      connection.end();
      peerFin(1);
      break;
    case TcpState.LAST_ACK:
      peerFin(1);
      connection.end();
      break;
    case TcpState.TIME_WAIT:
      connection.end();
      peerFin(2);
      break;
    default:
      throw new Error(`cannot drive to state ${state}`);
  }
  tcp.take();
  assert.equal(connection.state, state);
  return { tcp, connection, handler, iss, peerNext };
}

describe('tcp reset handling', () => {
  const reportingStates: Array<[string, TcpState]> = [
    ['ESTABLISHED', TcpState.ESTABLISHED],
    ['FIN-WAIT-1', TcpState.FIN_WAIT_1],
    ['FIN-WAIT-2', TcpState.FIN_WAIT_2],
    ['CLOSE-WAIT', TcpState.CLOSE_WAIT],
  ];
  for (const [name, state] of reportingStates) {
    it(`resets ${name} with ECONNRESET`, () => {
      const { tcp, connection, handler, peerNext } = driveTo(state);
      tcp.send({ flags: RST, sequenceNumber: peerNext });
      tcp.takeNone();
      assert.equal(connection.state, TcpState.CLOSED);
      assert.equal(handler.closed.length, 1);
      assert.equal(handler.closed[0]?.code, 'ECONNRESET');
      assert.equal(tcp.layer.connectionTotal, 0);
    });
  }

  const quietStates: Array<[string, TcpState]> = [
    ['CLOSING', TcpState.CLOSING],
    ['LAST-ACK', TcpState.LAST_ACK],
    ['TIME-WAIT', TcpState.TIME_WAIT],
  ];
  for (const [name, state] of quietStates) {
    it(`closes ${name} on RST without an error`, () => {
      const { tcp, connection, handler, peerNext } = driveTo(state);
      tcp.send({ flags: RST, sequenceNumber: peerNext });
      tcp.takeNone();
      assert.equal(connection.state, TcpState.CLOSED);
      assert.equal(handler.closed.every((error) => error === undefined), true);
      assert.equal(tcp.layer.connectionTotal, 0);
    });
  }

  it('forgets a passive SYN-RECEIVED on RST and keeps listening', () => {
    const tcp = new TcpHarness();
    const { accepted } = tcp.listen();
    tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 65535 });
    tcp.take();
    tcp.send({ flags: RST, sequenceNumber: PEER });
    tcp.takeNone();
    assert.equal(tcp.layer.connectionTotal, 0);
    tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS + 5000, window: 65535 });
    assertSegment(tcp.takeOne(), { flags: SYN | ACK, acknowledgmentNumber: REMOTE_ISS + 5001 });
    assert.equal(accepted.length, 0);
  });

  it('refuses an active SYN-RECEIVED on RST', () => {
    const tcp = new TcpHarness();
    const handler = new RecordingHandler();
    const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
    tcp.take();
    tcp.sendTo(connection.localPort, { flags: SYN, sequenceNumber: REMOTE_ISS, window: 65535 });
    tcp.take();
    tcp.sendTo(connection.localPort, { flags: RST, sequenceNumber: PEER });
    assert.equal(connection.state, TcpState.CLOSED);
    assert.equal(handler.closed[0]?.code, 'ECONNREFUSED');
  });

  it('ignores RST to a listener', () => {
    const tcp = new TcpHarness();
    tcp.listen();
    tcp.send({ flags: RST, sequenceNumber: 5 });
    tcp.takeNone();
    assert.equal(tcp.layer.counters().dropped.listener, 1);
  });

  it('sends a challenge ACK for RST inside the window', () => {
    const { tcp, connection, iss } = driveTo(TcpState.ESTABLISHED);
    tcp.send({ flags: RST, sequenceNumber: PEER + 100 });
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER, payload: '' });
    assert.equal(connection.state, TcpState.ESTABLISHED);
    assert.equal(tcp.layer.counters().challengeAcksSent, 1);
  });

  it('drops RST outside the window silently', () => {
    const { tcp, connection } = driveTo(TcpState.ESTABLISHED);
    tcp.send({ flags: RST, sequenceNumber: PEER + 70000 });
    tcp.send({ flags: RST, sequenceNumber: PEER - 1 });
    tcp.takeNone();
    assert.equal(connection.state, TcpState.ESTABLISHED);
    assert.equal(tcp.layer.counters().dropped.reset, 2);
  });

  it('sends a challenge ACK for SYN on an established connection', () => {
    const { tcp, connection, iss } = driveTo(TcpState.ESTABLISHED);
    tcp.send({ flags: SYN, sequenceNumber: PEER + 10, window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER });
    assert.equal(connection.state, TcpState.ESTABLISHED);
  });

  it('limits challenge ACKs to one per interval', () => {
    const { tcp } = driveTo(TcpState.ESTABLISHED);
    tcp.send({ flags: RST, sequenceNumber: PEER + 100 });
    tcp.take();
    tcp.send({ flags: RST, sequenceNumber: PEER + 200 });
    tcp.takeNone();
    tcp.advance(OUT_OF_WINDOW_ACK_INTERVAL_MS);
    tcp.send({ flags: RST, sequenceNumber: PEER + 300 });
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER });
  });

  it('answers an ACK of unsent data with an ACK', () => {
    const { tcp, connection, iss } = driveTo(TcpState.ESTABLISHED);
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 500), window: 65535 }, 'data');
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER });
    assert.equal(connection.rcvNxt, PEER, 'the data of such a segment is dropped');
  });

  it('answers a segment outside the window with an ACK', () => {
    const { tcp, iss } = driveTo(TcpState.ESTABLISHED);
    tcp.send({ flags: ACK, sequenceNumber: PEER + 100000, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'far');
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER });
  });

  it('drops a segment without ACK', () => {
    const { tcp, handler } = driveTo(TcpState.ESTABLISHED);
    tcp.send({ flags: 0, sequenceNumber: PEER }, 'noack');
    tcp.takeNone();
    assert.equal(handler.received, '');
    assert.equal(tcp.layer.counters().dropped['no-ack'], 1);
  });

  it('sends RST on abort', () => {
    const { tcp, connection, handler, iss } = driveTo(TcpState.ESTABLISHED);
    connection.abort();
    assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: seq(iss, 1), acknowledgmentNumber: 0, window: 0 });
    assert.equal(connection.state, TcpState.CLOSED);
    assert.equal(handler.closed.length, 0, 'the user who aborted gets no callback');
  });

  describe('closed port', () => {
    it('answers SYN with RST|ACK and sequence zero', () => {
      const tcp = new TcpHarness();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 65535 });
      assertSegment(tcp.takeOne(), {
        flags: RST | ACK,
        sourcePort: LOCAL_PORT,
        destinationPort: REMOTE_PORT,
        sequenceNumber: 0,
        acknowledgmentNumber: REMOTE_ISS + 1,
        window: 0,
        payload: '',
      });
    });

    it('counts data and FIN in the ACK of the RST', () => {
      const tcp = new TcpHarness();
      tcp.send({ flags: FIN, sequenceNumber: REMOTE_ISS }, 'abc');
      assertSegment(tcp.takeOne(), { flags: RST | ACK, sequenceNumber: 0, acknowledgmentNumber: REMOTE_ISS + 4 });
    });

    it('answers an ACK with RST at its acknowledgment number', () => {
      const tcp = new TcpHarness();
      tcp.send({ flags: ACK, sequenceNumber: REMOTE_ISS, acknowledgmentNumber: 777777, window: 100 });
      assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: 777777, acknowledgmentNumber: 0 });
    });

    it('never answers a RST', () => {
      const tcp = new TcpHarness();
      tcp.send({ flags: RST | ACK, sequenceNumber: REMOTE_ISS, acknowledgmentNumber: 5 });
      tcp.takeNone();
      assert.equal(tcp.layer.counters().dropped['closed-port'], 1);
    });

    it('answers an ACK to a listener with RST', () => {
      const tcp = new TcpHarness();
      tcp.listen();
      tcp.send({ flags: ACK, sequenceNumber: REMOTE_ISS, acknowledgmentNumber: 4242, window: 100 });
      assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: 4242 });
    });

    it('counts resets sent', () => {
      const tcp = new TcpHarness();
      tcp.send({ flags: SYN, sequenceNumber: 1, window: 1 });
      tcp.send({ flags: SYN, sequenceNumber: 2, window: 1 });
      assert.equal(tcp.layer.counters().resetsSent, 2);
    });
  });
});
