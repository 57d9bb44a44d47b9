import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { createContentDigest } from '../../../src/shfs/digest/content-digest';
import { Crc32Bzip2 } from '../../../src/shfs/digest/crc32-bzip2';
import { parseDigest } from '../../../src/shfs/digest/digest-text';
import { Haval, type HavalBits, type HavalPasses } from '../../../src/shfs/digest/haval';
import { sourceFile } from './fixture-images';

function haval(passes: HavalPasses, bits: HavalBits, text: string): string {
  return new Haval(passes, bits).update(Buffer.from(text)).digest().toString('hex');
}

function digestOf(hashFunction: 'sha' | 'md5' | 'crc' | 'haval', length: number, data: Buffer): string {
  const digest = createContentDigest(hashFunction, length);
  digest.update(data);
  return digest.digest().toString('hex');
}

const notes = () => fs.readFileSync(sourceFile('notes.txt'));
const indexHtml = () => fs.readFileSync(sourceFile('index.html'));

describe('shfs digests', () => {
  describe('CRC-32/BZIP2', () => {
    it('gives the catalogue check value', () => {
      assert.equal(new Crc32Bzip2().update(Buffer.from('123456789')).value(), 0xfc891918);
    });

    it('stores notes.txt as crc.img does', () => {
      assert.equal(digestOf('crc', 4, notes()), '123567db');
      assert.equal(digestOf('crc', 4, indexHtml()), '4392cce6');
    });

    it('differs from zlib crc32', () => {
      const zlibValue = crc32(notes());
      assert.equal(zlibValue.toString(16), '6fc15fe9');
      assert.notEqual(new Crc32Bzip2().update(notes()).value(), zlibValue);
    });

    it('gives 0 for no data', () => {
      assert.equal(new Crc32Bzip2().value(), 0);
    });
  });

  describe('HAVAL', () => {
    const vectors: Array<[HavalPasses, HavalBits, string, string]> = [
      [3, 128, '', 'c68f39913f901f3ddf44c707357a7d70'],
      [3, 128, 'a', '0cd40739683e15f01ca5dbceef4059f1'],
      [3, 128, 'abc', '9e40ed883fb63e985d299b40cda2b8f2'],
      [3, 160, '', 'd353c3ae22a25401d257643836d7231a9a95f953'],
      [3, 160, 'a', '4da08f514a7275dbc4cece4a347385983983a830'],
      [3, 192, '', 'e9c48d7903eaf2a91c5b350151efcb175c0fc82de2289a4e'],
      [3, 192, 'HAVAL', '8da26ddab4317b392b22b638998fe65b0fbe4610d345cf89'],
      [3, 224, '', 'c5aae9d47bffcaaf84a8c6e7ccacd60a0dd1932be7b1a192b9214b6d'],
      [3, 224, '0123456789', 'ee345c97a58190bf0f38bf7ce890231aa5fcf9862bf8e7bebbf76789'],
      [3, 256, '', '4f6938531f0bc8991f62da7bbd6f7de3fad44562b8c6f4ebf146d5b4e46f7c17'],
      [3, 256, 'abcdefghijklmnopqrstuvwxyz', '72fad4bde1da8c8332fb60561a780e7f504f21547b98686824fc33fc796afa76'],
      [4, 128, '', 'ee6bbf4d6a46a679b3a856c88538bb98'],
      [4, 192, 'HAVAL', '0c1396d7772689c46773f3daaca4efa982adbfb2f1467eea'],
      [4, 224, '0123456789', 'bebd7816f09baeecf8903b1b9bc672d9fa428e462ba699f814841529'],
      [5, 256, '', 'be417bb4dd5cfb76c7126f4f8eeb1553a449039307b1a3cd451dbfdc0fbbe330'],
      [5, 256, 'The quick brown fox jumps over the lazy dog', 'b89c551cdfe2e06dbd4cea2be1bc7d557416c58ebb4d07cbc94e49f710c55be4'],
      [5, 256, 'abcdefghijklmnopqrstuvwxyz', 'c9c7d8afa159fd9e965cb83ff5ee6f58aeda352c0eff005548153a61551c38ee'],
    ];

    for (const [passes, bits, text, expected] of vectors) {
      it(`HAVAL-${bits}/${passes} of '${text.length > 12 ? `${text.slice(0, 12)}...` : text}'`, () => {
        assert.equal(haval(passes, bits, text), expected);
      });
    }

    it('reproduces haval.img digests', () => {
      assert.equal(digestOf('haval', 32, notes()), '2558b8fa3348170fd5b6c0a7e2e885448bc1f783f2fd9c5089dc4171e95ed1d6');
      assert.equal(digestOf('haval', 32, indexHtml()), '2bee21ab17289ef875d49f66f10cb872653be0cd293feada2139bba6c0a6f648');
    });

    it('gives the same digest for any split of the input', () => {
      const data = randomBytes(1000);
      const whole = new Haval(3, 256).update(data).digest();
      for (const cut of [1, 117, 118, 128, 129, 500, 999]) {
        const split = new Haval(3, 256).update(data.subarray(0, cut)).update(data.subarray(cut)).digest();
        assert.deepEqual(split, whole, `cut at ${cut}`);
      }
    });

    it('refuses updates after the digest', () => {
      const digest = new Haval();
      digest.digest();
      assert.throws(() => digest.update(Buffer.from('x')));
    });
  });

  describe('content digest', () => {
    it('selects SHA by length', () => {
      const data = Buffer.from('abc');
      assert.equal(digestOf('sha', 20, data), 'a9993e364706816aba3e25717850c26c9cd0d89d');
      assert.equal(digestOf('sha', 28, data), '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7');
      assert.equal(digestOf('sha', 32, data), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      assert.equal(
        digestOf('sha', 48, data),
        'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
      );
      assert.equal(digestOf('sha', 64, data).slice(0, 16), 'ddaf35a193617aba');
    });

    it('reproduces the fixture digests', () => {
      assert.equal(digestOf('sha', 20, notes()), '2ee3fbe0adabbab73031cafc8eacdc9e65f12e08');
      assert.equal(digestOf('md5', 16, notes()), 'd3081a783543e6de351939a79ccc9a2c');
      assert.equal(digestOf('sha', 32, indexHtml()), '1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55');
    });

    it('rejects lengths the function lacks', () => {
      assert.throws(() => createContentDigest('sha', 16), { code: 'EINVAL', message: 'SHA does not produce 16-byte digests' });
      assert.throws(() => createContentDigest('md5', 20), { code: 'EINVAL' });
      assert.throws(() => createContentDigest('manual', 16), { code: 'EINVAL' });
    });
  });

  describe('digest text', () => {
    it('parses either case', () => {
      assert.deepEqual(parseDigest('0123456789ABCDEF', 8), Buffer.from('0123456789abcdef', 'hex'));
    });

    it('rejects wrong lengths and characters', () => {
      assert.throws(() => parseDigest('0123', 8), { code: 'EINVAL', message: "invalid digest '0123': expected 16 hex digits" });
      assert.throws(() => parseDigest('0123456789abcdeg', 8), { code: 'EINVAL' });
      assert.throws(() => parseDigest('0123456789abcdef00', 8), { code: 'EINVAL' });
    });
  });
});
