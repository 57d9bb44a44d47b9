import * as assert from 'node:assert/strict';
import { TcpState } from '../../../../src/net/tcp/state';
import { fillTcpChecksum } from '../../../../src/net/wire/tcp';
import {
  ACK,
  assertSegment,
  buildSegment,
  LOCAL_ADDRESS,
  LOCAL_PORT,
  REMOTE_ADDRESS,
  REMOTE_ISS,
  RecordingHandler,
  RST,
  seq,
  SYN,
  TcpHarness,
} from '../../../helpers/tcp-harness';

/** Sends a SYN from a distinct remote port and returns our SYN-ACK, if any. */
function synFrom(tcp: TcpHarness, port: number, isn = REMOTE_ISS): ReturnType<TcpHarness['take']> {
  tcp.send({ sourcePort: port, flags: SYN, sequenceNumber: isn, window: 65535, mss: 1460 });
  return tcp.take();
}

describe('tcp listener', () => {
  it('bounds the half-open queue without SYN cookies', () => {
    const tcp = new TcpHarness({ synCookies: false });
    tcp.layer.listen({ port: LOCAL_PORT, backlog: 2, handler: { onConnection: () => undefined } });
    assert.equal(synFrom(tcp, 1001).length, 1);
    assert.equal(synFrom(tcp, 1002).length, 1);
    assert.equal(synFrom(tcp, 1003).length, 0);
    assert.equal(tcp.layer.counters().dropped['half-open-queue-full'], 1);
  });

  it('answers with SYN cookies when the half-open queue is full', () => {
    const tcp = new TcpHarness();
    tcp.layer.listen({ port: LOCAL_PORT, backlog: 1, handler: { onConnection: () => undefined } });
    synFrom(tcp, 1001);
    const [cookieSynAck] = synFrom(tcp, 1002, 5000);
    assertSegment(cookieSynAck, {
      flags: SYN | ACK,
      destinationPort: 1002,
      acknowledgmentNumber: 5001,
      mss: 1460,
      windowScale: -1,
      sackPermitted: false,
      hasTimestamp: false,
    });
    assert.equal(tcp.layer.counters().synCookiesSent, 1);
    assert.equal(tcp.layer.connectionTotal, 1, 'no state for the cookie');
  });

  it('lets a client connect through a SYN flood', () => {
    const tcp = new TcpHarness({ windowScaling: true, timestamps: true, sack: true });
    const accepted: Array<{ handler: RecordingHandler }> = [];
    tcp.layer.listen({
      port: LOCAL_PORT,
      backlog: 16,
      handler: {
        onConnection: (connection) => {
          const handler = new RecordingHandler();
          connection.attach(handler);
          accepted.push({ handler });
        },
      },
    });
    // A flood from spoofed ports that never completes its handshakes.
    for (let port = 2000; port < 2200; port++) synFrom(tcp, port, port * 1000);
    assert.equal(tcp.layer.counters().connectionsByState['SYN-RECEIVED'], 16);

    const [synAck] = synFrom(tcp, 3000, 77777);
    assert.equal(synAck.flags, SYN | ACK);
    tcp.send({ sourcePort: 3000, flags: ACK, sequenceNumber: 77778, acknowledgmentNumber: seq(synAck.sequenceNumber, 1), window: 1000 }, 'GET /');
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].handler.received, 'GET /');
    assert.equal(tcp.layer.counters().synCookiesAccepted, 1);
    const [ack] = tcp.take();
    assert.equal(ack, undefined, 'the first data segment is acknowledged later (delayed ACK)');
  });

  it('answers an ACK with a forged cookie with RST', () => {
    const tcp = new TcpHarness();
    tcp.layer.listen({ port: LOCAL_PORT, backlog: 1, handler: { onConnection: () => undefined } });
    synFrom(tcp, 1001);
    synFrom(tcp, 1002, 5000);
    tcp.send({ sourcePort: 1002, flags: ACK, sequenceNumber: 5001, acknowledgmentNumber: 123456, window: 1000 });
    assertSegment(tcp.takeOne(), { flags: RST, sequenceNumber: 123456 });
    assert.equal(tcp.layer.connectionTotal, 1);
  });

  it('ignores the handshake ACK while the accept queue is full', () => {
    const tcp = new TcpHarness();
    const { listener, accepted } = tcp.listen(1);
    listener.pause();
    const [first] = synFrom(tcp, 1001);
    tcp.send({ sourcePort: 1001, flags: ACK, sequenceNumber: REMOTE_ISS + 1, acknowledgmentNumber: seq(first.sequenceNumber, 1), window: 1000 });
    assert.equal(listener.acceptQueue.length, 1);
    // A second handshake cannot start while the queue is full: its SYN is dropped.
    assert.equal(synFrom(tcp, 1002).length, 0);
    assert.equal(tcp.layer.counters().dropped['accept-queue-full'], 1);
    listener.resume();
    assert.equal(accepted.length, 1);
    assert.equal(listener.acceptQueue.length, 0);
  });

  it('hands out queued connections with their data on resume', () => {
    const tcp = new TcpHarness();
    const { listener, accepted } = tcp.listen();
    listener.pause();
    const [synAck] = synFrom(tcp, 1001);
    tcp.send(
      { sourcePort: 1001, flags: ACK, sequenceNumber: REMOTE_ISS + 1, acknowledgmentNumber: seq(synAck.sequenceNumber, 1), window: 1000 },
      'early data',
    );
    assert.equal(accepted.length, 0);
    listener.resume();
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].handler.received, 'early data');
  });

  it('rejects a SYN with RST|ACK when the admission hook refuses', () => {
    const tcp = new TcpHarness();
    tcp.layer.listen({ port: LOCAL_PORT, handler: { onConnection: () => undefined, admitConnection: () => false } });
    tcp.send({ flags: SYN, sequenceNumber: REMOTE_ISS, window: 65535 });
    assertSegment(tcp.takeOne(), { flags: RST | ACK, sequenceNumber: 0, acknowledgmentNumber: REMOTE_ISS + 1 });
  });

  it('resets half-open connections when it closes', () => {
    const tcp = new TcpHarness();
    const { listener } = tcp.listen();
    const [synAck] = synFrom(tcp, 1001);
    listener.close();
    assertSegment(tcp.takeOne(), { flags: RST, destinationPort: 1001, sequenceNumber: seq(synAck.sequenceNumber, 1) });
    assert.equal(tcp.layer.connectionTotal, 0);
    assertSegment(synFrom(tcp, 1002)[0], { flags: RST | ACK });
  });

  it('prefers a listener on the exact address over the wildcard', () => {
    const tcp = new TcpHarness();
    const hits: string[] = [];
    tcp.layer.listen({ port: 81, address: LOCAL_ADDRESS, handler: { onConnection: () => hits.push('exact') } });
    assert.throws(() => tcp.layer.listen({ port: 81, handler: { onConnection: () => undefined } }), { code: 'EADDRINUSE' });
    tcp.send({ destinationPort: 81, flags: SYN, sequenceNumber: 1, window: 100 });
    assert.equal(tcp.take()[0].flags, SYN | ACK);
  });

  it('picks a free port for port 0', () => {
    const tcp = new TcpHarness();
    const listener = tcp.layer.listen({ port: 0, handler: { onConnection: () => undefined } });
    assert.ok(listener.port >= 49152, `port ${listener.port}`);
    assert.ok(listener.port <= 65535, `port ${listener.port}`);
  });

  it('rejects an invalid port', () => {
    const tcp = new TcpHarness();
    assert.throws(() => tcp.layer.listen({ port: 70000, handler: { onConnection: () => undefined } }), /invalid port 70000/);
  });
});

