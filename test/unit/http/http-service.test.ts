import * as assert from 'node:assert/strict';
import { HEADERS_MAX_BYTES, URL_MAX_BYTES } from '../../../src/http';
import { fetchOnce, HttpTestClient } from '../../helpers/http-client';
import { BIG, captureLogs, CREATED_AT_HTTP, createTestService, INDEX_HTML, LOGO, NOTES, SERVER_NAME, type TestService } from './fixtures';

function get(target: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: cache\r\n${extraHeaders}\r\n`;
}

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('HTTP service', () => {
  let restoreLogs: () => void;
  let setup: TestService;

  before(() => {
    restoreLogs = captureLogs();
  });

  after(() => restoreLogs());

  beforeEach(() => {
    setup = createTestService();
  });

  afterEach(async () => {
    await setup.service.close();
  });

  describe('URL forms', () => {
    it('serves the default object at /', async () => {
      const response = await fetchOnce(setup.service, get('/'));
      assert.equal(response.statusCode, 200);
      assert.equal(response.body.toString(), INDEX_HTML);
    });

    it('serves the default object at /?', async () => {
      const response = await fetchOnce(setup.service, get('/?'));
      assert.equal(response.body.toString(), INDEX_HTML);
    });

    it('serves an object by lower-case digest', async () => {
      const digest = setup.volume.entry('notes.txt').digestHex;
      const response = await fetchOnce(setup.service, get(`/?${digest}`));
      assert.equal(response.body.toString(), NOTES);
    });

    it('serves an object by upper-case digest', async () => {
      const digest = setup.volume.entry('notes.txt').digestHex.toUpperCase();
      const response = await fetchOnce(setup.service, get(`/?${digest}`));
      assert.equal(response.body.toString(), NOTES);
    });

    it('looks up a wrong-length digest as a name', async () => {
      const response = await fetchOnce(setup.service, get('/?abc'));
      assert.equal(response.statusCode, 200);
      assert.equal(response.body.toString(), 'question\n');
    });

    it('answers a short unknown digest 404', async () => {
      const digest = setup.volume.entry('notes.txt').digestHex.slice(0, -1);
      const response = await fetchOnce(setup.service, get(`/?${digest}`));
      assert.equal(response.statusCode, 404);
    });

    it('cuts arguments off a name', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png?v=2'));
      assert.deepEqual(response.body, LOGO);
    });

    it('drops doubled slashes', async () => {
      const response = await fetchOnce(setup.service, get('//notes.txt'));
      assert.equal(response.body.toString(), NOTES);
    });

    it('percent-decodes names', async () => {
      const response = await fetchOnce(setup.service, get('/my%20file.txt'));
      assert.equal(response.body.toString(), 'spaced\n');
    });

    it('decodes UTF-8 names', async () => {
      const response = await fetchOnce(setup.service, get('/%C2%B5.txt'));
      assert.equal(response.body.toString(), 'micro\n');
    });

    it('answers a malformed escape 400', async () => {
      const response = await fetchOnce(setup.service, get('/bad%zz'));
      assert.equal(response.statusCode, 400);
      assert.match(response.body.toString(), /<h1>400 Bad Request<\/h1>/);
    });

    it('accepts the absolute form', async () => {
      const response = await fetchOnce(setup.service, get('http://cache/notes.txt'));
      assert.equal(response.body.toString(), NOTES);
    });
  });

  describe('object responses', () => {
    it('sends the object headers', async () => {
      const response = await fetchOnce(setup.service, get('/notes.txt'));
      assert.equal(response.statusLine, 'HTTP/1.1 200 OK');
      assert.equal(response.headers['content-type'], 'text/plain');
      assert.equal(response.headers['content-length'], String(Buffer.byteLength(NOTES)));
      assert.equal(response.headers['accept-ranges'], 'bytes');
      assert.equal(response.headers.etag, `"${setup.volume.entry('notes.txt').digestHex}"`);
      assert.equal(response.headers['last-modified'], CREATED_AT_HTTP);
      assert.equal(response.headers.server, SERVER_NAME);
      assert.match(response.headers.date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    });

    it('defaults the media type', async () => {
      const response = await fetchOnce(setup.service, get('/raw.bin'));
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      assert.deepEqual([...response.body], [1, 2, 3]);
    });

    it('serves an empty object', async () => {
      const response = await fetchOnce(setup.service, get('/empty.txt'));
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-length'], '0');
    });

    it('answers HEAD without a body', async () => {
      const client = new HttpTestClient(setup.service);
      client.send(`HEAD /logo.png HTTP/1.1\r\nHost: cache\r\n\r\n${get('/notes.txt')}`);
      const [head, next] = await client.responses(2, [true, false]);
      client.destroy();
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['content-length'], String(LOGO.length));
      assert.equal(head.body.length, 0);
      assert.equal(next.body.toString(), NOTES);
    });

    it('answers an unknown name 404', async () => {
      const response = await fetchOnce(setup.service, get('/missing.txt'));
      assert.equal(response.statusCode, 404);
      assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(response.body.toString(), /No object with this name or digest/);
    });

    it('answers HEAD 404 without a body', async () => {
      const response = await fetchOnce(setup.service, 'HEAD /missing.txt HTTP/1.1\r\nHost: cache\r\n\r\n');
      assert.equal(response.statusCode, 404);
      assert.equal(response.body.length, 0);
    });

    it('answers 404 when nothing is mounted', async () => {
      setup.mounted.volume = undefined;
      const response = await fetchOnce(setup.service, get('/'));
      assert.equal(response.statusCode, 404);
      assert.match(response.body.toString(), /No volume is mounted/);
    });

    it('answers 404 without a default object', async () => {
      const other = createTestService({}, [{ name: 'a.txt', data: 'a' }]);
      const response = await fetchOnce(other.service, get('/'));
      await other.service.close();
      assert.equal(response.statusCode, 404);
    });
  });

  describe('methods and malformed requests', () => {
    it('answers POST 405 with Allow', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request('POST /notes.txt HTTP/1.1\r\nHost: cache\r\nContent-Length: 3\r\n\r\nabc');
      await client.waitForClose();
      assert.equal(response.statusCode, 405);
      assert.equal(response.headers.allow, 'GET, HEAD');
      assert.match(response.body.toString(), /GET and HEAD only/);
    });

    it('answers DELETE 405', async () => {
      const response = await fetchOnce(setup.service, 'DELETE /notes.txt HTTP/1.1\r\nHost: cache\r\n\r\n');
      assert.equal(response.statusCode, 405);
    });

    it('answers an extension method 501', async () => {
      const response = await fetchOnce(setup.service, 'PROPFIND / HTTP/1.1\r\nHost: cache\r\n\r\n');
      assert.equal(response.statusCode, 501);
    });

    it('answers an unknown method 501', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request('FROB / HTTP/1.1\r\nHost: cache\r\n\r\n');
      await client.waitForClose();
      assert.equal(response.statusCode, 501);
      assert.equal(response.headers.server, SERVER_NAME);
      assert.match(response.body.toString(), /not implemented/);
    });

    it('answers garbage 400', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request('\x16\x03\x01\x02\x00\x01\x00\r\n\r\n');
      await client.waitForClose();
      assert.equal(response.statusCode, 400);
    });

    it('answers CONNECT 405', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request('CONNECT origin:443 HTTP/1.1\r\nHost: origin:443\r\n\r\n');
      await client.waitForClose();
      assert.equal(response.statusCode, 405);
      assert.equal(response.headers.allow, 'GET, HEAD');
    });

    it('requires Host in HTTP/1.1', async () => {
      const response = await fetchOnce(setup.service, 'GET / HTTP/1.1\r\n\r\n');
      assert.equal(response.statusCode, 400);
      assert.match(response.body.toString(), /Host header/);
    });

    it('answers a long URL 414', async () => {
      const response = await fetchOnce(setup.service, get(`/${'a'.repeat(URL_MAX_BYTES + 10)}`));
      assert.equal(response.statusCode, 414);
    });

    it('answers large headers 431', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request(get('/', `X-Filler: ${'b'.repeat(HEADERS_MAX_BYTES)}\r\n`));
      await client.waitForClose();
      assert.equal(response.statusCode, 431);
      assert.match(response.body.toString(), /431 Request Header Fields Too Large/);
    });
  });

  describe('ranges', () => {
    it('serves bytes=a-b as 206', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=100-199\r\n'));
      assert.equal(response.statusCode, 206);
      assert.equal(response.headers['content-range'], `bytes 100-199/${LOGO.length}`);
      assert.equal(response.headers['content-length'], '100');
      assert.deepEqual(response.body, LOGO.subarray(100, 200));
    });

    it('serves bytes=a- as 206', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=9000-\r\n'));
      assert.equal(response.headers['content-range'], `bytes 9000-9999/${LOGO.length}`);
      assert.deepEqual(response.body, LOGO.subarray(9000));
    });

    it('serves bytes=-n as 206', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=-10\r\n'));
      assert.equal(response.headers['content-range'], `bytes 9990-9999/${LOGO.length}`);
      assert.deepEqual(response.body, LOGO.subarray(9990));
    });

    it('serves a range across chunks', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=4000-8200\r\n'));
      assert.deepEqual(response.body, LOGO.subarray(4000, 8201));
    });

    it('answers an unsatisfiable range 416', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=20000-\r\n'));
      assert.equal(response.statusCode, 416);
      assert.equal(response.headers['content-range'], `bytes */${LOGO.length}`);
      assert.match(response.body.toString(), /outside the object/);
    });

    it('ignores an invalid range', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=50-10\r\n'));
      assert.equal(response.statusCode, 200);
      assert.equal(response.body.length, LOGO.length);
    });

    it('answers several ranges with the whole object', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=0-9,100-109\r\n'));
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.body, LOGO);
    });

    it('ignores Range on HEAD', async () => {
      const response = await fetchOnce(setup.service, 'HEAD /logo.png HTTP/1.1\r\nHost: cache\r\nRange: bytes=0-9\r\n\r\n');
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-length'], String(LOGO.length));
    });
  });

  describe('conditional requests', () => {
    it('answers a matching If-None-Match 304', async () => {
      const etag = `"${setup.volume.entry('notes.txt').digestHex}"`;
      const response = await fetchOnce(setup.service, get('/notes.txt', `If-None-Match: ${etag}\r\n`));
      assert.equal(response.statusCode, 304);
      assert.equal(response.headers.etag, etag);
      assert.equal(response.body.length, 0);
    });

    it('answers If-None-Match star 304', async () => {
      const response = await fetchOnce(setup.service, get('/notes.txt', 'If-None-Match: *\r\n'));
      assert.equal(response.statusCode, 304);
    });

    it('serves on another If-None-Match', async () => {
      const response = await fetchOnce(setup.service, get('/notes.txt', 'If-None-Match: "other"\r\n'));
      assert.equal(response.statusCode, 200);
    });

    it('answers If-Modified-Since 304', async () => {
      const response = await fetchOnce(setup.service, get('/notes.txt', `If-Modified-Since: ${CREATED_AT_HTTP}\r\n`));
      assert.equal(response.statusCode, 304);
      assert.equal(response.headers['last-modified'], CREATED_AT_HTTP);
    });

    it('serves an older If-Modified-Since', async () => {
      const response = await fetchOnce(setup.service, get('/notes.txt', 'If-Modified-Since: Sun, 14 Jan 2024 10:00:00 GMT\r\n'));
      assert.equal(response.statusCode, 200);
    });

    it('answers a failed If-Match 412', async () => {
      const response = await fetchOnce(setup.service, get('/notes.txt', 'If-Match: "other"\r\n'));
      assert.equal(response.statusCode, 412);
    });

    it('applies the range on a matching If-Range tag', async () => {
      const etag = `"${setup.volume.entry('logo.png').digestHex}"`;
      const response = await fetchOnce(setup.service, get('/logo.png', `Range: bytes=0-9\r\nIf-Range: ${etag}\r\n`));
      assert.equal(response.statusCode, 206);
      assert.deepEqual(response.body, LOGO.subarray(0, 10));
    });

    it('serves the whole object on another If-Range tag', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=0-9\r\nIf-Range: "stale"\r\n'));
      assert.equal(response.statusCode, 200);
      assert.equal(response.body.length, LOGO.length);
    });

    it('applies the range on a matching If-Range date', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', `Range: bytes=0-9\r\nIf-Range: ${CREATED_AT_HTTP}\r\n`));
      assert.equal(response.statusCode, 206);
    });

    it('serves the whole object on another If-Range date', async () => {
      const response = await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=0-9\r\nIf-Range: Sun, 14 Jan 2024 10:00:00 GMT\r\n'));
      assert.equal(response.statusCode, 200);
    });
  });

  describe('connections', () => {
    it('answers three pipelined requests in order', async () => {
      const client = new HttpTestClient(setup.service);
      client.send(get('/logo.png') + get('/notes.txt') + get('/'));
      const responses = await client.responses(3);
      client.destroy();
      assert.deepEqual(responses[0].body, LOGO);
      assert.equal(responses[1].body.toString(), NOTES);
      assert.equal(responses[2].body.toString(), INDEX_HTML);
    });

    it('keeps an HTTP/1.1 connection open', async () => {
      const client = new HttpTestClient(setup.service);
      const first = await client.request(get('/notes.txt'));
      const second = await client.request(get('/'));
      client.destroy();
      assert.equal(first.headers.connection, 'keep-alive');
      assert.equal(second.body.toString(), INDEX_HTML);
    });

    it('closes on Connection: close', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request(get('/notes.txt', 'Connection: close\r\n'));
      await client.waitForClose();
      assert.equal(response.headers.connection, 'close');
    });

    it('closes an HTTP/1.0 connection', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request('GET /notes.txt HTTP/1.0\r\n\r\n');
      await client.waitForClose();
      assert.equal(response.statusLine, 'HTTP/1.1 200 OK');
      assert.equal(response.body.toString(), NOTES);
    });

    it('keeps HTTP/1.0 open on request', async () => {
      const client = new HttpTestClient(setup.service);
      const first = await client.request('GET /notes.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const second = await client.request('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      assert.equal(client.closed, false);
      client.destroy();
      assert.equal(first.headers.connection, 'keep-alive');
      assert.equal(second.body.toString(), INDEX_HTML);
    });

    it('answers a connection over the limit 503', async () => {
      const limited = createTestService({ maxConnections: 2 });
      const first = new HttpTestClient(limited.service);
      const second = new HttpTestClient(limited.service);
      const third = new HttpTestClient(limited.service);
      const response = await third.request(get('/'));
      await third.waitForClose();
      const served = await first.request(get('/notes.txt'));
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '2');
      assert.match(response.body.toString(), /at most 2 connections/);
      assert.equal(served.statusCode, 200);
      assert.equal(limited.service.statistics().connections.rejected, 1);
      first.destroy();
      second.destroy();
      await limited.service.close();
    });

    it('serves again once a slot is free', async () => {
      const limited = createTestService({ maxConnections: 1 });
      const first = new HttpTestClient(limited.service);
      await first.request(get('/'));
      first.destroy();
      await waitMs(10);
      const response = await fetchOnce(limited.service, get('/notes.txt'));
      await limited.service.close();
      assert.equal(response.statusCode, 200);
    });

    it('closes an idle connection', async () => {
      const quick = createTestService({ idleTimeoutMs: 100 });
      const client = new HttpTestClient(quick.service);
      await client.request(get('/'));
      // Node adds one second to the keep-alive timeout before it closes.
      await client.waitForClose(2500);
      await quick.service.close();
      assert.equal(client.closed, true);
    });

    it('answers a slow request header 408', async () => {
      const quick = createTestService({ headersTimeoutMs: 100, idleTimeoutMs: 5000 });
      const client = new HttpTestClient(quick.service);
      client.send('GET / HTTP/1.1\r\nHost: cache\r\n');
      const response = await client.response(false, 1000);
      await client.waitForClose();
      await quick.service.close();
      assert.equal(response.statusCode, 408);
    });

    it('leaves an idle keep-alive connection to the idle timeout', async () => {
      const quick = createTestService({ headersTimeoutMs: 50, idleTimeoutMs: 5000 });
      const client = new HttpTestClient(quick.service);
      await client.request(get('/'));
      await waitMs(150);
      const second = await client.request(get('/notes.txt'));
      client.destroy();
      await quick.service.close();
      assert.equal(second.statusCode, 200);
    });
  });

  describe('reading from the volume', () => {
    it('answers a read error before the header 500', async () => {
      setup.volume.readFault = { name: 'logo.png', offset: 0 };
      const client = new HttpTestClient(setup.service);
      const response = await client.request(get('/logo.png'));
      const next = await client.request(get('/notes.txt'));
      client.destroy();
      assert.equal(response.statusCode, 500);
      assert.match(response.body.toString(), /could not be read/);
      assert.equal(next.statusCode, 200);
    });

    it('answers a read error in a small object 500', async () => {
      // Small bodies are read whole before the header goes out.
      setup.volume.readFault = { name: 'logo.png', offset: 5000 };
      const response = await fetchOnce(setup.service, get('/logo.png'));
      assert.equal(response.statusCode, 500);
    });

    it('cuts the connection on a later read error', async () => {
      setup.volume.readFault = { name: 'big.bin', offset: 100_000 };
      const client = new HttpTestClient(setup.service);
      client.send(get('/big.bin'));
      await client.waitForClose();
      const text = client.bytes.toString('latin1');
      const headerEnd = text.indexOf('\r\n\r\n') + 4;
      assert.match(text, /^HTTP\/1\.1 200 OK/);
      // The chunks before the failing one went out, then the connection was cut.
      const bodyLength = client.bytes.length - headerEnd;
      assert.ok(bodyLength > 0 && bodyLength < 100_000, `body of ${bodyLength} bytes`);
      assert.equal(bodyLength % 4096, 0);
    });

    it('stops reading when the client leaves', async () => {
      setup.volume.readDelayMs = 5;
      const client = new HttpTestClient(setup.service);
      client.send(get('/big.bin'));
      await waitMs(40);
      client.destroy();
      await waitMs(50);
      const readsAfterLeaving = setup.volume.readCalls;
      await waitMs(50);
      assert.ok(readsAfterLeaving < BIG.length / 4096, `read ${readsAfterLeaving} chunks`);
      assert.equal(setup.volume.readCalls, readsAfterLeaving);
      assert.equal(setup.volume.openStreams, 0);
      assert.equal(setup.volume.destroyedStreams, 1);
    });

    it('stops queued reads when the client leaves', async () => {
      setup.volume.readDelayMs = 2;
      const client = new HttpTestClient(setup.service);
      client.socket.pause();
      client.send(get('/big.bin') + get('/big.bin'));
      await waitMs(100);
      const openBefore = setup.volume.openStreams;
      client.destroy();
      await waitMs(50);
      assert.equal(openBefore, 2);
      assert.equal(setup.volume.openStreams, 0);
      assert.equal(setup.volume.destroyedStreams, 2);
    });

    it('closes a client that stops reading', async () => {
      const quick = createTestService({ idleTimeoutMs: 100 });
      const client = new HttpTestClient(quick.service);
      client.socket.pause();
      client.send(get('/big.bin'));
      await client.waitForClose(1000);
      await quick.service.close();
      assert.equal(quick.volume.openStreams, 0);
    });

    it('serves many requests on one connection', async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(warning);
      };
      process.on('warning', onWarning);
      const client = new HttpTestClient(setup.service);
      for (let i = 0; i < 30; i++) await client.request(get(i % 2 === 0 ? '/notes.txt' : '/logo.png'));
      client.destroy();
      await waitMs(10);
      process.off('warning', onWarning);
      assert.deepEqual(warnings.map((warning) => warning.message), []);
    });

    it('holds reads while the client does not read', async () => {
      const client = new HttpTestClient(setup.service);
      client.socket.pause();
      client.send(get('/big.bin'));
      await waitMs(100);
      const reads = setup.volume.readCalls;
      client.destroy();
      assert.ok(reads > 0, 'no chunk was read');
      assert.ok(reads < 32, `read ${reads} of 256 chunks`);
    });

    it('streams a large object completely', async () => {
      const response = await fetchOnce(setup.service, get('/big.bin'));
      assert.equal(response.body.length, BIG.length);
      assert.ok(response.body.equals(BIG));
    });
  });

  describe('statistics', () => {
    it('counts hits, misses and completions', async () => {
      const digest = setup.volume.entry('notes.txt').digestHex;
      const missing = 'f'.repeat(64);
      await fetchOnce(setup.service, get('/notes.txt'));
      await fetchOnce(setup.service, get(`/?${digest}`));
      await fetchOnce(setup.service, get(`/?${missing}`));
      await fetchOnce(setup.service, get('/nothing-here'));
      await waitMs(10);
      const statistics = setup.service.statistics();
      const notes = statistics.objects.find((record) => record.digestHex === digest);
      const miss = statistics.objects.find((record) => record.digestHex === missing);
      assert.equal(notes?.hits, 2);
      assert.equal(notes?.completed, 2);
      assert.deepEqual(notes?.progress, [2, 2, 2]);
      assert.equal(notes?.available, true);
      assert.equal(miss?.misses, 1);
      assert.equal(miss?.available, false);
      assert.equal(statistics.invalidRequests, 1);
    });

    it('counts responses by class', async () => {
      await fetchOnce(setup.service, get('/'));
      await fetchOnce(setup.service, get('/missing'));
      await fetchOnce(setup.service, 'FROB / HTTP/1.1\r\n\r\n');
      await waitMs(10);
      const statistics = setup.service.statistics();
      assert.equal(statistics.requests, 3);
      assert.deepEqual(statistics.responses, { '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 1 });
      assert.equal(statistics.bodyBytesSent, Buffer.byteLength(INDEX_HTML));
    });

    it('counts a range as a partial download', async () => {
      await fetchOnce(setup.service, get('/logo.png', 'Range: bytes=0-5999\r\n'));
      await waitMs(10);
      const record = setup.service.statistics().objects.find((entry) => entry.digestHex === setup.volume.entry('logo.png').digestHex);
      assert.deepEqual(record?.progress, [1, 1, 0]);
      assert.equal(record?.completed, 1);
    });

    it('counts an abort', async () => {
      setup.volume.readDelayMs = 5;
      const client = new HttpTestClient(setup.service);
      client.send(get('/big.bin'));
      await waitMs(40);
      client.destroy();
      await waitMs(30);
      const record = setup.service.statistics().objects.find((entry) => entry.digestHex === setup.volume.entry('big.bin').digestHex);
      assert.equal(record?.aborted, 1);
      assert.equal(record?.completed, 0);
    });

    it('lists connections with their object', async () => {
      setup.volume.readDelayMs = 20;
      const client = new HttpTestClient(setup.service, { client: { address: '10.1.2.3', port: 5555 } });
      client.send(get('/big.bin'));
      await waitMs(60);
      const [info] = setup.service.connections();
      client.destroy();
      assert.equal(info.remoteAddress, '10.1.2.3');
      assert.equal(info.remotePort, 5555);
      assert.equal(info.state, 'responding');
      assert.equal(info.object?.name, 'big.bin');
      assert.ok(info.bodyBytesSent > 0);
    });

    it('counts open connections', async () => {
      const first = new HttpTestClient(setup.service);
      const second = new HttpTestClient(setup.service);
      await first.request(get('/'));
      const counts = setup.service.statistics().connections;
      first.destroy();
      second.destroy();
      assert.deepEqual(counts, { current: 2, max: 16, total: 2, rejected: 0 });
    });
  });

  it('closes every connection on close', async () => {
    const client = new HttpTestClient(setup.service);
    await client.request(get('/'));
    await setup.service.close();
    await client.waitForClose();
    assert.equal(setup.service.connections().length, 0);
  });

  it('rejects an invalid connection limit', () => {
    assert.throws(() => createTestService({ maxConnections: 0 }), /invalid maximum number of HTTP connections 0/);
  });
});
