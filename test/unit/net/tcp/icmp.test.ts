import * as assert from 'node:assert/strict';
import { TcpState } from '../../../../src/net/tcp/state';
import {
  ACK,
  assertSegment,
  LOCAL_ADDRESS,
  REMOTE_ADDRESS,
  REMOTE_ISS,
  REMOTE_PORT,
  RecordingHandler,
  seq,
  TcpHarness,
} from '../../../helpers/tcp-harness';

/** Returns the first 8 bytes of a TCP header we sent, as an ICMP error quotes them. */
function quote(localPort: number, remotePort: number, sequence: number): Uint8Array {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt16BE(localPort, 0);
  bytes.writeUInt16BE(remotePort, 2);
  bytes.writeUInt32BE(sequence >>> 0, 4);
  return bytes;
}

const DESTINATION_UNREACHABLE = 3;
const TIME_EXCEEDED = 11;

describe('tcp icmp errors', () => {
  it('fails an active open on port unreachable', () => {
    const tcp = new TcpHarness();
    const handler = new RecordingHandler();
    const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
    const syn = tcp.takeOne();
    tcp.layer.icmpError(LOCAL_ADDRESS, REMOTE_ADDRESS, quote(connection.localPort, REMOTE_PORT, syn.sequenceNumber), DESTINATION_UNREACHABLE, 3);
    assert.equal(connection.state, TcpState.CLOSED);
    assert.equal(handler.closed[0]?.code, 'ECONNREFUSED');
  });

  it('ignores an error quoting a sequence number outside the send window', () => {
    const tcp = new TcpHarness();
    const handler = new RecordingHandler();
    const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
    const syn = tcp.takeOne();
    tcp.layer.icmpError(LOCAL_ADDRESS, REMOTE_ADDRESS, quote(connection.localPort, REMOTE_PORT, syn.sequenceNumber + 1000), DESTINATION_UNREACHABLE, 3);
    assert.equal(connection.state, TcpState.SYN_SENT);
  });

  it('keeps an established connection on a hard error', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.write(Buffer.from('data'));
    tcp.take();
    tcp.layer.icmpError(LOCAL_ADDRESS, REMOTE_ADDRESS, quote(80, REMOTE_PORT, seq(iss, 1)), DESTINATION_UNREACHABLE, 3);
    assert.equal(connection.state, TcpState.ESTABLISHED);
    assert.equal(connection.softError, 'ECONNREFUSED');
  });

  it('reports a soft error when the connection later times out', () => {
    const tcp = new TcpHarness();
    const { connection, handler, iss } = tcp.establishPassive({ mss: 1460 }, 65535, 100);
    connection.write(Buffer.from('data'));
    tcp.take();
    tcp.layer.icmpError(LOCAL_ADDRESS, REMOTE_ADDRESS, quote(80, REMOTE_PORT, seq(iss, 1)), TIME_EXCEEDED, 0);
    for (let i = 0; i < 30 && connection.state !== TcpState.CLOSED; i++) tcp.advance(60_000);
    assert.equal(handler.closed[0]?.code, 'EHOSTUNREACH');
  });

  it('lowers the MSS on fragmentation needed and resends', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.write(Buffer.alloc(1460, 0x61));
    tcp.take();
    tcp.layer.icmpError(LOCAL_ADDRESS, REMOTE_ADDRESS, quote(80, REMOTE_PORT, seq(iss, 1)), DESTINATION_UNREACHABLE, 4, 1000);
    assert.equal(connection.sendMss, 960);
    const segments = tcp.take();
    assertSegment(segments[0], { flags: ACK, sequenceNumber: seq(iss, 1), payload: Buffer.alloc(960, 0x61) });
  });

  it('ignores source quench', () => {
    const tcp = new TcpHarness();
    const { connection, iss } = tcp.establishPassive();
    connection.write(Buffer.from('data'));
    tcp.take();
    tcp.layer.icmpError(LOCAL_ADDRESS, REMOTE_ADDRESS, quote(80, REMOTE_PORT, seq(iss, 1)), 4, 0);
    assert.equal(connection.softError, undefined);
    void REMOTE_ISS;
  });
});