describe('tcp layer input checks', () => {
  it('drops a segment with a bad checksum without answering', () => {
    const tcp = new TcpHarness();
    const bytes = buildSegment({ flags: SYN, sequenceNumber: 1, window: 100 });
    bytes[16] ^= 0xff;
    tcp.layer.input(REMOTE_ADDRESS, LOCAL_ADDRESS, bytes);
    tcp.takeNone();
    assert.equal(tcp.layer.counters().dropped.checksum, 1);
  });

  it('drops a truncated segment', () => {
    const tcp = new TcpHarness();
    tcp.layer.input(REMOTE_ADDRESS, LOCAL_ADDRESS, new Uint8Array(12));
    tcp.takeNone();
    assert.equal(tcp.layer.counters().dropped.checksum, 1);
  });

  it('drops a segment with a malformed option', () => {
    const tcp = new TcpHarness();
    tcp.listen();
    // MSS option with length 3: the checksum is valid, the option is not.
    const bytes = buildSegment({ flags: SYN, sequenceNumber: 1, window: 100, mss: 1460 });
    bytes[21] = 3;
    const checksumFixed = buildSegmentWithRawOptions(bytes);
    tcp.layer.input(REMOTE_ADDRESS, LOCAL_ADDRESS, checksumFixed);
    tcp.takeNone();
    assert.equal(tcp.layer.counters().dropped.malformed, 1);
  });

  it('drops segments for other addresses', () => {
    const tcp = new TcpHarness();
    tcp.listen();
    tcp.layer.input(REMOTE_ADDRESS, LOCAL_ADDRESS + 5, buildSegment({ flags: SYN, sequenceNumber: 1, window: 100 }, undefined, REMOTE_ADDRESS, LOCAL_ADDRESS + 5));
    tcp.takeNone();
    assert.equal(tcp.layer.counters().dropped['not-local'], 1);
  });

  it('ignores a SYN from a multicast source', () => {
    const tcp = new TcpHarness();
    tcp.listen();
    tcp.send({ flags: SYN, sequenceNumber: 1, window: 100 }, '', 0xe0000001);
    tcp.takeNone();
    assert.equal(tcp.layer.counters().dropped['invalid-source'], 1);
  });

  it('counts connections by state', () => {
    const tcp = new TcpHarness();
    tcp.establishPassive();
    tcp.send({ sourcePort: 5555, flags: SYN, sequenceNumber: 9, window: 100 });
    const counters = tcp.layer.counters();
    assert.equal(counters.connectionsByState.LISTEN, 1);
    assert.equal(counters.connectionsByState.ESTABLISHED, 1);
    assert.equal(counters.connectionsByState['SYN-RECEIVED'], 1);
    assert.equal(counters.passiveOpens, 2);
    assert.equal(counters.segmentsReceived, 3);
    assert.equal(counters.segmentsSent, 2);
  });

  it('lists connections for diagnostics', () => {
    const tcp = new TcpHarness();
    const { connection } = tcp.establishPassive();
    connection.write(Buffer.from('pending'));
    assert.deepEqual(tcp.layer.connections(), [
      { localAddress: '10.0.0.1', localPort: 80, remoteAddress: '10.0.0.2', remotePort: 40000, state: 'ESTABLISHED', sendQueueBytes: 7 },
    ]);
    assert.equal(connection.state, TcpState.ESTABLISHED);
  });
});

/** Recomputes the checksum of a segment whose header bytes were edited by hand. */
function buildSegmentWithRawOptions(bytes: Uint8Array): Uint8Array {
  const headerLength = (bytes[12] >>> 4) * 4;
  const header = bytes.slice(0, headerLength);
  const payload = bytes.subarray(headerLength);
  fillTcpChecksum(REMOTE_ADDRESS, LOCAL_ADDRESS, header, [payload], payload.length);
  const result = new Uint8Array(bytes.length);
  result.set(header);
  result.set(payload, headerLength);
  return result;
}
