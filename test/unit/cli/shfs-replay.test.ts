import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main as admin } from '../../../src/cli/shfs-admin';
import { main as mkfs } from '../../../src/cli/shfs-mkfs';
import {
  STORED_OBJECTS,
  extractImage,
  makeTempDir,
  manifestListings,
  removeTempDir,
  sourceFile,
  withoutDates,
  type FixtureImage,
} from '../shfs/fixture-images';
import { runTool } from '../shfs/tool-harness';
import { assertSameVolume } from '../shfs/volume-compare';

const MIB = 1024 * 1024;
const src = (name: string) => sourceFile(name);

interface Recipe {
  members: FixtureImage[];
  size: number;
  mkfs: string[];
  admin: string[][];
  listing: string;
}

// MANIFEST.md's recipes, with the source files' full paths.
const RECIPES: Record<string, Recipe> = {
  demo: {
    members: ['demo'],
    size: 8 * MIB,
    mkfs: ['-f', '-n', 'DemoVol'],
    admin: [
      ['-a', src('index.html'), '-m', 'text/html', '-a', src('logo.png'), '-m', 'image/png', '-a', src('favicon.ico'), '-m', 'image/x-icon'],
      ['-d', '1e833c10400fd4cd5acf6cf73764a35d66eb68f627a332e129b246ca39df1e55'],
    ],
    listing: 'demo.img',
  },
  mixed: {
    members: ['mixed'],
    size: 4 * MIB,
    mkfs: ['-f', '-n', 'Mixed', '-F', 'sha', '-l', '20', '-s', '4096', '-b', '64', '-e', '4'],
    admin: [
      [
        '-a', src('big.bin'), '-m', 'application/octet-stream',
        '-a', src('empty.txt'), '-m', 'text/plain',
        '-a', src('exact16k.bin'),
        '-a', src('notes.txt'), '-m', 'text/plain', '-n', 'readme',
      ],
      ['-u', 'http://10.0.0.5:8080/videos/a.mp4', '-t', 'redirect', '-n', 'movie-redirect', '-u', 'http://origin.example/raw/path', '-t', 'raw', '-n', 'raw-link'],
    ],
    listing: 'mixed.img',
  },
  md5: {
    members: ['md5'],
    size: 2 * MIB,
    mkfs: ['-f', '-n', 'M5', '-F', 'md5', '-s', '8192', '-b', '32', '-e', '4'],
    admin: [['-a', src('notes.txt'), '-m', 'text/plain']],
    listing: 'md5.img',
  },
  crc: {
    members: ['crc'],
    size: 2 * MIB,
    mkfs: ['-f', '-n', 'C32', '-F', 'crc', '-b', '32', '-e', '4'],
    admin: [['-a', src('notes.txt'), '-a', src('index.html'), '-m', 'text/html']],
    listing: 'crc.img',
  },
  manual: {
    members: ['manual'],
    size: 2 * MIB,
    mkfs: ['-f', '-n', 'Man', '-F', 'manual', '-l', '8', '-b', '32', '-e', '4'],
    admin: [['-a', src('notes.txt'), '-D', '0123456789abcdef']],
    listing: 'manual.img',
  },
  haval: {
    members: ['haval'],
    size: 2 * MIB,
    mkfs: ['-f', '-n', 'Hav256', '-F', 'haval', '-b', '32', '-e', '4'],
    admin: [['-a', src('notes.txt'), '-m', 'text/plain', '-a', src('index.html'), '-m', 'text/html']],
    listing: 'haval.img',
  },
  striped: {
    members: ['m0', 'm1'],
    size: 4 * MIB,
    mkfs: ['-f', '-n', 'Striped', '-c', '-s', '4096', '-b', '64', '-e', '4'],
    admin: [['-a', src('big.bin'), '-m', 'application/octet-stream', '-a', src('index.html'), '-m', 'text/html']],
    listing: 'm0.img m1.img',
  },
};

/** Asserts that every line MANIFEST.md shows appears in `text`, in order, dates aside. */
function assertListsManifest(text: string, heading: string): void {
  const printed = text.split('\n').map(withoutDates);
  let at = 0;
  for (const line of manifestListings().get(heading)!.map(withoutDates)) {
    const found = printed.indexOf(line, at);
    assert.ok(found >= 0, `missing or out of order: ${line}\n--- printed:\n${printed.join('\n')}`);
    at = found + 1;
  }
}

describe('shfs tools replay', () => {
  let dir: string;

  before(() => {
    dir = makeTempDir();
  });

  after(() => removeTempDir(dir));

  for (const [name, recipe] of Object.entries(RECIPES)) {
    describe(name, () => {
      let replayed: string[];
      let fixtures: string[];

      before(async () => {
        fixtures = recipe.members.map((member) => extractImage(dir, member));
        replayed = recipe.members.map((member) => {
          const file = path.join(dir, `replay-${member}.img`);
          fs.writeFileSync(file, Buffer.alloc(recipe.size));
          return file;
        });
        const formatted = await runTool(mkfs, [...recipe.mkfs, ...replayed]);
        assert.equal(formatted.status, 0, formatted.stderr);
        for (const args of recipe.admin) {
          const result = await runTool(admin, [...args, ...replayed]);
          assert.equal(result.status, 0, result.stderr);
          assert.equal(result.stderr, '');
        }
      });

      it('matches the fixture field by field', () => {
        assertSameVolume(replayed, fixtures);
      });

      it('lists the fixture as MANIFEST.md', async () => {
        const result = await runTool(admin, ['-l', '-i', ...fixtures]);
        assert.equal(result.status, 0, result.stderr);
        assertListsManifest(result.stdout.toString(), recipe.listing);
      });

      it('lists the replay as MANIFEST.md', async () => {
        const result = await runTool(admin, ['-l', '-i', ...[...replayed].reverse()]);
        assert.equal(result.status, 0, result.stderr);
        assertListsManifest(result.stdout.toString(), recipe.listing);
      });

      it('cats every object of the fixture', async () => {
        const listing = (await runTool(admin, ['-l', ...fixtures])).stdout.toString().split('\n').slice(1);
        for (const [entryName, fileName] of Object.entries(STORED_OBJECTS[name])) {
          const line = listing.find((candidate) => candidate.endsWith(` ${entryName}`))!;
          const digest = line.split(' ')[0];
          const result = await runTool(admin, ['-c', digest, ...fixtures]);
          assert.equal(result.status, 0, result.stderr);
          assert.deepEqual(result.stdout, fs.readFileSync(sourceFile(fileName)), entryName);
        }
      });
    });
  }
});
