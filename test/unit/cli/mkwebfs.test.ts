import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main as mkwebfs } from '../../../src/cli/mkwebfs';
import { mediaTypeFor } from '../../../src/shfs/media-types';
import { mountVolume } from '../../../src/shfs/volume';
import { buildWebVolume, webImageBytes, planWebEntries } from '../../../src/shfs/web-volume';
import { DEMOFS_DIR, makeTempDir, removeTempDir } from '../shfs/fixture-images';
import { runTool } from '../shfs/tool-harness';

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

describe('mkwebfs', () => {
  let dir: string;
  let site: string;

  beforeEach(() => {
    dir = makeTempDir();
    site = path.join(dir, 'site');
    fs.mkdirSync(path.join(site, 'img'), { recursive: true });
    fs.mkdirSync(path.join(site, 'docs'), { recursive: true });
    fs.mkdirSync(path.join(site, '.git'), { recursive: true });
    for (const name of fs.readdirSync(DEMOFS_DIR)) fs.copyFileSync(path.join(DEMOFS_DIR, name), path.join(site, name));
    fs.copyFileSync(path.join(DEMOFS_DIR, 'logo.png'), path.join(site, 'img', 'logo.png'));
    fs.writeFileSync(path.join(site, 'docs', 'index.html'), '<h1>docs</h1>\n');
    fs.writeFileSync(path.join(site, 'docs', 'app.mjs'), 'export {};\n');
    fs.writeFileSync(path.join(site, 'empty.txt'), '');
    fs.writeFileSync(path.join(site, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.writeFileSync(path.join(site, '.gitignore'), 'dist\n');
  });

  afterEach(() => removeTempDir(dir));

  it('stores every file under its relative path', async () => {
    const image = path.join(dir, 'site.img');
    const result = await runTool(mkwebfs, [site, image]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.toString(), /site\.img: 9 entries, .*, default object index\.html\n$/);

    const volume = await mountVolume([image]);
    try {
      const names = volume.entries().map((entry) => entry.name).sort();
      assert.deepEqual(names, ['docs', 'docs/', 'docs/app.mjs', 'docs/index.html', 'empty.txt', 'favicon.ico', 'img/logo.png', 'index.html', 'logo.png']);
      assert.equal(volume.hashFunction, 'manual');
      assert.equal(volume.hashLength, 20);
      assert.equal(volume.chunkSize, 4096);

      const logo = volume.findByName('img/logo.png')!;
      assert.equal(logo.mime, 'image/png');
      assert.equal(logo.digestHex, sha1('img/logo.png'));
      assert.deepEqual(await volume.read(logo, 0, logo.size), fs.readFileSync(path.join(DEMOFS_DIR, 'logo.png')));
      assert.equal(volume.findByName('docs/app.mjs')?.mime, 'text/javascript');
      assert.equal(volume.findByName('favicon.ico')?.mime, 'image/x-icon');
      assert.equal(volume.findByName('empty.txt')?.size, 0);
      assert.equal(volume.defaultEntry()?.name, 'index.html');

      const docs = volume.findByName('docs/')!;
      assert.equal((await volume.read(docs, 0, docs.size)).toString(), '<h1>docs</h1>\n');
    } finally {
      await volume.unmount();
    }
  });

  it('sizes a new image to fit', async () => {
    const image = path.join(dir, 'fit.img');
    const result = await buildWebVolume(site, image);
    assert.equal(result.created, true);
    const expected = webImageBytes(planWebEntries(site).entries);
    assert.equal(fs.statSync(image).size, expected);
    const volume = await mountVolume([image]);
    // Exactly full: every chunk outside the metadata contains data.
    const used = volume.entries().reduce((sum, entry) => sum + Math.ceil(entry.size / volume.chunkSize), 0);
    assert.equal(volume.volumeSize - volume.metadataChunks, used);
    await volume.unmount();
  });

  it('takes the volume options', async () => {
    const image = path.join(dir, 'options.img');
    const result = await runTool(mkwebfs, ['-n', 'Site', '-s', '8192', '-b', '64', '-e', '4', '-S', '8M', site, image]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(fs.statSync(image).size, 8 * 1024 * 1024);
    const volume = await mountVolume([image]);
    assert.equal(volume.name, 'Site');
    assert.equal(volume.chunkSize, 8192);
    assert.equal(volume.bucketCount, 64);
    assert.equal(volume.entriesPerBucket, 4);
    await volume.unmount();
  });

  it('refuses an existing image file', async () => {
    const image = path.join(dir, 'exists.img');
    fs.writeFileSync(image, 'keep me');
    const result = await runTool(mkwebfs, [site, image]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^mkwebfs: .*exists\.img exists and is not a block device; use --force to overwrite it\n$/);
    assert.equal(fs.readFileSync(image, 'utf8'), 'keep me');
  });

  it('overwrites an existing image with --force', async () => {
    const image = path.join(dir, 'reuse.img');
    fs.writeFileSync(image, Buffer.alloc(8 * 1024 * 1024, 0xff));
    const result = await runTool(mkwebfs, ['--force', site, image]);
    assert.equal(result.status, 0, result.stderr);
    const volume = await mountVolume([image]);
    assert.equal(volume.entries().length, 9);
    await volume.unmount();
  });

  it('rejects a missing folder', async () => {
    const image = path.join(dir, 'none.img');
    const result = await runTool(mkwebfs, [path.join(dir, 'absent'), image]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^mkwebfs: .*absent: no such directory\n$/);
    assert.equal(fs.existsSync(image), false);
  });

  it('rejects a file as folder', async () => {
    const result = await runTool(mkwebfs, [path.join(site, 'index.html'), path.join(dir, 'x.img')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /index\.html is not a directory/);
  });

  it('rejects a too small size', async () => {
    const image = path.join(dir, 'small.img');
    const result = await runTool(mkwebfs, ['-S', '64K', site, image]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /an image of 65536 bytes is too small for .*site: \d+ bytes needed/);
    assert.equal(fs.existsSync(image), false);
  });

  it('rejects a wrong argument count', async () => {
    const result = await runTool(mkwebfs, [site]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "mkwebfs: expected a folder and an image, got 1 arguments; see 'mkwebfs --help'\n");
  });

  it('removes the image it created on failure', async () => {
    const image = path.join(dir, 'full.img');
    // One bucket of one entry cannot hold nine entries.
    const result = await runTool(mkwebfs, ['-b', '1', '-e', '1', site, image]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /hash table bucket 0 is full \(1 entries\)/);
    assert.equal(fs.existsSync(image), false);
  });

  it('guesses media types', () => {
    const cases: Array<[string, string]> = [
      ['a/index.HTML', 'text/html'],
      ['style.css', 'text/css'],
      ['app.js', 'text/javascript'],
      ['data.json', 'application/json'],
      ['logo.svg', 'image/svg+xml'],
      ['photo.JPEG', 'image/jpeg'],
      ['anim.webp', 'image/webp'],
      ['pic.avif', 'image/avif'],
      ['font.woff2', 'font/woff2'],
      ['module.wasm', 'application/wasm'],
      ['movie.mp4', 'video/mp4'],
      ['clip.webm', 'video/webm'],
      ['song.mp3', 'audio/mpeg'],
      ['list.m3u8', 'application/vnd.apple.mpegurl'],
      ['segment.ts', 'video/mp2t'],
      ['archive.tar.gz', 'application/gzip'],
      ['notes.txt', 'text/plain'],
      ['.htaccess', 'application/octet-stream'],
      ['Makefile', 'application/octet-stream'],
      ['dir.d/file', 'application/octet-stream'],
    ];
    for (const [name, type] of cases) assert.equal(mediaTypeFor(name), type, name);
  });
});
