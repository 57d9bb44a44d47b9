import * as assert from 'node:assert/strict';
import { TcpState } from '../../../../src/net/tcp/state';
import { RTO_INITIAL_MS } from '../../../../src/net/tcp/retransmit';
import {
  ACK,
  assertSegment,
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

describe('tcp handshake', () => {
  describe('passive open', () => {
    it('answers SYN with SYN-ACK carrying our MSS', () => {
      const tcp = new TcpHarness();
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 29200, mss: 1400 });
      const synAck = tcp.takeOne();
      assertSegment(synAck, {
        sourcePort: LOCAL_PORT,
        destinationPort: REMOTE_PORT,
        flags: SYN | ACK,
        acknowledgmentNumber: REMOTE_ISS + 1,
        window: 65535,
        mss: 1460,
        windowScale: -1,
        sackPermitted: false,
        hasTimestamp: false,
        payload: '',
      });
    });

    it('enters ESTABLISHED on the ACK and accepts', () => {
      const tcp = new TcpHarness();
      const { connection, handler } = tcp.establishPassive();
      assert.equal(connection.state, TcpState.ESTABLISHED);
      assert.equal(handler.established, 0, 'attached after the handshake, so no callback');
      assert.equal(connection.sndUna, seq(connection.iss, 1));
      assert.equal(connection.rcvNxt, REMOTE_ISS + 1);
    });

    it('uses the peer MSS for sending', () => {
      const tcp = new TcpHarness();
      const { connection } = tcp.establishPassive({ mss: 1000 });
      assert.equal(connection.sendMss, 1000);
    });

    it('defaults the peer MSS to 536', () => {
      const tcp = new TcpHarness();
      const { connection } = tcp.establishPassive({});
      assert.equal(connection.sendMss, 536);
    });

    it('caps the send MSS at the route MSS', () => {
      const tcp = new TcpHarness({ mss: 1200 });
      const { connection } = tcp.establishPassive({ mss: 9000 });
      assert.equal(connection.sendMss, 1200);
    });

    it('resends SYN-ACK for a retransmitted SYN', () => {
      const tcp = new TcpHarness();
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 1000, mss: 1460 });
      const first = tcp.takeOne();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 1000, mss: 1460 });
      const second = tcp.takeOne();
      assertSegment(second, { flags: SYN | ACK, sequenceNumber: first.sequenceNumber, acknowledgmentNumber: REMOTE_ISS + 1 });
    });

    it('retransmits SYN-ACK with back-off, then gives up', () => {
      const tcp = new TcpHarness();
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 1000, mss: 1460 });
      const synAck = tcp.takeOne();
      const delays = [1000, 2000, 4000, 8000, 16000];
      for (const delay of delays) {
        tcp.advance(delay - 1);
        tcp.takeNone();
        tcp.advance(1);
        assertSegment(tcp.takeOne(), { flags: SYN | ACK, sequenceNumber: synAck.sequenceNumber });
      }
      tcp.advance(32000);
      tcp.takeNone();
      assert.equal(tcp.layer.connectionTotal, 0);
    });

    it('answers a bad ACK in SYN-RECEIVED with RST', () => {
      const tcp = new TcpHarness();
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 1000 });
      const synAck = tcp.takeOne();
      tcp.send({ flags: ACK, sequenceNumber: REMOTE_ISS + 1, acknowledgmentNumber: seq(synAck.sequenceNumber, 5), window: 1000 });
      assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: seq(synAck.sequenceNumber, 5), acknowledgmentNumber: 0 });
    });

    it('takes data on the handshake ACK', () => {
      const tcp = new TcpHarness();
      const { accepted } = tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 1000 });
      const synAck = tcp.takeOne();
      tcp.send({ flags: ACK, sequenceNumber: REMOTE_ISS + 1, acknowledgmentNumber: seq(synAck.sequenceNumber, 1), window: 1000 }, 'GET /');
      assert.equal(accepted.length, 1);
      assert.equal(accepted[0].handler.received, 'GET /');
    });

    it('ignores data on the SYN', () => {
      const tcp = new TcpHarness();
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 1000 }, 'early');
      assertSegment(tcp.takeOne(), { flags: SYN | ACK, acknowledgmentNumber: REMOTE_ISS + 1 });
    });
  });

  describe('active open', () => {
    it('sends SYN with our MSS and no other option when disabled', () => {
      const tcp = new TcpHarness();
      tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT });
      const syn = tcp.takeOne();
      assertSegment(syn, {
        flags: SYN,
        acknowledgmentNumber: 0,
        destinationPort: REMOTE_PORT,
        window: 65535,
        mss: 1460,
        windowScale: -1,
        sackPermitted: false,
        hasTimestamp: false,
      });
      assert.ok(syn.sourcePort >= 49152, `ephemeral port ${syn.sourcePort}`);
    });

    it('completes on SYN-ACK and sends ACK', () => {
      const tcp = new TcpHarness();
      const handler = new RecordingHandler();
      const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
      const syn = tcp.takeOne();
      tcp.sendTo(connection.localPort, {
        flags: SYN | ACK,
        sequenceNumber: REMOTE_ISS,
        acknowledgmentNumber: seq(syn.sequenceNumber, 1),
        window: 8000,
        mss: 1200,
      });
      assertSegment(tcp.takeOne(), {
        flags: ACK,
        sequenceNumber: seq(syn.sequenceNumber, 1),
        acknowledgmentNumber: REMOTE_ISS + 1,
        window: 65535,
        payload: '',
      });
      assert.equal(connection.state, TcpState.ESTABLISHED);
      assert.equal(handler.established, 1);
      assert.equal(connection.sendMss, 1200);
      assert.equal(connection.sndWnd, 8000);
    });

    it('retransmits SYN with back-off and fails with ETIMEDOUT', () => {
      const tcp = new TcpHarness();
      const handler = new RecordingHandler();
      tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
      const syn = tcp.takeOne();
      let delay = RTO_INITIAL_MS;
      for (let i = 0; i < 6; i++) {
        tcp.advance(delay - 1);
        tcp.takeNone();
        tcp.advance(1);
        assertSegment(tcp.takeOne(), { flags: SYN, sequenceNumber: syn.sequenceNumber });
        delay *= 2;
      }
      tcp.advance(delay);
      tcp.takeNone();
      assert.equal(handler.closed.length, 1);
      assert.equal(handler.closed[0]?.code, 'ETIMEDOUT');
    });

    it('sends the data written before the handshake completes', () => {
      const tcp = new TcpHarness();
      const handler = new RecordingHandler();
      const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
      const syn = tcp.takeOne();
      connection.write(Buffer.from('hello'));
      tcp.takeNone();
      tcp.sendTo(connection.localPort, {
        flags: SYN | ACK,
        sequenceNumber: REMOTE_ISS,
        acknowledgmentNumber: seq(syn.sequenceNumber, 1),
        window: 8000,
        mss: 1460,
      });
      assertSegment(tcp.takeOne(), {
        flags: ACK | 0x08,
        sequenceNumber: seq(syn.sequenceNumber, 1),
        acknowledgmentNumber: REMOTE_ISS + 1,
        payload: 'hello',
      });
    });

    it('answers a SYN-ACK with a wrong ACK with RST', () => {
      const tcp = new TcpHarness();
      const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT });
      const syn = tcp.takeOne();
      tcp.sendTo(connection.localPort, {
        flags: SYN | ACK,
        sequenceNumber: REMOTE_ISS,
        acknowledgmentNumber: seq(syn.sequenceNumber, 7),
        window: 8000,
      });
      assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: seq(syn.sequenceNumber, 7) });
      assert.equal(connection.state, TcpState.SYN_SENT);
    });

    it('is refused by RST with an acceptable ACK', () => {
      const tcp = new TcpHarness();
      const handler = new RecordingHandler();
      const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
      const syn = tcp.takeOne();
      tcp.sendTo(connection.localPort, { flags: RST | ACK, sequenceNumber: 0, acknowledgmentNumber: seq(syn.sequenceNumber, 1) });
      tcp.takeNone();
      assert.equal(connection.state, TcpState.CLOSED);
      assert.equal(handler.closed[0]?.code, 'ECONNREFUSED');
    });

    it('ignores RST without ACK in SYN-SENT', () => {
      const tcp = new TcpHarness();
      const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT });
      tcp.takeOne();
      tcp.sendTo(connection.localPort, { flags: RST, sequenceNumber: 0 });
      tcp.takeNone();
      assert.equal(connection.state, TcpState.SYN_SENT);
    });

    it('ignores RST with an unacceptable ACK in SYN-SENT', () => {
      const tcp = new TcpHarness();
      const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT });
      const syn = tcp.takeOne();
      tcp.sendTo(connection.localPort, { flags: RST | ACK, sequenceNumber: 0, acknowledgmentNumber: seq(syn.sequenceNumber, 100) });
      tcp.takeNone();
      assert.equal(connection.state, TcpState.SYN_SENT);
    });

    it('handles simultaneous open', () => {
      const tcp = new TcpHarness();
      const handler = new RecordingHandler();
      const connection = tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT }, handler);
      const syn = tcp.takeOne();
      tcp.sendTo(connection.localPort, { flags: SYN, sequenceNumber: REMOTE_ISS, window: 4000, mss: 1460 });
      assertSegment(tcp.takeOne(), {
        flags: SYN | ACK,
        sequenceNumber: syn.sequenceNumber,
        acknowledgmentNumber: REMOTE_ISS + 1,
        mss: 1460,
      });
      assert.equal(connection.state, TcpState.SYN_RECEIVED);
      tcp.sendTo(connection.localPort, {
        flags: SYN | ACK,
        sequenceNumber: REMOTE_ISS,
        acknowledgmentNumber: seq(syn.sequenceNumber, 1),
        window: 4000,
      });
      // The peer's SYN-ACK acknowledges our SYN: ESTABLISHED, nothing more to send.
      tcp.takeNone();
      assert.equal(connection.state, TcpState.ESTABLISHED);
      assert.equal(handler.established, 1);
    });
  });
});
