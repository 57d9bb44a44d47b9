// Test helpers: the shared SHFS fixtures (read-only, gzip-compressed) copied
// into a temporary folder, their source files, and the listings MANIFEST.md
// records for them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { FIXTURES_DIR } from '../../helpers/fixtures-dir';

// dist/test/unit/shfs -> project root
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export { FIXTURES_DIR };
export const CONTENT_DIR = path.join(FIXTURES_DIR, 'content');
export const DEMOFS_DIR = path.join(FIXTURES_DIR, 'demofs');

export const FIXTURE_IMAGES = ['demo', 'mixed', 'md5', 'crc', 'manual', 'haval', 'm0', 'm1'] as const;
export type FixtureImage = (typeof FIXTURE_IMAGES)[number];

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'minicache-'));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Decompresses fixture `name` into `dir` and returns the image path. */
export function extractImage(dir: string, name: FixtureImage): string {
  const target = path.join(dir, `${name}.img`);
  fs.writeFileSync(target, gunzipSync(fs.readFileSync(path.join(FIXTURES_DIR, 'shfs', `${name}.img.gz`))));
  return target;
}

/** The source file of an object stored under `name` in the fixtures. */
export function sourceFile(fileName: string): string {
  const inDemo = path.join(DEMOFS_DIR, fileName);
  return fs.existsSync(inDemo) ? inDemo : path.join(CONTENT_DIR, fileName);
}

/** Source files by the entry name each fixture stores them under (links excluded). */
export const STORED_OBJECTS: Record<string, Record<string, string>> = {
  demo: { 'index.html': 'index.html', 'logo.png': 'logo.png', 'favicon.ico': 'favicon.ico' },
  mixed: { 'big.bin': 'big.bin', 'empty.txt': 'empty.txt', 'exact16k.bin': 'exact16k.bin', readme: 'notes.txt' },
  md5: { 'notes.txt': 'notes.txt' },
  crc: { 'notes.txt': 'notes.txt', 'index.html': 'index.html' },
  manual: { 'notes.txt': 'notes.txt' },
  haval: { 'notes.txt': 'notes.txt', 'index.html': 'index.html' },
  striped: { 'big.bin': 'big.bin', 'index.html': 'index.html' },
};

/** The listing blocks of MANIFEST.md by their heading ("demo.img", "m0.img m1.img", ...). */
export function manifestListings(): Map<string, string[]> {
  const text = fs.readFileSync(path.join(FIXTURES_DIR, 'MANIFEST.md'), 'utf8');
  const blocks = new Map<string, string[]>();
  const pattern = /^### (.+)\n```\n([\s\S]*?)```/gm;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    blocks.set(match[1].trim(), match[2].replace(/\n$/, '').split('\n'));
  }
  return blocks;
}

/** Blanks the 16-column date of listing lines ("Dec  4, 26 19:34") so that listings compare without it. */
export function withoutDates(line: string): string {
  return line.replace(/[A-Z][a-z]{2} [ \d]\d, \d\d \d\d:\d\d/, '<date>');
}
