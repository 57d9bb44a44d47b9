import * as assert from 'node:assert/strict';
import { InvalidRequestTargetError, parseObjectArgument, parseRequestTarget } from '../../../src/http/object-lookup';

const HASH_LENGTH = 4;
const DIGEST = '0a1b2c3d';

describe('request target parsing', () => {
  it('maps / to the default object', () => {
    assert.deepEqual(parseRequestTarget('/', HASH_LENGTH), { kind: 'default' });
  });

  it('maps /? to the default object', () => {
    assert.deepEqual(parseRequestTarget('/?', HASH_LENGTH), { kind: 'default' });
  });

  it('maps several slashes to the default object', () => {
    assert.deepEqual(parseRequestTarget('///', HASH_LENGTH), { kind: 'default' });
  });

  it('reads a lower-case digest', () => {
    assert.deepEqual(parseRequestTarget(`/?${DIGEST}`, HASH_LENGTH), { kind: 'digest', digestHex: DIGEST });
  });

  it('reads an upper-case digest', () => {
    assert.deepEqual(parseRequestTarget(`/?${DIGEST.toUpperCase()}`, HASH_LENGTH), { kind: 'digest', digestHex: DIGEST });
  });

  it('treats a short digest as a name', () => {
    assert.deepEqual(parseRequestTarget('/?0a1b2c', HASH_LENGTH), { kind: 'name', name: '?0a1b2c' });
  });

  it('treats a long digest as a name', () => {
    assert.deepEqual(parseRequestTarget('/?0a1b2c3d4e', HASH_LENGTH), { kind: 'name', name: '?0a1b2c3d4e' });
  });

  it('treats non-hex digits as a name', () => {
    assert.deepEqual(parseRequestTarget('/?0a1b2c3g', HASH_LENGTH), { kind: 'name', name: '?0a1b2c3g' });
  });

  it('cuts the arguments off a name', () => {
    assert.deepEqual(parseRequestTarget('/logo.png?v=2', HASH_LENGTH), { kind: 'name', name: 'logo.png' });
  });

  it('drops doubled leading slashes', () => {
    assert.deepEqual(parseRequestTarget('//logo.png', HASH_LENGTH), { kind: 'name', name: 'logo.png' });
  });

  it('keeps inner slashes of a name', () => {
    assert.deepEqual(parseRequestTarget('/a//b.txt', HASH_LENGTH), { kind: 'name', name: 'a//b.txt' });
  });

  it('percent-decodes a name', () => {
    assert.deepEqual(parseRequestTarget('/my%20file%3F.txt', HASH_LENGTH), { kind: 'name', name: 'my file?.txt' });
  });

  it('decodes UTF-8 escapes', () => {
    assert.deepEqual(parseRequestTarget('/%C2%B5.txt', HASH_LENGTH), { kind: 'name', name: 'µ.txt' });
  });

  it('rejects a malformed escape', () => {
    assert.throws(() => parseRequestTarget('/bad%2', HASH_LENGTH), InvalidRequestTargetError);
  });

  it('rejects an invalid UTF-8 escape', () => {
    assert.throws(() => parseRequestTarget('/%FF', HASH_LENGTH), InvalidRequestTargetError);
  });

  it('strips the absolute form', () => {
    assert.deepEqual(parseRequestTarget('http://cache.example:80/logo.png?x', HASH_LENGTH), { kind: 'name', name: 'logo.png' });
  });

  it('maps an absolute form without path to the default', () => {
    assert.deepEqual(parseRequestTarget('http://cache.example', HASH_LENGTH), { kind: 'default' });
  });
});

describe('shell object arguments', () => {
  it('reads a digest argument', () => {
    assert.deepEqual(parseObjectArgument(`?${DIGEST.toUpperCase()}`, HASH_LENGTH), { kind: 'digest', digestHex: DIGEST });
  });

  it('takes other arguments as names', () => {
    assert.deepEqual(parseObjectArgument('a%20b?x', HASH_LENGTH), { kind: 'name', name: 'a%20b?x' });
  });
});
