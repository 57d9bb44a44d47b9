import * as assert from 'node:assert/strict';
import { TcpState } from '../../../../src/net/tcp/state';
import { ACK, assertSegment, REMOTE_ADDRESS, REMOTE_ISS, REMOTE_PORT, seq, SYN, TcpHarness } from '../../../helpers/tcp-harness';

const PEER = REMOTE_ISS + 1;
const ALL_OPTIONS = { windowScaling: true, timestamps: true, sack: true, receiveBufferBytes: 256 * 1024 };

describe('tcp options', () => {
  describe('window scale', () => {
    it('answers a SYN with window scale with our shift', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 64240, mss: 1460, windowScale: 7 });
      assertSegment(tcp.takeOne(), { flags: SYN | ACK, windowScale: 3, window: 65535, mss: 1460 });
    });

    it('offers no window scale to a SYN without it', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 64240, mss: 1460 });
      assertSegment(tcp.takeOne(), { flags: SYN | ACK, windowScale: -1, sackPermitted: false, hasTimestamp: false });
    });

    it('scales the window we advertise after the handshake', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection, iss } = tcp.establishPassive({ mss: 1460, windowScale: 7 });
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 512 }, 'x');
      connection.write(Buffer.from('y'));
      // 256 KiB of buffer >> 3.
      assertSegment(tcp.takeOne(), { window: 32768, payload: 'y' });
    });

    it('scales the window the peer advertises', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection, iss } = tcp.establishPassive({ mss: 1460, windowScale: 7 });
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 100 });
      assert.equal(connection.sndWnd, 12800);
    });

    it('clamps the peer shift at 14', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection } = tcp.establishPassive({ mss: 1460, windowScale: 20 });
      assert.equal(connection.sndWndScale, 14);
    });

    it('takes the SYN window unscaled', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 1000, mss: 1460, windowScale: 7 });
      tcp.take();
      const connection = tcp.layer['table'].values().next().value;
      assert.equal(connection?.sndWnd, 1000);
    });

    it('turns scaling off when the SYN-ACK has no window scale', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection } = tcp.establishActive({ mss: 1460 });
      assert.equal(connection.windowScalingEnabled, false);
      assert.equal(connection.rcvWndScale, 0);
      assert.equal(connection.sndWndScale, 0);
    });
  });

  describe('active open', () => {
    it('offers every option in the SYN', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      tcp.layer.connect({ remoteAddress: REMOTE_ADDRESS, remotePort: REMOTE_PORT });
      const syn = tcp.takeOne();
      assertSegment(syn, { flags: SYN, mss: 1460, windowScale: 3, sackPermitted: true, hasTimestamp: true, timestampEchoReply: 0 });
      assert.equal(syn.headerLength, 40);
    });

    it('enables the options the SYN-ACK returns', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection } = tcp.establishActive({
        mss: 1400,
        windowScale: 2,
        sackPermitted: true,
        hasTimestamp: true,
        timestampValue: 5000,
        timestampEchoReply: 0,
      });
      assert.equal(connection.state, TcpState.ESTABLISHED);
      assert.equal(connection.windowScalingEnabled, true);
      assert.equal(connection.sndWndScale, 2);
      assert.equal(connection.timestampsEnabled, true);
      assert.equal(connection.sackEnabled, true);
      assert.equal(connection.effectiveSendMss, 1400 - 12);
    });
  });

  describe('timestamps', () => {
    const TS_SYN = { mss: 1460, hasTimestamp: true, timestampValue: 7000, timestampEchoReply: 0 };

    it('echoes the SYN timestamp in the SYN-ACK', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      tcp.listen();
      tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 64240, ...TS_SYN });
      assertSegment(tcp.takeOne(), { flags: SYN | ACK, hasTimestamp: true, timestampEchoReply: 7000 });
    });

    it('carries timestamps on every segment after the handshake', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection, iss } = tcp.establishPassive(TS_SYN);
      tcp.send(
        { flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 512, hasTimestamp: true, timestampValue: 7100, timestampEchoReply: 1 },
        'req',
      );
      connection.write(Buffer.from('resp'));
      const segment = tcp.takeOne();
      assertSegment(segment, { hasTimestamp: true, timestampEchoReply: 7100, payload: 'resp' });
      assert.equal(segment.headerLength, 32);
    });

    it('shortens the payload by the timestamp option', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection } = tcp.establishPassive(TS_SYN);
      connection.write(Buffer.alloc(3000));
      const segments = tcp.take();
      assert.equal(segments[0].payload.length, 1448);
    });

    it('drops a segment with an old timestamp (PAWS) and sends an ACK', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { handler, iss } = tcp.establishPassive(TS_SYN);
      tcp.send(
        { flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 512, hasTimestamp: true, timestampValue: 8000, timestampEchoReply: 1 },
        'new',
      );
      tcp.advance(500);
      tcp.take();
      tcp.send(
        { flags: ACK, sequenceNumber: PEER + 3, acknowledgmentNumber: seq(iss, 1), window: 512, hasTimestamp: true, timestampValue: 7500, timestampEchoReply: 1 },
        'old',
      );
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER + 3, timestampEchoReply: 8000 });
      assert.equal(handler.received, 'new');
      assert.equal(tcp.layer.counters().dropped.paws, 1);
    });

    it('measures the RTT from the echoed timestamp', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection, iss } = tcp.establishPassive(TS_SYN, 65535, 40);
      connection.write(Buffer.from('data'));
      const sent = tcp.takeOne();
      tcp.advance(60);
      // The peer echoes our TSval after 60 ms.
      tcp.send({
        flags: ACK,
        sequenceNumber: PEER,
        acknowledgmentNumber: seq(iss, 5),
        window: 512,
        hasTimestamp: true,
        timestampValue: 7200,
        timestampEchoReply: sent.timestampValue,
      });
      // First sample 40 (handshake), then 60: SRTT = 7/8 * 40 + 1/8 * 60.
      assert.equal(connection.rto.srtt, 42.5);
    });
  });

  describe('selective acknowledgments', () => {
    const SACK_SYN = { mss: 1000, sackPermitted: true };

    it('reports out-of-order data in SACK blocks', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { iss } = tcp.establishPassive(SACK_SYN);
      tcp.send({ flags: ACK, sequenceNumber: PEER + 100, acknowledgmentNumber: seq(iss, 1), window: 512 }, 'x'.repeat(50));
      assertSegment(tcp.takeOne(), { flags: ACK, acknowledgmentNumber: PEER, sackBlocks: [PEER + 100, PEER + 150] });
      tcp.send({ flags: ACK, sequenceNumber: PEER + 300, acknowledgmentNumber: seq(iss, 1), window: 512 }, 'y'.repeat(50));
      assertSegment(tcp.takeOne(), { acknowledgmentNumber: PEER, sackBlocks: [PEER + 300, PEER + 350, PEER + 100, PEER + 150] });
    });

    it('shortens data segments that carry SACK blocks', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection, iss } = tcp.establishPassive(SACK_SYN);
      // Out-of-order data from the peer: our data segments now carry a SACK block.
      tcp.send({ flags: ACK, sequenceNumber: PEER + 100, acknowledgmentNumber: seq(iss, 1), window: 65535 }, 'x'.repeat(50));
      tcp.take();
      connection.write(Buffer.alloc(3000, 0x41));
      const segments = tcp.take().filter((segment) => segment.payload.length > 0);
      assert.ok(segments.length >= 2, `${segments.length} data segments`);
      for (const segment of segments) {
        assert.deepEqual(segment.sackBlocks, [PEER + 100, PEER + 150]);
        // MSS 1000 minus one SACK block with its option header (4 + 8): options never push a segment past the MSS.
        assert.ok(segment.payload.length <= 1000 - 12, `payload of ${segment.payload.length} bytes`);
      }
      assert.equal(segments[0].payload.length, 988);
    });

    it('sends no SACK blocks once the gap is filled', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { iss } = tcp.establishPassive(SACK_SYN);
      tcp.send({ flags: ACK, sequenceNumber: PEER + 100, acknowledgmentNumber: seq(iss, 1), window: 512 }, 'x'.repeat(50));
      tcp.take();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 512 }, 'x'.repeat(100));
      assertSegment(tcp.takeOne(), { acknowledgmentNumber: PEER + 150, sackBlocks: [] });
    });

    it('retransmits only the holes the peer reports', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection, iss } = tcp.establishPassive(SACK_SYN, 65535, 100);
      connection.congestion.cwnd = 8000;
      connection.write(Buffer.alloc(8000, 7));
      assert.equal(tcp.take().length, 8);
      // Segments 1 and 4 are lost; the peer SACKs 2-3 and 5-8.
      const sack = (blocks: number[]): void =>
        tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 1), window: 512, sackBlocks: blocks });
      sack([seq(iss, 1001), seq(iss, 3001)]);
      sack([seq(iss, 4001), seq(iss, 6001), seq(iss, 1001), seq(iss, 3001)]);
      sack([seq(iss, 4001), seq(iss, 8001), seq(iss, 1001), seq(iss, 3001)]);
      const retransmitted = tcp.take().map((segment) => (segment.sequenceNumber - iss) >>> 0);
      assert.deepEqual(retransmitted, [1, 3001]);
      assert.equal(connection.congestion.inFastRecovery, true);
    });

    it('leaves recovery when the recovery point is acknowledged', () => {
      const tcp = new TcpHarness(ALL_OPTIONS);
      const { connection, iss } = tcp.establishPassive(SACK_SYN, 65535, 100);
      connection.congestion.cwnd = 8000;
      connection.write(Buffer.alloc(8000, 7));
      tcp.take();
      for (let i = 0; i < 3; i++) {
        tcp.send({
          flags: ACK,
          sequenceNumber: PEER,
          acknowledgmentNumber: seq(iss, 1),
          window: 512,
          sackBlocks: [seq(iss, 1001), seq(iss, 2001 + i * 1000)],
        });
      }
      tcp.take();
      tcp.send({ flags: ACK, sequenceNumber: PEER, acknowledgmentNumber: seq(iss, 8001), window: 512 });
      assert.equal(connection.congestion.inFastRecovery, false);
      assert.equal(connection.congestion.cwnd, connection.congestion.ssthresh);
    });
  });
});
