// Hostile and careless HTTP clients against the HTTP service, over in-memory
// socket pairs. They send malformed request lines and fields, absurd ranges,
// junk in conditional fields, percent-encoding tricks and pipelining floods.
// Others leave early, request links, or use a real volume that is unmounted
// while it is served.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { HEADERS_MAX_BYTES, HttpService, URL_MAX_BYTES } from '../../../src/http';
import { PIPELINED_REQUESTS_MAX } from '../../../src/http/http-service';
import { mountVolume, type ShfsVolume } from '../../../src/shfs/volume';
import type { FakeObject } from '../../helpers/fake-volume';
import { FIXTURES_DIR } from '../../helpers/fixtures-dir';
import { fetchOnce, HttpTestClient, type ParsedResponse } from '../../helpers/http-client';
import { captureLogs, CREATED_AT_HTTP, createTestService, LOGO, NOTES, OBJECTS, SERVER_NAME, type TestService } from '../http/fixtures';

function get(target: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: cache\r\n${extraHeaders}\r\n`;
}

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends raw bytes on a new connection and returns the first response. */
async function exchange(service: HttpService, bytes: string, head = false): Promise<ParsedResponse> {
  const client = new HttpTestClient(service);
  try {
    client.send(bytes);
    return await client.response(head);
  } finally {
    client.destroy();
  }
}

const MEDIUM = Buffer.alloc(100 * 1024, 0x6d);

const EXTRA_OBJECTS: FakeObject[] = [
  ...OBJECTS,
  { name: 'dir/page.html', data: '<p>page</p>\n', mime: 'text/html' },
  // Above the size that is sent with one write, so it goes through the stream path.
  { name: 'medium.bin', data: MEDIUM },
  { name: 'future.txt', data: 'from the future\n', mime: 'text/plain', createdAt: new Date(Date.UTC(2100, 0, 1)) },
  { name: 'bad-host', link: { type: 'redirect', host: 'evil.example\r\nSet-Cookie: a=b', hostType: 'name', port: 80, path: 'x' } },
  { name: 'raw-link', link: { type: 'raw', host: '10.0.0.5', hostType: 'ipv4', port: 8080, path: 'a' } },
];

describe('adversarial HTTP', () => {
  let restoreLogs: () => void;
  let setup: TestService;

  before(() => {
    restoreLogs = captureLogs();
  });

  after(() => restoreLogs());

  beforeEach(() => {
    setup = createTestService({}, EXTRA_OBJECTS);
  });

  afterEach(async () => {
    await setup.service.close();
  });

  describe('request lines and fields', () => {
    const cases: Array<[string, string, number]> = [
      ['lower-case method', 'get / HTTP/1.1\r\nHost: cache\r\n\r\n', 501],
      ['10 000-byte method', `${'A'.repeat(10_000)} / HTTP/1.1\r\nHost: cache\r\n\r\n`, 501],
      ['NUL in the method', 'GE\0T / HTTP/1.1\r\nHost: cache\r\n\r\n', 400],
      ['control byte in a field', 'GET / HTTP/1.1\r\nHost: cache\r\nX-A: a\x01b\r\n\r\n', 400],
      ['NUL in a field', 'GET / HTTP/1.1\r\nHost: cache\r\nX-A: a\0b\r\n\r\n', 400],
      ['space before the colon', 'GET / HTTP/1.1\r\nHost : cache\r\n\r\n', 400],
      ['folded field', 'GET / HTTP/1.1\r\nHost: cache\r\nX-A: a\r\n b\r\n\r\n', 400],
      ['bare LF line ends', 'GET / HTTP/1.1\nHost: cache\n\n', 400],
      ['Content-Length with Transfer-Encoding', 'GET / HTTP/1.1\r\nHost: cache\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['negative Content-Length', 'GET / HTTP/1.1\r\nHost: cache\r\nContent-Length: -1\r\n\r\n', 400],
      ['20-digit Content-Length', 'GET / HTTP/1.1\r\nHost: cache\r\nContent-Length: 99999999999999999999\r\n\r\n', 400],
      ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
      ['Host with a blank', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
      ['Host with a slash', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 400],
      ['version 2.0', 'GET / HTTP/2.0\r\nHost: cache\r\n\r\n', 505],
      ['version 0.9', 'GET / HTTP/0.9\r\nHost: cache\r\n\r\n', 505],
      ['version 3.7', 'GET / HTTP/3.7\r\nHost: cache\r\n\r\n', 400],
      ['asterisk-form GET', 'GET * HTTP/1.1\r\nHost: cache\r\n\r\n', 404],
      ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: cache\r\n\r\n', 405],
    ];
    for (const [name, request, status] of cases) {
      it(`answers ${name} ${status}`, async () => {
        const response = await exchange(setup.service, request);
        assert.equal(response.statusCode, status);
      });
    }

    it('answers a port-only Host 200', async () => {
      const response = await exchange(setup.service, 'GET /notes.txt HTTP/1.1\r\nHost: [fd00::1]:8080\r\n\r\n');
      assert.equal(response.body.toString(), NOTES);
    });

    it('serves with 1900 header fields', async () => {
      const response = await exchange(setup.service, get('/notes.txt', 'X-A: 1\r\n'.repeat(1900)));
      assert.equal(response.statusCode, 200);
      assert.equal(response.body.toString(), NOTES);
    });

    it('answers a header trickled past the limit 431', async () => {
      const client = new HttpTestClient(setup.service);
      client.send('GET / HTTP/1.1\r\nHost: cache\r\n');
      for (let sent = 0; sent <= HEADERS_MAX_BYTES; sent += 1000) client.send(`X-Filler-${sent}: ${'f'.repeat(980)}\r\n`);
      const response = await client.response();
      await client.waitForClose();
      assert.equal(response.statusCode, 431);
    });

    it('answers a 20 KiB target 431', async () => {
      const client = new HttpTestClient(setup.service);
      const response = await client.request(get(`/${'a'.repeat(20 * 1024)}`));
      await client.waitForClose();
      assert.equal(response.statusCode, 431);
    });

    it('accepts a target of exactly the maximum', async () => {
      const response = await fetchOnce(setup.service, get(`/${'a'.repeat(URL_MAX_BYTES - 1)}`));
      assert.equal(response.statusCode, 404);
    });

    it('answers one byte over the maximum 414', async () => {
      const response = await fetchOnce(setup.service, get(`/${'a'.repeat(URL_MAX_BYTES)}`));
      assert.equal(response.statusCode, 414);
    });
  });

  describe('percent-encoding', () => {
    it('looks up %00 as a name', async () => {
      const response = await fetchOnce(setup.service, get('/%00'));
      assert.equal(response.statusCode, 404);
      assert.match(response.body.toString(), /No object with this name or digest/);
    });

    it('decodes %2F into the name', async () => {
      const response = await fetchOnce(setup.service, get('/dir%2Fpage.html'));
      assert.equal(response.body.toString(), '<p>page</p>\n');
    });

    it('serves a name with a slash', async () => {
      const response = await fetchOnce(setup.service, get('/dir/page.html'));
      assert.equal(response.body.toString(), '<p>page</p>\n');
    });

    for (const target of ['/%C0%AF', '/%E0%80%AF', '/%ED%A0%80', '/%FF', '/%', '/a%4', '/%G1', '/%%41']) {
      it(`answers ${target} 400`, async () => {
        const response = await fetchOnce(setup.service, get(target));
        assert.equal(response.statusCode, 400);
        assert.match(response.body.toString(), /malformed percent-encoding/);
      });
    }

    it('answers raw UTF-8 in the target 400', async () => {
      const response = await exchange(setup.service, Buffer.from('GET /µ.txt HTTP/1.1\r\nHost: cache\r\n\r\n', 'utf8').toString('latin1'));
      assert.equal(response.statusCode, 400);
    });
  });

  describe('ranges', () => {
    const cases: Array<[string, string, number, string | undefined, number]> = [
      ['a 23-digit last-pos', 'bytes=0-99999999999999999999999', 206, `bytes 0-9999/${LOGO.length}`, LOGO.length],
      ['a 20-digit first-pos', 'bytes=99999999999999999999-', 416, `bytes */${LOGO.length}`, -1],
      ['a 400-digit suffix', `bytes=-${'9'.repeat(400)}`, 206, `bytes 0-9999/${LOGO.length}`, LOGO.length],
      ['a zero suffix', 'bytes=-0', 416, `bytes */${LOGO.length}`, -1],
      ['overlapping ranges', 'bytes=0-5,3-8', 200, undefined, LOGO.length],
      ['101 ranges', `bytes=${Array.from({ length: 101 }, () => '1-2').join(',')}`, 200, undefined, LOGO.length],
      ['only commas', 'bytes=,,,', 200, undefined, LOGO.length],
      ['another unit', 'items=0-1', 200, undefined, LOGO.length],
      ['no equals sign', 'bytes 0-1', 200, undefined, LOGO.length],
      ['a negative first-pos', 'bytes=-5-10', 200, undefined, LOGO.length],
      ['hex positions', 'bytes=0x10-0x20', 200, undefined, LOGO.length],
      ['upper-case unit', 'BYTES=0-0', 206, `bytes 0-0/${LOGO.length}`, 1],
    ];
    for (const [name, range, status, contentRange, length] of cases) {
      it(`answers ${name} ${status}`, async () => {
        const response = await fetchOnce(setup.service, get('/logo.png', `Range: ${range}\r\n`));
        assert.equal(response.statusCode, status);
        assert.equal(response.headers['content-range'], contentRange);
        if (length >= 0) assert.equal(response.body.length, length);
      });
    }

    it('answers a range of an empty object 416', async () => {
      const response = await fetchOnce(setup.service, get('/empty.txt', 'Range: bytes=0-\r\n'));
      assert.equal(response.statusCode, 416);
      assert.equal(response.headers['content-range'], 'bytes */0');
    });

    it('ignores an unsatisfiable range on HEAD', async () => {
      const response = await exchange(setup.service, 'HEAD /logo.png HTTP/1.1\r\nHost: cache\r\nRange: bytes=20000-\r\n\r\n', true);
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-length'], String(LOGO.length));
      assert.equal(response.body.length, 0);
    });
  });

  describe('conditional fields with junk', () => {
    const cases: Array<[string, string, number]> = [
      ['If-Modified-Since 3000', 'If-Modified-Since: 3000', 200],
      ['If-Modified-Since 2030', 'If-Modified-Since: 2030', 200],
      ['If-Modified-Since with a second member', `If-Modified-Since: ${CREATED_AT_HTTP}, junk`, 200],
      ['If-Modified-Since 31 Feb', 'If-Modified-Since: Sat, 31 Feb 2024 10:00:00 GMT', 200],
      ['If-Modified-Since 25:00', 'If-Modified-Since: Mon, 15 Jan 2024 25:00:00 GMT', 200],
      ['If-Modified-Since in local time', 'If-Modified-Since: Mon, 15 Jan 2024 10:00:00 CET', 200],
      ['If-Modified-Since as rfc850-date', 'If-Modified-Since: Monday, 15-Jan-24 10:00:00 GMT', 304],
      ['If-Modified-Since as asctime-date', 'If-Modified-Since: Mon Jan 15 10:00:00 2024', 304],
      ['If-Unmodified-Since 1999', 'If-Unmodified-Since: 1999', 200],
      ['If-None-Match with an open quote', 'If-None-Match: "unterminated', 200],
      ['If-None-Match with commas only', 'If-None-Match: ,,,', 200],
      ['If-Match without a tag', 'If-Match: garbage', 412],
      ['If-Range 3000 with a range', 'If-Range: 3000\r\nRange: bytes=0-9', 200],
    ];
    for (const [name, field, status] of cases) {
      it(`answers ${name} ${status}`, async () => {
        const response = await fetchOnce(setup.service, get('/logo.png', `${field}\r\n`));
        assert.equal(response.statusCode, status);
      });
    }

    it('sends no Last-Modified in the future', async () => {
      const response = await fetchOnce(setup.service, get('/future.txt'));
      const lastModified = Date.parse(response.headers['last-modified']);
      assert.equal(response.statusCode, 200);
      assert.ok(lastModified <= Date.parse(response.headers.date), `Last-Modified ${response.headers['last-modified']} after Date ${response.headers.date}`);
    });
  });

  describe('pipelining', () => {
    it('answers the maximum of pipelined requests in order', async () => {
      const client = new HttpTestClient(setup.service);
      client.send(Array.from({ length: PIPELINED_REQUESTS_MAX }, (_, i) => get(i % 2 === 0 ? '/notes.txt' : '/logo.png')).join(''));
      const responses = await client.responses(PIPELINED_REQUESTS_MAX, [], 5000);
      client.destroy();
      assert.equal(responses.length, PIPELINED_REQUESTS_MAX);
      assert.equal(responses[PIPELINED_REQUESTS_MAX - 2].body.toString(), NOTES);
      assert.deepEqual(responses[PIPELINED_REQUESTS_MAX - 1].body, LOGO);
    });

    it('closes a connection with one request too many', async () => {
      const client = new HttpTestClient(setup.service);
      client.send(get('/notes.txt').repeat(PIPELINED_REQUESTS_MAX + 1));
      await client.waitForClose();
      assert.equal(client.closed, true);
      assert.deepEqual(setup.service.connections(), []);
    });

    it('stays bounded under a flood of pipelined requests', async () => {
      const client = new HttpTestClient(setup.service);
      client.socket.pause();
      const flood = Buffer.from(get('/big.bin').repeat(2000));
      for (let offset = 0; offset < flood.length; offset += 1460) client.send(flood.subarray(offset, offset + 1460));
      await client.waitForClose();
      await waitMs(20);
      assert.ok(setup.volume.readCalls < 32, `read ${setup.volume.readCalls} chunks`);
      assert.equal(setup.volume.openStreams, 0);
      assert.deepEqual(setup.service.connections(), []);
    });

    it('reads no queued object before its turn', async () => {
      const single = new HttpTestClient(setup.service);
      single.socket.pause();
      single.send(get('/big.bin'));
      await waitMs(100);
      const readsForOne = setup.volume.readCalls;
      single.destroy();
      await waitMs(20);

      const other = createTestService({}, EXTRA_OBJECTS);
      const pipelined = new HttpTestClient(other.service);
      pipelined.socket.pause();
      pipelined.send(get('/big.bin') + get('/big.bin') + get('/logo.png'));
      await waitMs(100);
      const readsForThree = other.volume.readCalls;
      pipelined.destroy();
      await other.service.close();
      assert.equal(readsForThree, readsForOne);
    });

    it('connects to no origin before its turn', async () => {
      let connections = 0;
      const linked = createTestService(
        {
          connectOrigin: () => {
            connections++;
            // An origin that never responds keeps the first response waiting.
            return new Promise<Duplex>(() => undefined);
          },
          originTimeouts: { connectMs: 200 },
        },
        EXTRA_OBJECTS,
      );
      const client = new HttpTestClient(linked.service);
      client.send(get('/raw-link').repeat(3));
      await waitMs(50);
      const whileWaiting = connections;
      client.destroy();
      // The first attempt times out within the test, and the queued requests connect nowhere after the client left.
      await waitMs(300);
      await linked.service.close();
      assert.equal(whileWaiting, 1);
      assert.equal(connections, 1);
    });

    it('leaves no abort listeners after a long pipeline', async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(warning.message);
      };
      process.on('warning', onWarning);
      const client = new HttpTestClient(setup.service);
      client.send(get('/medium.bin').repeat(PIPELINED_REQUESTS_MAX));
      const responses = await client.responses(PIPELINED_REQUESTS_MAX, [], 10_000);
      client.destroy();
      await waitMs(10);
      process.off('warning', onWarning);
      assert.deepEqual(responses[PIPELINED_REQUESTS_MAX - 1].body, MEDIUM);
      assert.deepEqual(warnings, []);
    });
  });

  describe('clients that leave', () => {
    it('forgets a client gone mid-header', async () => {
      const quick = createTestService({ headersTimeoutMs: 50 }, EXTRA_OBJECTS);
      const client = new HttpTestClient(quick.service);
      client.send('GET /notes.txt HTTP/1.1\r\nHo');
      await waitMs(10);
      client.destroy();
      await waitMs(100);
      const statistics = quick.service.statistics();
      await quick.service.close();
      assert.deepEqual(quick.service.connections(), []);
      assert.equal(statistics.requests, 0);
      assert.deepEqual(statistics.responses, { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });
    });

    it('forgets a client gone mid-body', async () => {
      const client = new HttpTestClient(setup.service);
      client.send('POST /notes.txt HTTP/1.1\r\nHost: cache\r\nContent-Length: 100000\r\n\r\n0123456789');
      const response = await client.response();
      client.destroy();
      await waitMs(20);
      assert.equal(response.statusCode, 405);
      assert.deepEqual(setup.service.connections(), []);
    });

    it('serves the next client after one left mid-body', async () => {
      setup.volume.readDelayMs = 2;
      const leaving = new HttpTestClient(setup.service);
      leaving.send(get('/big.bin'));
      await waitMs(30);
      leaving.destroy();
      const response = await fetchOnce(setup.service, get('/logo.png'));
      assert.deepEqual(response.body, LOGO);
    });
  });

  describe('links', () => {
    it('answers a link whose host has CR LF 500', async () => {
      const response = await fetchOnce(setup.service, get('/bad-host'));
      assert.equal(response.statusCode, 500);
      assert.equal(response.headers['set-cookie'], undefined);
      assert.equal(response.headers.location, undefined);
    });

    it('answers a raw link without origin access 503', async () => {
      const response = await fetchOnce(setup.service, get('/raw-link'));
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '2');
    });
  });
});

describe('adversarial HTTP on a real volume', () => {
  let restoreLogs: () => void;
  let dir: string;
  let image: string;
  let mounted: ShfsVolume | undefined;
  let service: HttpService;

  before(() => {
    restoreLogs = captureLogs();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
    image = path.join(dir, 'mixed.img');
    fs.writeFileSync(image, gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', 'mixed.img.gz'))));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    restoreLogs();
  });

  beforeEach(async () => {
    mounted = await mountVolume([image], { direct: false, cacheSizeBytes: 0 });
    service = new HttpService({ volume: () => mounted, maxConnections: 8, serverName: SERVER_NAME });
  });

  afterEach(async () => {
    await service.close();
    await mounted?.unmount();
  });

  it('answers 404 while unmounted and 200 after remounting', async () => {
    const before = await fetchOnce(service, get('/readme'));
    await mounted?.unmount();
    mounted = undefined;
    const during = await fetchOnce(service, get('/readme'));
    mounted = await mountVolume([image], { direct: false });
    const after = await fetchOnce(service, get('/readme'));
    assert.equal(before.statusCode, 200);
    assert.equal(during.statusCode, 404);
    assert.match(during.body.toString(), /No volume is mounted/);
    assert.equal(after.statusCode, 200);
    assert.deepEqual(after.body, before.body);
  });

  it('cuts a response when the volume is unmounted under it', async () => {
    const client = new HttpTestClient(service);
    client.socket.pause();
    client.send(get('/big.bin'));
    await waitMs(100);
    await mounted?.unmount();
    mounted = undefined;
    client.socket.resume();
    await client.waitForClose();
    const text = client.bytes.toString('latin1');
    const bodyLength = client.bytes.length - (text.indexOf('\r\n\r\n') + 4);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nContent-Length: 300000\r\n/);
    assert.ok(bodyLength < 300_000, `received the whole body of ${bodyLength} bytes`);
  });

  it('answers a small object 500 once unmounted mid-request', async () => {
    const volume = mounted!;
    const entry = volume.findByName('readme')!;
    await volume.unmount();
    // The service still uses the old volume, as a request in flight does.
    const stale = new HttpService({ volume: () => volume, maxConnections: 8, serverName: SERVER_NAME });
    const response = await fetchOnce(stale, get('/readme'));
    await stale.close();
    mounted = undefined;
    assert.equal(entry.size, 180);
    assert.equal(response.statusCode, 500);
  });
});
