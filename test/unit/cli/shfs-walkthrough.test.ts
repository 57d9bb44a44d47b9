import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT, makeTempDir, removeTempDir, sourceFile } from '../shfs/fixture-images';

const INDEX_DIGEST = '1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55';

function tool(name: string, args: string[]): string {
  return execFileSync(path.join(PROJECT_ROOT, 'bin', name), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function flagsOf(listing: string, name: string): string {
  const line = listing.split('\n').find((candidate) => candidate.endsWith(` ${name}`));
  assert.ok(line, `no listing line for ${name}`);
  return line.split(/\s+/)[3];
}

describe('shfs walkthrough', () => {
  let dir: string;

  before(() => {
    dir = makeTempDir();
  });

  after(() => removeTempDir(dir));

  it('formats, adds, lists and sets the default with the executables', () => {
    const image = path.join(dir, 'walkthrough.img');
    fs.writeFileSync(image, '');
    fs.truncateSync(image, 128 * 1024 * 1024);

    assert.match(tool('shfs_mkfs', ['-f', image]), /Writing common header area to member 1\/1\.\.\./);
    for (const file of ['index.html', 'logo.png', 'favicon.ico']) tool('shfs_admin', ['-a', sourceFile(file), image]);

    const before = tool('shfs_admin', ['-l', image]);
    assert.equal(before.trimEnd().split('\n').length, 4);
    assert.equal(flagsOf(before, 'index.html'), '---');

    assert.equal(tool('shfs_admin', ['-d', INDEX_DIGEST, image]), '');
    const after = tool('shfs_admin', ['-l', image]);
    assert.equal(flagsOf(after, 'index.html'), '-D-');
    assert.equal(flagsOf(after, 'logo.png'), '---');
    assert.ok(after.includes(`${INDEX_DIGEST}          258            1   -D-`));
  });

  it('runs the hyphenated names too', () => {
    assert.match(tool('shfs-mkfs', ['--help']), /^Usage: shfs-mkfs /);
    assert.match(tool('shfs-admin', ['--help']), /^Usage: shfs-admin /);
    assert.match(tool('mkwebfs', ['--help']), /^Usage: mkwebfs /);
  });

  it('exits 1 with one line and no stack on bad input', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      tool('shfs_admin', ['-l', path.join(dir, 'absent.img')]);
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    assert.equal(failure?.status, 1);
    assert.match(failure!.stderr, /^shfs_admin: cannot open .*absent\.img: No such file or directory\n$/);
  });
});
