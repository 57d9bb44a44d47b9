// The HTTP service over real SHFS volumes: the shared fixture images, written
// by the original tools, mounted with src/shfs and served over socket pairs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HttpService } from '../../../src/http';
import { mountVolume, type ShfsVolume } from '../../../src/shfs/volume';
import { FIXTURES_DIR } from '../../helpers/fixtures-dir';
import { fetchOnce } from '../../helpers/http-client';
import { captureLogs, SERVER_NAME } from './fixtures';

// This file runs from dist/test/unit/http, four levels below the project root;
// the fixtures folder sits next to the project unless MINICACHE_FIXTURES names it.


function extractImage(dir: string, name: string): string {
  const target = path.join(dir, `${name}.img`);
  fs.writeFileSync(target, gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', `${name}.img.gz`))));
  return target;
}

function fixtureFile(...parts: string[]): Buffer {
  return fs.readFileSync(path.join(FIXTURES_DIR, ...parts));
}

function get(target: string, extraHeaders = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: cache\r\n${extraHeaders}\r\n`;
}

describe('HTTP service on fixture volumes', () => {
  let restoreLogs: () => void;
  let dir: string;
  let demo: ShfsVolume;
  let mixed: ShfsVolume;
  let demoService: HttpService;
  let mixedService: HttpService;

  before(async () => {
    restoreLogs = captureLogs();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
    demo = await mountVolume([extractImage(dir, 'demo')], { direct: false });
    mixed = await mountVolume([extractImage(dir, 'mixed')], { direct: false });
    demoService = new HttpService({ volume: () => demo, maxConnections: 8, serverName: SERVER_NAME });
    mixedService = new HttpService({ volume: () => mixed, maxConnections: 8, serverName: SERVER_NAME });
  });

  after(async () => {
    await demoService.close();
    await mixedService.close();
    await demo.unmount();
    await mixed.unmount();
    fs.rmSync(dir, { recursive: true, force: true });
    restoreLogs();
  });

  it('serves logo.png by name', async () => {
    const response = await fetchOnce(demoService, get('/logo.png'));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'image/png');
    assert.ok(response.body.equals(fixtureFile('demofs', 'logo.png')));
  });

  it('serves favicon.ico by digest', async () => {
    const response = await fetchOnce(demoService, get('/?cec89120781d9ee55dc69ec69314c257e99bb74df3e42126ac33c380604b3215'));
    assert.ok(response.body.equals(fixtureFile('demofs', 'favicon.ico')));
  });

  it('serves the default object at /', async () => {
    const response = await fetchOnce(demoService, get('/'));
    assert.equal(response.headers['content-type'], 'text/html');
    assert.ok(response.body.equals(fixtureFile('demofs', 'index.html')));
  });

  it('answers an unknown name 404', async () => {
    const response = await fetchOnce(demoService, get('/missing.html'));
    assert.equal(response.statusCode, 404);
  });

  it('serves a range of big.bin', async () => {
    const response = await fetchOnce(mixedService, get('/big.bin', 'Range: bytes=4090-20000\r\n'));
    assert.equal(response.statusCode, 206);
    assert.equal(response.headers['content-range'], 'bytes 4090-20000/300000');
    assert.ok(response.body.equals(fixtureFile('content', 'big.bin').subarray(4090, 20001)));
  });

  it('serves big.bin completely', async () => {
    const response = await fetchOnce(mixedService, get('/big.bin'));
    assert.ok(response.body.equals(fixtureFile('content', 'big.bin')));
  });

  it('serves the empty object', async () => {
    const response = await fetchOnce(mixedService, get('/empty.txt'));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-length'], '0');
  });

  it('serves a renamed object by its stored name', async () => {
    const response = await fetchOnce(mixedService, get('/readme'));
    assert.ok(response.body.equals(fixtureFile('content', 'notes.txt')));
  });

  it('redirects the redirect link', async () => {
    const response = await fetchOnce(mixedService, get('/movie-redirect'));
    assert.equal(response.statusCode, 307);
    assert.equal(response.headers.location, 'http://10.0.0.5:8080/videos/a.mp4');
  });

  it('answers the raw link 503 without origin access', async () => {
    const response = await fetchOnce(mixedService, get('/raw-link'));
    assert.equal(response.statusCode, 503);
  });
});
