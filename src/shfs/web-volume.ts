// Building a volume from a folder of web files, as the original mkwebfs
// script does. Each regular file is stored under its path relative to the
// folder, with a media type guessed from its extension. The digest of each
// entry is the SHA-1 of that name (a volume with manual 20-byte digests), so
// files with equal content can coexist. An index.html in a subfolder is also
// stored as "dir" and "dir/", and the top index.html is the default object.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShfsError } from './errors';
import { ENTRY_FIELD_SIZES } from './format/entry';
import { metadataChunks, tableChunks } from './format/geometry';
import { mediaTypeFor } from './media-types';
import { formatVolume, type FormatRun } from './writer/format-volume';
import { VolumeWriter } from './writer/volume-writer';

export const WEB_VOLUME_DEFAULTS = {
  name: 'mkwebfs',
  stripeSize: 4096,
  bucketCount: 1024,
  entriesPerBucket: 16,
} as const;

/** Entries are found by the SHA-1 of their name. */
const WEB_DIGEST_LENGTH = 20;
/** Names left out of the tree, as by the original script. */
const SKIPPED_NAMES = new Set(['.git', '.gitignore', '.DS_Store']);
const INDEX_NAMES = ['index.html', 'index.htm'];

export interface WebVolumeOptions {
  name?: string;
  stripeSize?: number;
  bucketCount?: number;
  entriesPerBucket?: number;
  /** Size of the image file to create; by default just large enough. */
  imageSize?: number;
  /** Reuse an existing regular file as the image (its contents are lost). */
  overwrite?: boolean;
  signal?: AbortSignal;
  /** Called after each entry is stored. */
  onProgress?: (done: number, total: number, name: string) => void;
  onWarning?: (message: string) => void;
  onStep?: FormatRun['onStep'];
}

export interface WebVolumeEntry {
  /** Stored name: the path relative to the folder, with '/' separators. */
  name: string;
  file: string;
  mime: string;
  /** Hex SHA-1 of the name. */
  digest: string;
  size: number;
}

export interface WebVolumeResult {
  image: string;
  entries: WebVolumeEntry[];
  /** The name of the default object, when the folder has a top index.html. */
  defaultName?: string;
  /** Whether the image file was created (and sized) here. */
  created: boolean;
}

function digestOfName(name: string): string {
  return createHash('sha1').update(name, 'utf8').digest('hex');
}

/** Lists the regular files under `dir` (following links to files), sorted by name. */
function collectFiles(dir: string, relative = ''): Array<{ name: string; file: string; size: number }> {
  const found: Array<{ name: string; file: string; size: number }> = [];
  const names = fs.readdirSync(path.join(dir, relative)).sort();
  for (const entryName of names) {
    if (SKIPPED_NAMES.has(entryName)) continue;
    const name = relative === '' ? entryName : `${relative}/${entryName}`;
    const file = path.join(dir, name);
    const linkStat = fs.lstatSync(file);
    if (linkStat.isDirectory()) {
      found.push(...collectFiles(dir, name));
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue; // A dangling symbolic link.
    }
    if (stat.isFile()) found.push({ name, file, size: stat.size });
  }
  return found;
}

/** Plans the entries for the files under `dir`, index aliases included. */
export function planWebEntries(dir: string): { entries: WebVolumeEntry[]; defaultName?: string } {
  const entries: WebVolumeEntry[] = [];
  let defaultName: string | undefined;
  const add = (name: string, file: string, size: number, mime: string) =>
    entries.push({ name, file, mime, digest: digestOfName(name), size });

  for (const { name, file, size } of collectFiles(dir)) {
    const mime = mediaTypeFor(name);
    add(name, file, size, mime);
    const base = path.posix.basename(name);
    if (!INDEX_NAMES.includes(base)) continue;

    const folder = path.posix.dirname(name);
    if (folder === '.') {
      if (defaultName === undefined || base === 'index.html') defaultName = name;
    } else {
      // A request for "/docs" or "/docs/" serves the folder's index.
      add(folder, file, size, mime);
      add(`${folder}/`, file, size, mime);
    }
  }
  return { entries, defaultName };
}

