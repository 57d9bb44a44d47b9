import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { SystemClock } from '../../../../src/net/clock';
import { connect, createServer, TcpServer, TcpSocket } from '../../../../src/net/socket';
import { TcpLink } from '../../../helpers/tcp-link';

const PORT = 7000;

/** Two layers on the real clock, with a server on B that hands each socket to `onSocket`. */
async function setup(onSocket: (socket: TcpSocket) => void, layer = {}): Promise<{ link: TcpLink; server: TcpServer }> {
  const link = new TcpLink({ clock: new SystemClock(), immediate: true, layer });
  const server = createServer(link.b, onSocket);
  server.listen(PORT);
  await once(server, 'listening');
  return { link, server };
}

/** Resolves on 'close' whether or not 'error' came first (events.once would reject). */
function closed(socket: TcpSocket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function collect(socket: TcpSocket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

describe('tcp sockets', function () {
  this.timeout(20_000);

  it('connects and reports both endpoints', async () => {
    let serverSide: TcpSocket | undefined;
    const { link, server } = await setup((socket) => {
      serverSide = socket;
    });
    const client = connect(link.a, { port: PORT, host: '10.0.0.2' });
    await once(client, 'connect');
    // The server accepts when the handshake ACK arrives, just after the client's 'connect'.
    await once(server, 'connection');
    assert.equal(client.remoteAddress, '10.0.0.2');
    assert.equal(client.remotePort, PORT);
    assert.equal(client.remoteFamily, 'IPv4');
    assert.equal(client.localAddress, '10.0.0.1');
    assert.ok((client.localPort ?? 0) >= 49152);
    assert.ok(serverSide !== undefined);
    assert.equal(serverSide.remoteAddress, '10.0.0.1');
    assert.equal(serverSide.remotePort, client.localPort);
    assert.equal(serverSide.localPort, PORT);
    assert.deepEqual(server.address(), { address: '0.0.0.0', family: 'IPv4', port: PORT });
    client.destroy();
    serverSide.destroy();
    link.close();
  });

  it('echoes data and closes cleanly', async () => {
    const { link, server } = await setup((socket) => socket.pipe(socket));
    const client = connect(link.a, { port: PORT, host: '10.0.0.2' });
    const received = collect(client);
    const clientClosed = closed(client);
    client.end('hello over tcp');
    assert.equal((await received).toString(), 'hello over tcp');
    await clientClosed;
    assert.equal(client.bytesRead, 14);
    assert.equal(client.bytesWritten, 14);
    server.close();
    await once(server, 'close');
    link.close();
  });

  it('moves a large body both ways with backpressure', async () => {
    // Larger than the send buffer (SEND_BUFFER_DEFAULT_BYTES) plus the receive buffer, so writes must wait.
    const size = 12 * 1024 * 1024;
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 7) & 0xff;
    const { link } = await setup((socket) => socket.pipe(socket));
    const client = connect(link.a, { port: PORT, host: '10.0.0.2' });
    const received = collect(client);
    let falseWrites = 0;
    for (let offset = 0; offset < size; offset += 64 * 1024) {
      if (!client.write(body.subarray(offset, offset + 64 * 1024))) {
        falseWrites++;
        await once(client, 'drain');
      }
    }
    client.end();
    const echoed = await received;
    assert.equal(echoed.length, size);
    assert.equal(echoed.equals(body), true);
    assert.ok(falseWrites > 0, 'write() returned false at least once');
    link.close();
  });

  it('closes the window while the reader is paused and reopens it', async () => {
    let serverSide: TcpSocket | undefined;
    const { link } = await setup((socket) => {
      serverSide = socket;
      socket.pause();
    }, { receiveBufferBytes: 64 * 1024 });
    const client = connect(link.a, { port: PORT, host: '10.0.0.2' });
    await once(client, 'connect');
    const payload = Buffer.alloc(200 * 1024, 0x5a);
    client.end(payload);
    // Give the transfer time to fill the 64 KiB receive buffer.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(serverSide !== undefined);
    // The last sliver of window, less than an MSS, stays unused (sender SWS avoidance).
    assert.ok(serverSide.readableLength <= 64 * 1024, `unread ${serverSide.readableLength} fits the receive buffer`);
    assert.ok(serverSide.readableLength > 64 * 1024 - 1460, `unread ${serverSide.readableLength} fills the receive buffer`);
    const clientConnection = link.a.connections()[0];
    assert.ok(clientConnection.sendQueueBytes > 100 * 1024, 'the sender is blocked by the zero window');
    const received = collect(serverSide);
    serverSide.resume();
    const data = await received;
    assert.equal(data.length, payload.length);
    link.close();
  });

  it('emits timeout after the idle time', async () => {
    let serverSide: TcpSocket | undefined;
    const { link } = await setup((socket) => {
      serverSide = socket;
    });
    const client = connect(link.a, { port: PORT, host: '10.0.0.2' });
    await once(client, 'connect');
    const started = Date.now();
    client.setTimeout(100);
    await once(client, 'timeout');
    assert.ok(Date.now() - started >= 95, 'not before the timeout');
    assert.equal(client.destroyed, false, 'timeout does not close the socket');
    client.destroy();
    serverSide?.destroy();
    link.close();
  });

  it('fails with ECONNREFUSED on a closed port', async () => {
    const { link } = await setup(() => undefined);
    const client = connect(link.a, { port: PORT + 1, host: '10.0.0.2' });
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
    link.close();
  });

  it('rejects a host that is not an IPv4 address', async () => {
    const { link } = await setup(() => undefined);
    const client = connect(link.a, { port: PORT, host: 'example.org' });
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'EINVAL');
    assert.match(error.message, /example\.org/);
    link.close();
  });

  it('reports EADDRINUSE for a second listener', async () => {
    const { link } = await setup(() => undefined);
    const second = createServer(link.b);
    second.listen(PORT);
    const [error] = (await once(second, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'EADDRINUSE');
    link.close();
  });

  it('resets connections over maxConnections only when asked', async () => {
    const link = new TcpLink({ clock: new SystemClock(), immediate: true });
    const server = createServer(link.b, { resetOverLimit: true });
    server.maxConnections = 1;
    const drops: unknown[] = [];
    server.on('drop', (info) => drops.push(info));
    server.listen(PORT);
    await once(server, 'listening');
    const first = connect(link.a, { port: PORT, host: '10.0.0.2' });
    await once(first, 'connect');
    await once(server, 'connection');
    const second = connect(link.a, { port: PORT, host: '10.0.0.2' });
    const [error] = (await once(second, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
    assert.equal(drops.length, 1);
    first.destroy();
    link.close();
  });

  it('accepts over maxConnections by default', async () => {
    const link = new TcpLink({ clock: new SystemClock(), immediate: true });
    const server = createServer(link.b);
    server.maxConnections = 1;
    server.listen(PORT);
    await once(server, 'listening');
    let accepted = 0;
    server.on('connection', () => accepted++);
    const first = connect(link.a, { port: PORT, host: '10.0.0.2' });
    await once(first, 'connect');
    const second = connect(link.a, { port: PORT, host: '10.0.0.2' });
    await once(second, 'connect');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(accepted, 2);
    assert.equal(server.connectionCount, 2);
    first.destroy();
    second.destroy();
    link.close();
  });

  it('resets the peer on resetAndDestroy', async () => {
    let serverSide: TcpSocket | undefined;
    const { link } = await setup((socket) => {
      serverSide = socket;
    });
    const client = connect(link.a, { port: PORT, host: '10.0.0.2' });
    await once(client, 'connect');
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(serverSide !== undefined);
    const serverClosed = closed(serverSide);
    const errored = once(serverSide, 'error');
    client.resetAndDestroy();
    const [error] = (await errored) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
    await serverClosed;
    link.close();
  });

  it('sends written buffers without copying them', async () => {
    const { link } = await setup(() => undefined);
    const seen: Uint8Array[] = [];
    const client = new TcpSocket({ stack: link.a });
    client.connect(PORT, '10.0.0.2');
    await once(client, 'connect');
    const originalOutput = (link.a as unknown as { outputSegment: (segment: { payload: readonly Uint8Array[] }) => void }).outputSegment;
    (link.a as unknown as { outputSegment: (segment: { payload: readonly Uint8Array[] }) => void }).outputSegment = (segment) => {
      seen.push(...segment.payload);
      originalOutput(segment as never);
    };
    const data = Buffer.alloc(1000, 0x33);
    client.write(data);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].buffer, data.buffer);
    client.destroy();
    link.close();
  });
});
