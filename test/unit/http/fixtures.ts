// Objects and a service factory shared by the HTTP tests.
import { setLogSink } from '../../../src/log';
import { HttpService, type HttpServiceOptions } from '../../../src/http';
import { FakeVolume, type FakeObject } from '../../helpers/fake-volume';

export const SERVER_NAME = 'MiniCache/0.1.0 (Linux)';
export const INDEX_HTML = '<!DOCTYPE html><title>MiniCache</title><p>Hello from the cache.</p>\n';
export const NOTES = 'Line one of the notes.\nLine two of the notes.\n';
/** 10 000 bytes whose value at offset i is i mod 251, so any slice is recognizable. */
export const LOGO = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
/** 1 MiB that takes 256 reads of 4 KiB. */
export const BIG = Buffer.alloc(1024 * 1024, 0x5a);
export const CREATED_AT = new Date(Date.UTC(2024, 0, 15, 10, 0, 0));
export const CREATED_AT_HTTP = 'Mon, 15 Jan 2024 10:00:00 GMT';

export const OBJECTS: FakeObject[] = [
  { name: 'index.html', data: INDEX_HTML, mime: 'text/html', isDefault: true, createdAt: CREATED_AT },
  { name: 'notes.txt', data: NOTES, mime: 'text/plain', createdAt: CREATED_AT },
  { name: 'logo.png', data: LOGO, mime: 'image/png', createdAt: CREATED_AT },
  { name: 'my file.txt', data: 'spaced\n', mime: 'text/plain', createdAt: CREATED_AT },
  { name: 'µ.txt', data: 'micro\n', mime: 'text/plain', createdAt: CREATED_AT },
  { name: '?abc', data: 'question\n', mime: 'text/plain', createdAt: CREATED_AT },
  { name: 'raw.bin', data: Buffer.from([1, 2, 3]), createdAt: CREATED_AT },
  { name: 'empty.txt', data: '', mime: 'text/plain', createdAt: CREATED_AT },
  { name: 'big.bin', data: BIG, mime: 'application/octet-stream', createdAt: CREATED_AT },
];

/** Log lines written while captureLogs() is active. */
export const capturedLogs: string[] = [];

/**
 * Sends log lines to `capturedLogs` instead of stderr, so expected error paths
 * stay out of the test output. Call it in before() and the result in after().
 */
export function captureLogs(): () => void {
  const previous = setLogSink((line) => capturedLogs.push(line));
  return () => {
    setLogSink(previous);
  };
}

export interface TestService {
  service: HttpService;
  volume: FakeVolume;
  mounted: { volume: FakeVolume | undefined };
}

export function createTestService(overrides: Partial<HttpServiceOptions> = {}, objects: FakeObject[] = OBJECTS): TestService {
  const volume = new FakeVolume(objects);
  const mounted: { volume: FakeVolume | undefined } = { volume };
  const service = new HttpService({
    volume: () => mounted.volume,
    maxConnections: 16,
    serverName: SERVER_NAME,
    ...overrides,
  });
  return { service, volume, mounted };
}