/** Bytes an image needs for the entries: metadata, data, and the chunk the volume size formula leaves unused. */
export function webImageBytes(entries: readonly WebVolumeEntry[], options: WebVolumeOptions = {}): number {
  const chunkSize = options.stripeSize ?? WEB_VOLUME_DEFAULTS.stripeSize;
  const table = tableChunks(
    options.bucketCount ?? WEB_VOLUME_DEFAULTS.bucketCount,
    options.entriesPerBucket ?? WEB_VOLUME_DEFAULTS.entriesPerBucket,
    chunkSize,
  );
  const data = entries.reduce((sum, entry) => sum + Math.ceil(entry.size / chunkSize), 0);
  return (metadataChunks(table, false) + data + 1) * chunkSize;
}

/**
 * Builds an SHFS volume in `image` from the files under `dir`. A missing
 * image is created with the size it needs (or `imageSize`) and removed
 * again when the build fails. An existing block device is used as it is,
 * and an existing regular file only with `overwrite`.
 */
export async function buildWebVolume(dir: string, image: string, options: WebVolumeOptions = {}): Promise<WebVolumeResult> {
  let dirStat: fs.Stats;
  try {
    dirStat = fs.statSync(dir);
  } catch {
    throw new ShfsError('EINVAL', `${dir}: no such directory`);
  }
  if (!dirStat.isDirectory()) throw new ShfsError('EINVAL', `${dir} is not a directory`);

  const { entries, defaultName } = planWebEntries(dir);
  for (const entry of entries) {
    if (Buffer.byteLength(entry.name) > ENTRY_FIELD_SIZES.name) {
      options.onWarning?.(`name longer than ${ENTRY_FIELD_SIZES.name} bytes is stored cut short: ${entry.name}`);
    }
  }

  const needed = webImageBytes(entries, options);
  const existing = fs.existsSync(image) ? fs.statSync(image) : undefined;
  if (existing && !existing.isBlockDevice() && !(existing.isFile() && options.overwrite)) {
    throw new ShfsError('EINVAL', `${image} exists and is not a block device; use --force to overwrite it`);
  }
  if (options.imageSize !== undefined && options.imageSize < needed) {
    throw new ShfsError('EINVAL', `an image of ${options.imageSize} bytes is too small for ${dir}: ${needed} bytes needed`);
  }

  const created = existing === undefined;
  if (created) {
    fs.writeFileSync(image, '');
    fs.truncateSync(image, options.imageSize ?? needed);
  } else if (existing.isFile() && options.imageSize !== undefined) {
    fs.truncateSync(image, options.imageSize);
  }

  try {
    await formatVolume(
      [image],
      {
        name: options.name ?? WEB_VOLUME_DEFAULTS.name,
        stripeSize: options.stripeSize ?? WEB_VOLUME_DEFAULTS.stripeSize,
        bucketCount: options.bucketCount ?? WEB_VOLUME_DEFAULTS.bucketCount,
        entriesPerBucket: options.entriesPerBucket ?? WEB_VOLUME_DEFAULTS.entriesPerBucket,
        hashFunction: 'manual',
        hashLength: WEB_DIGEST_LENGTH,
      },
      { signal: options.signal, onStep: options.onStep },
    );

    const writer = await VolumeWriter.open([image]);
    try {
      for (const [index, entry] of entries.entries()) {
        await writer.addObject(entry.file, { name: entry.name, mime: entry.mime, digest: entry.digest, signal: options.signal });
        options.onProgress?.(index + 1, entries.length, entry.name);
      }
      const defaultEntry = entries.find((entry) => entry.name === defaultName);
      if (defaultEntry) await writer.setDefault(defaultEntry.digest);
    } finally {
      await writer.close();
    }
  } catch (error) {
    if (created) fs.rmSync(image, { force: true });
    throw error;
  }
  return { image, entries, defaultName, created };
}
