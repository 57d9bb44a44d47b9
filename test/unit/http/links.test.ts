import * as assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpTestClient, fetchOnce } from '../../helpers/http-client';
import type { FakeObject } from '../../helpers/fake-volume';
import { createSocketPair } from '../../helpers/socket-pair';
import { captureLogs, createTestService, type TestService } from './fixtures';

const ORIGIN_ADDRESS = '10.0.0.5';
const ORIGIN_PORT = 8080;
const ORIGIN_NAME = 'origin.example';
const VIDEO = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));

const LINKS: FakeObject[] = [
  { name: 'movie-redirect', link: { type: 'redirect', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'videos/a.mp4' } },
  { name: 'movie-raw', link: { type: 'raw', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'videos/a.mp4' } },
  { name: 'movie-auto', link: { type: 'auto', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'videos/a.mp4' } },
  { name: 'named-raw', link: { type: 'raw', host: ORIGIN_NAME, hostType: 'name', port: 80, path: 'videos/a.mp4' } },
  { name: 'unknown-name', link: { type: 'raw', host: 'nowhere.example', hostType: 'name', port: 80, path: 'x' } },
  { name: 'dead-raw', link: { type: 'raw', host: '10.0.0.99', hostType: 'ipv4', port: 80, path: 'x' } },
  { name: 'dead-auto', link: { type: 'auto', host: '10.0.0.99', hostType: 'ipv4', port: 80, path: 'y/z' } },
  { name: 'missing', link: { type: 'raw', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'missing' } },
  { name: 'slow', link: { type: 'raw', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'slow' } },
  { name: 'stall', link: { type: 'raw', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'stall' } },
  { name: 'broken', link: { type: 'raw', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'broken' } },
  { name: 'garbage', link: { type: 'raw', host: '10.0.0.66', hostType: 'ipv4', port: 80, path: 'g' } },
  { name: 'v6', link: { type: 'raw', host: 'fd00::5', hostType: 'ipv6', port: 80, path: 'v' } },
  { name: 'spaced-redirect', link: { type: 'redirect', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'my video/ü%41.mp4' } },
  { name: 'spaced-raw', link: { type: 'raw', host: ORIGIN_ADDRESS, hostType: 'ipv4', port: ORIGIN_PORT, path: 'my video/ü.mp4' } },
];

interface OriginLog {
  requests: IncomingMessage[];
  closedResponses: number;
}

