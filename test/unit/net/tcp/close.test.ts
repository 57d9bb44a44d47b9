import * as assert from 'node:assert/strict';
import { FIN_WAIT_2_TIMEOUT_MS, TIME_WAIT_MS } from '../../../../src/net/tcp/connection';
import { TcpState } from '../../../../src/net/tcp/state';
import { ACK, assertSegment, FIN, PSH, REMOTE_ISS, RST, seq, SYN, TcpHarness } from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;

describe('tcp close', () => {
  it('sends FIN and enters FIN-WAIT-1 on end', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.end();
    assertSegment(tcp.takeOne(), { flags: FIN | ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER, payload: '' });
    assert.equal(connection.state, TcpState.FIN_WAIT_1);
  });

  it('walks the active close to TIME-WAIT and CLOSED', () => {
    const tcp = new TcpHarness();
    const { connection, handler, iss } = tcp.establishPassive();
    connection.end();
    tcp.take();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assert.equal(connection.state, TcpState.FIN_WAIT_2);
    tcp.takeNone();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 2), acknowledgmentNumber: PEER + 1 });
    assert.equal(connection.state, TcpState.TIME_WAIT);
    assert.equal(handler.ended, 1);
    tcp.advance(TIME_WAIT_MS - 1);
    assert.equal(connection.state, TcpState.TIME_WAIT);
    tcp.advance(1);
    assert.equal(connection.state, TcpState.CLOSED);
    assert.equal(tcp.layer.connectionTotal, 0);
  });

  it('enters TIME-WAIT on FIN with ACK', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.end();
    tcp.take();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 1 });
    assert.equal(connection.state, TcpState.TIME_WAIT);
  });

  it('closes simultaneously through CLOSING', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.end();
    assertSegment(tcp.takeOne(), { flags: FIN | ACK, sequenceNumber: seq(iss, 1) });
    // The peer's FIN crossed ours: it does not acknowledge our FIN.
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 2), acknowledgmentNumber: PEER + 1 });
    assert.equal(connection.state, TcpState.CLOSING);
    tcp.send({ flags: ACK, sequenceNumber: PEER + 1, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assert.equal(connection.state, TcpState.TIME_WAIT);
  });

  it('walks the passive close through CLOSE-WAIT and LAST-ACK', () => {
    const tcp = new TcpHarness();
    const { connection, handler, iss } = tcp.establishPassive();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER + 1 });
    assert.equal(connection.state, TcpState.CLOSE_WAIT);
    assert.equal(handler.ended, 1);
    connection.end();
    assertSegment(tcp.takeOne(), { flags: FIN | ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER + 1 });
    assert.equal(connection.state, TcpState.LAST_ACK);
    tcp.send({ flags: ACK, sequenceNumber: PEER + 1, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assert.equal(connection.state, TcpState.CLOSED);
    assert.deepEqual(handler.closed, [undefined]);
  });

  it('keeps sending after the peer half-closes', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'request');
    tcp.take();
    connection.write(Buffer.from('response'));
    assertSegment(tcp.takeOne(), { flags: PSH | ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER + 8, payload: 'response' });
    tcp.send({ flags: ACK, sequenceNumber: PEER + 8, acknowledgmentNumber: seq(iss, 9), window: 65535 });
    connection.end();
    assertSegment(tcp.takeOne(), { flags: FIN | ACK, sequenceNumber: seq(iss, 9) });
  });

  it('keeps receiving after we half-close', () => {
    const tcp = new TcpHarness();
    const { connection, handler, iss } = tcp.establishPassive();
    connection.end();
    tcp.take();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 }, 'more');
    assert.equal(handler.received, 'more');
    assert.equal(connection.state, TcpState.FIN_WAIT_2);
  });

  it('puts the FIN on the last data segment', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.write(Buffer.from('bye'));
    tcp.take();
    connection.write(Buffer.from('!'));
    // Nagle keeps the short segment back while 'bye' is unacknowledged...
    tcp.takeNone();
    // ...but not the final segment with the FIN (as in Linux).
    connection.end();
    assertSegment(tcp.takeOne(), { flags: FIN | PSH | ACK, sequenceNumber: seq(iss, 4), payload: '!' });
  });

  it('retransmits an unacknowledged FIN', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.end();
    tcp.take();
    tcp.advance(300);
    assertSegment(tcp.takeOne(), { flags: FIN | ACK, sequenceNumber: seq(iss, 1) });
  });

  it('restarts TIME-WAIT on a repeated FIN', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.end();
    tcp.take();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    tcp.take();
    tcp.advance(TIME_WAIT_MS - 1000);
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 2), acknowledgmentNumber: PEER + 1 });
    tcp.advance(TIME_WAIT_MS - 1);
    assert.equal(connection.state, TcpState.TIME_WAIT);
    tcp.advance(1);
    assert.equal(connection.state, TcpState.CLOSED);
  });

  it('reopens TIME-WAIT for a newer SYN', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.end();
    tcp.take();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    tcp.take();
    tcp.send({ flags: SYN, sequenceNumber: PEER + 100000, window: 65535, mss: 1460 });
    const synAck = tcp.takeOne();
    assertSegment(synAck, { flags: SYN | ACK, acknowledgmentNumber: PEER + 100001 });
    assert.ok((synAck.sequenceNumber - seq(iss, 2)) >>> 0 < 0x80000000, 'new ISN above the old sequence space');
    assert.equal(connection.state, TcpState.CLOSED);
  });

  it('acknowledges an old SYN in TIME-WAIT', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.end();
    tcp.take();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    tcp.take();
    tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 1 });
    assert.equal(connection.state, TcpState.TIME_WAIT);
  });

  it('holds an out-of-order FIN', () => {
    const tcp = new TcpHarness();
    const { connection, handler, iss } = tcp.establishPassive();
    tcp.send({ flags: FIN | ACK, sequenceNumber: PEER + 3, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'def');
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER });
    assert.equal(connection.state, TcpState.ESTABLISHED);
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'abc');
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 7 });
    assert.equal(handler.received, 'abcdef');
    assert.equal(handler.ended, 1);
    assert.equal(connection.state, TcpState.CLOSE_WAIT);
  });

  it('resets on close with unread data', () => {
    const tcp = new TcpHarness();
    const { listener } = tcp.listen();
    listener.pause();
    tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 65535 });
    const synAck = tcp.takeOne();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(synAck.sequenceNumber, 1), window: 65535 }, 'unread');
    tcp.take();
    const connection = listener.acceptQueue[0];
    connection.close();
    assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: seq(synAck.sequenceNumber, 1) });
    assert.equal(connection.state, TcpState.CLOSED);
  });

  it('resets when data arrives after close', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.close();
    assertSegment(tcp.takeOne(), { flags: FIN | ACK, sequenceNumber: seq(iss, 1) });
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 }, 'late');
    assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: seq(iss, 2) });
    assert.equal(connection.state, TcpState.CLOSED);
  });

  it('drops an orphan stuck in FIN-WAIT-2', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.close();
    tcp.take();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assert.equal(connection.state, TcpState.FIN_WAIT_2);
    tcp.advance(FIN_WAIT_2_TIMEOUT_MS);
    assert.equal(connection.state, TcpState.CLOSED);
  });

  it('keeps a half-closed connection in FIN-WAIT-2', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.end();
    tcp.take();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    tcp.advance(FIN_WAIT_2_TIMEOUT_MS * 3);
    assert.equal(connection.state, TcpState.FIN_WAIT_2);
  });

  it('rejects writes after end', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive();
    connection.end();
    assert.throws(() => connection.write(Buffer.from('x')), { code: 'EINVAL' });
  });

  it('sends a FIN queued during the handshake', () => {
    const tcp = new TcpHarness();
    const connection = tcp.layer.connect({ remoteAddress: 0x0a000002, remotePort: 40000 });
    const syn = tcp.takeOne();
    connection.write(Buffer.from('q'));
    connection.end();
    tcp.sendTo(connection.localPort, {
      flags: SYN | ACK,
      sequenceNumber: REMOTE_ISS,
      acknowledgmentNumber: seq(syn.sequenceNumber, 1),
      window: 65535,
    });
    assertSegment(tcp.takeOne(), { flags: FIN | PSH | ACK, sequenceNumber: seq(syn.sequenceNumber, 1), payload: 'q' });
    assert.equal(connection.state, TcpState.FIN_WAIT_1);
  });
});
