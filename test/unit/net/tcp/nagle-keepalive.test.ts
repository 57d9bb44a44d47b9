import * as assert from 'node:assert/strict';
import { KEEPALIVE_INTERVAL_MS, KEEPALIVE_PROBES_MAX } from '../../../../src/net/tcp/connection';
import { TcpState } from '../../../../src/net/tcp/state';
import { ACK, assertSegment, PSH, REMOTE_ISS, RST, seq, TcpHarness } from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;

describe('tcp nagle', () => {
  it('holds a short segment while one is unacknowledged', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive();
    connection.write(Buffer.from('a'));
    assertSegment(tcp.takeOne(), { payload: 'a' });
    connection.write(Buffer.from('b'));
    connection.write(Buffer.from('c'));
    tcp.takeNone();
  });

  it('sends the held data together on the ACK', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.write(Buffer.from('a'));
    tcp.take();
    connection.write(Buffer.from('b'));
    connection.write(Buffer.from('c'));
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 });
    assertSegment(tcp.takeOne(), { flags: ACK | PSH, sequenceNumber: seq(iss, 2), payload: 'bc' });
  });

  it('sends at once with setNoDelay', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.setNoDelay(true);
    connection.write(Buffer.from('a'));
    connection.write(Buffer.from('b'));
    const segments = tcp.take();
    assert.equal(segments.length, 2);
    assertSegment(segments[0], { sequenceNumber: seq(iss, 1), payload: 'a' });
    assertSegment(segments[1], { sequenceNumber: seq(iss, 2), payload: 'b' });
  });

  it('flushes held data when Nagle is turned off', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.write(Buffer.from('a'));
    tcp.take();
    connection.write(Buffer.from('b'));
    tcp.takeNone();
    connection.setNoDelay(true);
    assertSegment(tcp.takeOne(), { sequenceNumber: seq(iss, 2), payload: 'b' });
  });

  it('sends full segments despite a short one in flight', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1000 });
    connection.write(Buffer.from('a'));
    tcp.take();
    connection.write(Buffer.alloc(1500, 0x62));
    const segments = tcp.take();
    assert.equal(segments.length, 1);
    assertSegment(segments[0], { sequenceNumber: seq(iss, 2), payload: Buffer.alloc(1000, 0x62) });
  });
});

describe('tcp keep-alive', () => {
  it('sends no probes unless enabled', () => {
    const tcp = new TcpHarness();
    tcp.establishPassive();
    tcp.advance(10 * 3600 * 1000);
    tcp.takeNone();
  });

  it('probes with SND.UNA - 1 after the idle time', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.setKeepAlive(true, 10_000);
    tcp.advance(9_999);
    tcp.takeNone();
    tcp.advance(1);
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: iss, acknowledgmentNumber: PEER, payload: '' });
  });

  it('waits the idle time again after an answer', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.setKeepAlive(true, 10_000);
    tcp.advance(10_000);
    tcp.take();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 });
    tcp.advance(9_999);
    tcp.takeNone();
    tcp.advance(1);
    assertSegment(tcp.takeOne(), { sequenceNumber: iss });
  });

  it('restarts the idle time on traffic', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.setKeepAlive(true, 10_000);
    tcp.advance(8_000);
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'hi');
    tcp.advance(200);
    tcp.take();
    tcp.advance(9_700);
    tcp.takeNone();
  });

  it('aborts after unanswered probes', () => {
    const tcp = new TcpHarness();
    const { connection, handler, iss } = tcp.establishPassive();
    connection.setKeepAlive(true, 10_000);
    tcp.advance(10_000);
    let probes = tcp.take().length;
    for (let i = 1; i < KEEPALIVE_PROBES_MAX; i++) {
      tcp.advance(KEEPALIVE_INTERVAL_MS - 1);
      tcp.takeNone();
      tcp.advance(1);
      probes += tcp.take().length;
    }
    assert.equal(probes, KEEPALIVE_PROBES_MAX);
    tcp.advance(KEEPALIVE_INTERVAL_MS);
    assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: seq(iss, 1) });
    assert.equal(connection.state, TcpState.CLOSED);
    assert.equal(handler.closed[0]?.code, 'ETIMEDOUT');
  });

  it('stops probing when disabled', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive();
    connection.setKeepAlive(true, 10_000);
    connection.setKeepAlive(false);
    tcp.advance(100_000);
    tcp.takeNone();
  });
});
