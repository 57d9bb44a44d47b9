// Node's own http server and client over the userspace stack: two
// TcpLayers wired back to back, the server fed with
// server.emit('connection', socket), the client on an active open.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import { SystemClock } from '../../../../src/net/clock';
import { connect, createServer, TcpSocket } from '../../../../src/net/socket';
import { TcpLink } from '../../../helpers/tcp-link';

const PORT = 80;

interface Fixture {
  link: TcpLink;
  httpServer: http.Server;
  connections: TcpSocket[];
  requests: string[];
}

async function serve(handler?: http.RequestListener): Promise<Fixture> {
  const link = new TcpLink({ clock: new SystemClock(), immediate: true });
  const requests: string[] = [];
  const httpServer = http.createServer(
    handler ??
      ((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        const body = `you asked for ${request.url}\n`;
        response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
        response.end(body);
      }),
  );
  const connections: TcpSocket[] = [];
  const tcpServer = createServer(link.b, { noDelay: true }, (socket) => {
    connections.push(socket);
    httpServer.emit('connection', socket);
  });
  tcpServer.listen(PORT);
  await once(tcpServer, 'listening');
  return { link, httpServer, connections, requests };
}

/** Creates an agent whose sockets are active opens on layer A. */
function agentFor(fixture: Fixture, keepAlive: boolean): http.Agent {
  const agent = new http.Agent({ keepAlive, maxSockets: 1 });
  (agent as unknown as { createConnection: () => TcpSocket }).createConnection = () =>
    connect(fixture.link.a, { port: PORT, host: '10.0.0.2' });
  return agent;
}

function get(agent: http.Agent, path: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '10.0.0.2', port: PORT, path, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: response.headers, socket: request.socket }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Reads from a raw socket until `predicate` accepts what arrived, or the peer closes. */
function readUntil(socket: TcpSocket, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (predicate(text)) finish();
    };
    const finish = (): void => {
      socket.off('data', onData);
      socket.off('end', finish);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('error', reject);
  });
}

describe('node http over the tcp stack', function () {
  this.timeout(30_000);

  it('serves a request', async () => {
    const fixture = await serve();
    const agent = agentFor(fixture, false);
    const response = await get(agent, '/index.html');
    assert.equal(response.status, 200);
    assert.equal(response.body, 'you asked for /index.html\n');
    assert.equal(response.headers['content-type'], 'text/plain');
    agent.destroy();
    fixture.link.close();
  });

  it('reuses one connection with keep-alive', async () => {
    const fixture = await serve();
    const agent = agentFor(fixture, true);
    const first = await get(agent, '/one');
    const second = await get(agent, '/two');
    const third = await get(agent, '/three');
    assert.equal(first.body, 'you asked for /one\n');
    assert.equal(second.body, 'you asked for /two\n');
    assert.equal(third.body, 'you asked for /three\n');
    assert.equal(fixture.connections.length, 1);
    assert.equal(first.socket, third.socket);
    agent.destroy();
    fixture.link.close();
  });

  it('answers pipelined requests in order', async () => {
    const fixture = await serve();
    const client = connect(fixture.link.a, { port: PORT, host: '10.0.0.2' });
    await once(client, 'connect');
    client.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await readUntil(client, (received) => (received.match(/you asked for/g) ?? []).length === 3);
    const bodies = [...text.matchAll(/you asked for (\/[a-z])/g)].map((match) => match[1]);
    assert.deepEqual(bodies, ['/a', '/b', '/c']);
    assert.equal((text.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 3);
    assert.deepEqual(fixture.requests, ['GET /a', 'GET /b', 'GET /c']);
    client.destroy();
    fixture.link.close();
  });

  it('closes after Connection: close', async () => {
    const fixture = await serve();
    const client = connect(fixture.link.a, { port: PORT, host: '10.0.0.2' });
    await once(client, 'connect');
    const ended = once(client, 'end');
    client.write('GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await readUntil(client, () => false);
    await ended;
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nConnection: close\r\n/i);
    assert.match(text, /you asked for \/bye\n$/);
    client.end();
    const serverSide = fixture.connections[0];
    if (!serverSide.closed) await once(serverSide, 'close');
    fixture.link.close();
  });

  it('streams a large response with backpressure', async () => {
    const size = 8 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x41);
    let writesBackedUp = 0;
    const fixture = await serve((request, response) => {
      response.writeHead(200, { 'Content-Length': size });
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            writesBackedUp++;
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
    });
    const agent = agentFor(fixture, false);
    const response = await get(agent, '/big');
    assert.equal(response.status, 200);
    assert.equal(response.body.length, size);
    assert.ok(writesBackedUp > 0, 'the response saw backpressure');
    agent.destroy();
    fixture.link.close();
  });

  it('receives a large request body', async () => {
    const size = 2 * 1024 * 1024;
    const fixture = await serve((request, response) => {
      let length = 0;
      request.on('data', (data: Buffer) => {
        length += data.length;
      });
      request.on('end', () => response.end(`got ${length}`));
    });
    const agent = agentFor(fixture, false);
    const body = await new Promise<string>((resolve, reject) => {
      const request = http.request({ host: '10.0.0.2', port: PORT, path: '/upload', method: 'POST', agent }, (response) => {
        let text = '';
        response.on('data', (data: Buffer) => (text += data.toString()));
        response.on('end', () => resolve(text));
      });
      request.on('error', reject);
      request.end(Buffer.alloc(size, 0x42));
    });
    assert.equal(body, `got ${size}`);
    agent.destroy();
    fixture.link.close();
  });
});