function startOrigin(log: OriginLog): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    log.requests.push(req);
    res.once('close', () => log.closedResponses++);
    switch (req.url) {
      case '/videos/a.mp4': {
        if (req.headers.range === 'bytes=0-9') {
          res.writeHead(206, { 'Content-Type': 'video/mp4', 'Content-Range': `bytes 0-9/${VIDEO.length}`, 'Content-Length': 10 });
          res.end(VIDEO.subarray(0, 10));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': VIDEO.length, ETag: '"v1"', 'X-Secret': 'internal', 'Keep-Alive': 'timeout=99' });
        res.end(VIDEO);
        return;
      }
      case '/missing':
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not at origin\n');
        return;
      case '/slow':
        // No response at all, so the response timeout applies.
        return;
      case '/stall':
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.write(VIDEO.subarray(0, 1000));
        // The rest never comes: the body idle timeout applies.
        return;
      case '/broken':
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': VIDEO.length });
        res.write(VIDEO.subarray(0, 1000), () => res.destroy());
        return;
      default:
        res.writeHead(500);
        res.end();
    }
  });
}

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function get(target: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: cache\r\n${extraHeaders}\r\n`;
}

describe('HTTP links', () => {
  let restoreLogs: () => void;
  let origin: Server;
  let originLog: OriginLog;
  let connects: string[];
  let setup: TestService;

  before(() => {
    restoreLogs = captureLogs();
  });

  after(() => restoreLogs());

  beforeEach(() => {
    originLog = { requests: [], closedResponses: 0 };
    origin = startOrigin(originLog);
    connects = [];
    setup = createTestService(
      {
        originTimeouts: { connectMs: 200, responseMs: 200, idleMs: 200 },
        connectOrigin: async (host: string, port: number): Promise<Duplex> => {
          connects.push(`${host}:${port}`);
          if (host === '10.0.0.66') {
            const [client, server] = createSocketPair();
            server.on('data', () => server.end('this is not HTTP\r\n\r\n'));
            return client;
          }
          if (host !== ORIGIN_ADDRESS) throw Object.assign(new Error(`connect ECONNREFUSED ${host}:${port}`), { code: 'ECONNREFUSED' });
          const [client, server] = createSocketPair({ server: { address: host, port } });
          origin.emit('connection', server);
          return client;
        },
        resolveHost: async (name: string): Promise<string> => {
          if (name === ORIGIN_NAME) return ORIGIN_ADDRESS;
          throw new Error(`${name}: name not found (NXDOMAIN)`);
        },
      },
      LINKS,
    );
  });

  afterEach(async () => {
    await setup.service.close();
  });

  it('redirects a redirect link with 307', async () => {
    const response = await fetchOnce(setup.service, get('/movie-redirect'));
    assert.equal(response.statusCode, 307);
    assert.equal(response.headers.location, 'http://10.0.0.5:8080/videos/a.mp4');
    assert.match(response.body.toString(), /<a href="http:\/\/10\.0\.0\.5:8080\/videos\/a\.mp4">/);
    assert.equal(connects.length, 0);
  });

  it('encodes a redirect path', async () => {
    const response = await fetchOnce(setup.service, get('/spaced-redirect'));
    assert.equal(response.headers.location, 'http://10.0.0.5:8080/my%20video/%C3%BC%41.mp4');
  });

  it('encodes an origin request path', async () => {
    await fetchOnce(setup.service, get('/spaced-raw'));
    assert.equal(originLog.requests[0].url, '/my%20video/%C3%BC.mp4');
  });

  it('fetches a raw link from the origin', async () => {
    const response = await fetchOnce(setup.service, get('/movie-raw'));
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.body, VIDEO);
    assert.equal(response.headers['content-type'], 'video/mp4');
    assert.equal(response.headers.etag, '"v1"');
    assert.equal(response.headers.server, 'MiniCache/0.1.0 (Linux)');
  });

  it('leaves origin-only headers out', async () => {
    const response = await fetchOnce(setup.service, get('/movie-raw'));
    assert.equal(response.headers['x-secret'], undefined);
    assert.notEqual(response.headers['keep-alive'], 'timeout=99');
  });

  it('sends the origin request', async () => {
    await fetchOnce(setup.service, get('/movie-raw', 'Accept: video/*\r\nCookie: secret=1\r\n'));
    const [request] = originLog.requests;
    assert.deepEqual(connects, ['10.0.0.5:8080']);
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/videos/a.mp4');
    assert.equal(request.headers.host, '10.0.0.5:8080');
    assert.equal(request.headers['user-agent'], 'MiniCache/0.1.0 (Linux)');
    assert.equal(request.headers.accept, 'video/*');
    assert.equal(request.headers.cookie, undefined);
  });

  it('forwards a range to the origin', async () => {
    const response = await fetchOnce(setup.service, get('/movie-raw', 'Range: bytes=0-9\r\n'));
    assert.equal(response.statusCode, 206);
    assert.equal(response.headers['content-range'], `bytes 0-9/${VIDEO.length}`);
    assert.deepEqual(response.body, VIDEO.subarray(0, 10));
  });

  it('sends HEAD to the origin', async () => {
    const response = await fetchOnce(setup.service, 'HEAD /movie-raw HTTP/1.1\r\nHost: cache\r\n\r\n');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-length'], String(VIDEO.length));
    assert.equal(originLog.requests[0].method, 'HEAD');
  });

  it('resolves a host name first', async () => {
    const response = await fetchOnce(setup.service, get('/named-raw'));
    assert.deepEqual(response.body, VIDEO);
    assert.deepEqual(connects, ['10.0.0.5:80']);
    assert.equal(originLog.requests[0].headers.host, ORIGIN_NAME);
  });

  it('passes an origin 404 through', async () => {
    const response = await fetchOnce(setup.service, get('/missing'));
    assert.equal(response.statusCode, 404);
    assert.equal(response.body.toString(), 'not at origin\n');
  });

  it('fetches an auto link from a reachable origin', async () => {
    const response = await fetchOnce(setup.service, get('/movie-auto'));
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.body, VIDEO);
  });

  it('answers an unreachable raw origin 503', async () => {
    const response = await fetchOnce(setup.service, get('/dead-raw'));
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['retry-after'], '2');
    assert.match(response.body.toString(), /origin server of this object cannot be reached/);
  });

  it('redirects an unreachable auto origin', async () => {
    const response = await fetchOnce(setup.service, get('/dead-auto'));
    assert.equal(response.statusCode, 307);
    assert.equal(response.headers.location, 'http://10.0.0.99:80/y/z');
  });

  it('answers an unresolvable name 503', async () => {
    const response = await fetchOnce(setup.service, get('/unknown-name'));
    assert.equal(response.statusCode, 503);
    assert.equal(connects.length, 0);
  });

  it('answers an IPv6 origin 503', async () => {
    const response = await fetchOnce(setup.service, get('/v6'));
    assert.equal(response.statusCode, 503);
  });

  it('answers 503 without origin access', async () => {
    const isolated = createTestService({}, LINKS);
    const raw = await fetchOnce(isolated.service, get('/movie-raw'));
    const auto = await fetchOnce(isolated.service, get('/movie-auto'));
    await isolated.service.close();
    assert.equal(raw.statusCode, 503);
    assert.equal(auto.statusCode, 307);
  });

  it('answers a connect timeout 503', async () => {
    const hanging = createTestService({ originTimeouts: { connectMs: 50 }, connectOrigin: () => new Promise<Duplex>(() => undefined) }, LINKS);
    const started = Date.now();
    const response = await fetchOnce(hanging.service, get('/movie-raw'));
    await hanging.service.close();
    assert.equal(response.statusCode, 503);
    assert.ok(Date.now() - started < 1000);
  });

  it('answers a silent origin 504', async () => {
    const response = await fetchOnce(setup.service, get('/slow'));
    assert.equal(response.statusCode, 504);
    assert.match(response.body.toString(), /did not respond in time/);
  });

  it('answers an invalid origin response 502', async () => {
    const response = await fetchOnce(setup.service, get('/garbage'));
    assert.equal(response.statusCode, 502);
  });

  it('cuts the connection when the origin stalls', async () => {
    const client = new HttpTestClient(setup.service);
    client.send(get('/stall'));
    await client.waitForClose(2000);
    assert.match(client.bytes.toString('latin1'), /^HTTP\/1\.1 200 OK/);
  });

  it('cuts the connection when the origin breaks off', async () => {
    const client = new HttpTestClient(setup.service);
    client.send(get('/broken'));
    await client.waitForClose(2000);
    const text = client.bytes.toString('latin1');
    assert.match(text, new RegExp(`Content-Length: ${VIDEO.length}`));
    assert.ok(client.bytes.length - (text.indexOf('\r\n\r\n') + 4) < VIDEO.length);
  });

  it('ends the origin fetch when the client leaves', async () => {
    const client = new HttpTestClient(setup.service);
    client.send(get('/stall'));
    await waitMs(50);
    client.destroy();
    await waitMs(50);
    assert.equal(originLog.closedResponses, 1);
  });

  it('counts origin failures', async () => {
    await fetchOnce(setup.service, get('/dead-raw'));
    await fetchOnce(setup.service, get('/dead-auto'));
    assert.equal(setup.service.statistics().originFailures, 2);
  });

  it('counts link hits', async () => {
    await fetchOnce(setup.service, get('/movie-raw'));
    await waitMs(10);
    const digest = setup.volume.entry('movie-raw').digestHex;
    const record = setup.service.statistics().objects.find((entry) => entry.digestHex === digest);
    assert.equal(record?.hits, 1);
    assert.equal(record?.completed, 1);
  });
});
