import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DELAYED_ACK_TIMEOUT_MS, QUICK_ACK_IDLE_MS } from '../../../../src/net/tcp/connection';
import { TcpState } from '../../../../src/net/tcp/state';
import {
  ACK,
  assertSegment,
  FIN,
  PSH,
  REMOTE_ADDRESS,
  REMOTE_ISS,
  REMOTE_PORT,
  RecordingHandler,
  seq,
  SYN,
  TcpHarness,
} from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;

describe('tcp edge cases', () => {
  it('receives across the sequence number wrap', () => {
    const tcp = new TcpHarness();
    const { handler, iss } = tcp.establishPassive({ mss: 1460, sequenceNumber: 0xfffffffa });
    tcp.send({ flags: ACK, sequenceNumber: 0xfffffffb, acknowledgmentNumber: seq(iss, 1), window: 1000 }, 'abcd');
    tcp.send({ flags: ACK, sequenceNumber: 0xffffffff, acknowledgmentNumber: seq(iss, 1), window: 1000 }, 'efgh');
    tcp.send({ flags: ACK | FIN, sequenceNumber: 3, acknowledgmentNumber: seq(iss, 1), window: 1000 }, 'ij');
    assertSegment(tcp.take().pop() ?? assert.fail('no ACK'), { flags: ACK, acknowledgmentNumber: 6 });
    assert.equal(handler.received, 'abcdefghij');
    assert.equal(handler.ended, 1);
  });

  it('reassembles out-of-order data across the wrap', () => {
    const tcp = new TcpHarness();
    const { handler, iss } = tcp.establishPassive({ mss: 1460, sequenceNumber: 0xfffffffa });
    tcp.send({ flags: ACK, sequenceNumber: 1, acknowledgmentNumber: seq(iss, 1), window: 1000 }, 'ghij');
    tcp.send({ flags: ACK, sequenceNumber: 0xfffffffb, acknowledgmentNumber: seq(iss, 1), window: 1000 }, 'abcdef');
    assert.equal(handler.received, 'abcdefghij');
  });

  it('ignores a window update from an older segment', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 5000 }, 'abc');
    assert.equal(connection.sndWnd, 5000);
    // A reordered older segment (lower SEG.SEQ, so SND.WL1 > SEG.SEQ) must not set the window.
    tcp.send({ flags: ACK, sequenceNumber: PEER - 1, acknowledgmentNumber: seq(iss, 1), window: 100 });
    assert.equal(connection.sndWnd, 5000);
  });

  it('takes a window update from a pure ACK with the same sequence number', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 9000 });
    assert.equal(connection.sndWnd, 9000);
  });

  it('sends a challenge ACK for an ACK older than the largest window', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1460 }, 1000);
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, -5000), window: 1000 }, 'data');
    assertSegment(tcp.takeOne(), { flags: ACK, sequenceNumber: seq(iss, 1), acknowledgmentNumber: PEER });
    assert.equal(connection.rcvNxt, PEER);
  });

  it('processes the data of a segment with an old duplicate ACK', () => {
    const tcp = new TcpHarness();
    const { connection, handler, iss } = tcp.establishPassive();
    connection.write(Buffer.from('abc'));
    tcp.take();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 4), window: 65535 });
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 2), window: 65535 }, 'late');
    assert.equal(handler.received, 'late');
    assert.equal(connection.sndUna, seq(iss, 4));
  });

  it('acknowledges data at once after the peer was idle', () => {
    const tcp = new TcpHarness();
    const { iss } = tcp.establishPassive();
    tcp.advance(QUICK_ACK_IDLE_MS);
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'after a pause');
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 13 });
  });

  it('delays ACKs in request-response traffic', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'req1');
    connection.write(Buffer.from('resp1'));
    tcp.take();
    tcp.send({ flags: ACK, sequenceNumber: PEER + 4, acknowledgmentNumber: seq(iss, 6), window: 65535 });
    tcp.advance(QUICK_ACK_IDLE_MS * 10);
    tcp.send({ flags: ACK, sequenceNumber: PEER + 4, acknowledgmentNumber: seq(iss, 6), window: 65535 }, 'req2');
    tcp.takeNone();
    tcp.advance(DELAYED_ACK_TIMEOUT_MS);
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 8 });
  });

  it('counts full-sized segments by what the peer sends', () => {
    const tcp = new TcpHarness();
    const { iss } = tcp.establishPassive();
    const segment = Buffer.alloc(1000);
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, segment);
    tcp.takeNone();
    tcp.send({ flags: ACK, sequenceNumber: PEER + 1000, acknowledgmentNumber: seq(iss, 1), window: 65535 }, segment);
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 2000 });
  });

  it('delivers data and FIN carried on the SYN-ACK', () => {
    const tcp = new TcpHarness();
    const handler = new RecordingHandler();
    const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
    const syn = tcp.takeOne();
    tcp.sendTo(
      connection.localPort,
      { flags: SYN | ACK | FIN, sequenceNumber: REMOTE_ISS, acknowledgmentNumber: seq(syn.sequenceNumber, 1), window: 1000 },
      'hi',
    );
    assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: REMOTE_ISS + 4 });
    assert.equal(handler.received, 'hi');
    assert.equal(handler.ended, 1);
    assert.equal(connection.state, TcpState.CLOSE_WAIT);
  });

  it('never sends more than the MSS in one segment', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive({ mss: 700 });
    connection.setNoDelay(true);
    for (let i = 0; i < 10; i++) connection.write(Buffer.alloc(333));
    for (const segment of tcp.take()) assert.ok(segment.payload.length <= 700, `segment of ${segment.payload.length} bytes`);
  });

  it('sends pure ACKs at the highest sequence number sent after a timeout', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive({ mss: 1000 }, 65535, 100);
    connection.write(Buffer.alloc(3000));
    tcp.take();
    tcp.advance(connection.retransmissionTimeout);
    tcp.take();
    assert.equal(connection.sndNxt, seq(iss, 1001));
    tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'x');
    tcp.advance(DELAYED_ACK_TIMEOUT_MS);
    const ack = tcp.take().find((segment) => segment.payload.length === 0);
    assertSegment(ack ?? assert.fail('no pure ACK'), { flags: ACK, sequenceNumber: seq(iss, 3001), acknowledgmentNumber: PEER + 1 });
  });

  it('gives consecutive connections unpredictable initial sequence numbers', () => {
    const tcp = new TcpHarness({ random: randomBytes });
    const isns: number[] = [];
    for (let i = 0; i < 8; i++) {
      tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT });
      isns.push(tcp.takeOne().sequenceNumber);
      tcp.advance(1);
    }
    const differences = isns.slice(1).map((isn, i) => (isn - isns[i]) >>> 0);
    assert.equal(new Set(differences).size, differences.length, `differences ${differences.join(', ')}`);
    const other = new TcpHarness({ random: randomBytes });
    other.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT, localPort: tcp.layer.connections()[0].localPort });
    assert.notEqual(other.takeOne().sequenceNumber, isns[0], 'another key gives another ISN');
  });

  it('uses distinct ephemeral ports', () => {
    const tcp = new TcpHarness();
    const ports = new Set<number>();
    for (let i = 0; i < 50; i++) ports.add(tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }).localPort);
    assert.equal(ports.size, 50);
  });

  it('rejects invalid connect arguments', () => {
    const tcp = new TcpHarness();
    assert.throws(() => tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: 0 }), /invalid remote port 0/);
    assert.throws(() => tcp.layer.connect({ remoteAddress: 0xffffffff, remotePort: 80 }), /not a unicast address/);
  });

  it('sends PSH only on the last segment of the queued data', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive({ mss: 1000 });
    connection.write(Buffer.alloc(2500));
    const flags = tcp.take().map((segment) => segment.flags);
    assert.deepEqual(flags, [ACK, ACK, ACK | PSH]);
  });
});
