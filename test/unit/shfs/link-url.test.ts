import * as assert from 'node:assert/strict';
import { HOST_TYPE_IPV4, HOST_TYPE_NAME } from '../../../src/shfs/format/entry';
import { parseLinkUrl, posixBasename } from '../../../src/shfs/writer/link-url';

describe('shfs link url', () => {
  it('parses host, port and path', () => {
    assert.deepEqual(parseLinkUrl('http://origin.example:8080/raw/path?q=1'), {
      hostType: HOST_TYPE_NAME,
      host: Buffer.from('origin.example'),
      port: 8080,
      path: 'raw/path?q=1',
      hasPath: true,
    });
  });

  it('defaults to port 80', () => {
    assert.equal(parseLinkUrl('http://origin.example/x').port, 80);
  });

  it('stores a dotted quad without zero parts as IPv4', () => {
    const link = parseLinkUrl('http://192.168.1.20/a');
    assert.equal(link.hostType, HOST_TYPE_IPV4);
    assert.deepEqual(link.host, Buffer.from([192, 168, 1, 20]));
  });

  it('stores a dotted quad with a zero part as a name', () => {
    // As the original does: its check wants every part from 1 to 255.
    const link = parseLinkUrl('http://10.0.0.5:8080/videos/a.mp4');
    assert.equal(link.hostType, HOST_TYPE_NAME);
    assert.deepEqual(link.host, Buffer.from('10.0.0.5'));
  });

  it('leaves out a path of just a slash', () => {
    assert.equal(parseLinkUrl('http://h/').hasPath, false);
    assert.equal(parseLinkUrl('http://h').hasPath, false);
    assert.equal(parseLinkUrl('http://h/?a').hasPath, false);
    assert.equal(parseLinkUrl('http://h/?ab').hasPath, true);
  });

  it('accepts a scheme that starts http', () => {
    assert.equal(parseLinkUrl('http://h/x').port, 80);
  });

  const rejected: Array<[string, RegExp]> = [
    ['https://h/x', /unsupported scheme/],
    ['ftp://h/x', /unsupported scheme/],
    ['/just/a/path', /host name missing/],
    ['http:///x', /host name missing/],
    ['http://h/x#top', /fragments are not supported/],
    ['http://u:p@h/x', /user information is not supported/],
    ['http://h:99999/x', /invalid port/],
    ['http://h:/x', /invalid port/],
    [`http://h/${'a'.repeat(71)}`, /path in URL is longer than the 71 bytes/],
    [`http://${'h'.repeat(33)}/x`, /host name in URL is longer than the 32 bytes/],
    ['not a url', /invalid URL/],
    ['', /invalid URL/],
  ];
  for (const [url, message] of rejected) {
    it(`rejects ${url.length > 30 ? `${url.slice(0, 30)}...` : url || 'an empty URL'}`, () => {
      assert.throws(() => parseLinkUrl(url), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'EINVAL');
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('names links by their last path component', () => {
    assert.equal(posixBasename('http://10.0.0.5:8080/videos/a.mp4'), 'a.mp4');
    assert.equal(posixBasename('http://origin.example/'), 'origin.example');
    assert.equal(posixBasename('/'), '/');
  });
});
