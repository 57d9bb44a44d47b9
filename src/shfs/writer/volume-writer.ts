// Changes to a volume, made the way the original shfs_admin makes them (same
// allocation, same slots, same bytes) but safely. Object data is written and
// synced before the table entry that points to it. Each table change is one
// write of the affected 256-byte slot, so a failing or interrupted operation
// leaves the table as it was.
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { BUFFER_ALIGNMENT } from '../chunk-io';
import { allocAligned } from '../../blk/block-device';
import { createContentDigest } from '../digest/content-digest';
import { isZeroDigest, parseDigest } from '../digest/digest-text';
import { containerProblem, toShfsEntry } from '../entry-record';
import { ShfsError } from '../errors';
import { ALLOCATOR_BEST_FIT } from '../format/config-header';
import {
  ENTRY_FIELDS,
  ENTRY_FIELD_SIZES,
  ENTRY_SLOT_SIZE,
  FLAG_DEFAULT,
  FLAG_LINK,
  LINK_TYPE_AUTO,
  LINK_TYPE_RAW,
  LINK_TYPE_REDIRECT,
  clearEncoding,
  parseEntry,
  writeCreatedAt,
  writeDigest,
  writeFlags,
  writeMime,
  writeName,
  writeObjectFields,
} from '../format/entry';
import { bucketOf, containerChunks, entryLocation } from '../format/geometry';
import { writeCharField } from '../format/label';
import type { OpenDevice } from '../members';
import type { LinkType, ShfsEntry } from '../types';
import { closeVolumeLayout, openVolumeLayout, scanTable, type VolumeLayout } from '../volume-layout';
import { buildVolumeReport, type VolumeReport } from '../volume-report';
import { ContainerAllocator } from './container-allocator';
import { parseLinkUrl, posixBasename } from './link-url';
import { SOURCE_BATCH_BYTES, checkUnchanged, digestSourceFile, openSourceFile, readExactly, type SourceFile } from './source-file';

export interface WriterOpenOptions {
  openDevice?: OpenDevice;
  /** Open the devices read-only: listing, information and reading objects only. */
  readOnly?: boolean;
}

export interface OperationOptions {
  signal?: AbortSignal;
  /** Called with bytes done and bytes in total while a file is hashed and copied (twice the file size). */
  onProgress?: (done: number, total: number) => void;
  /** Called for conditions the original reports but does not fail on. */
  onWarning?: (message: string) => void;
}

export interface AddObjectOptions extends OperationOptions {
  mime?: string;
  /** Stored name; the file's base name when not given. */
  name?: string;
  /** Hex digest; required on manual volumes, ignored (with a warning) on others. */
  digest?: string;
}

export interface AddLinkOptions extends OperationOptions {
  type?: LinkType;
  /** Stored name; the URL's last path component when not given. */
  name?: string;
  digest?: string;
}

const LINK_TYPE_CODES: Record<LinkType, number> = { redirect: LINK_TYPE_REDIRECT, raw: LINK_TYPE_RAW, auto: LINK_TYPE_AUTO };

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class VolumeWriter {
  private readonly slots = new Map<number, Buffer>();
  /** Used slots in list order: table order at open, then in the order of additions. */
  private readonly order: number[] = [];
  private readonly byDigest = new Map<string, number>();
  private defaultSlot: number | undefined;
  private readonly allocator: ContainerAllocator;
  private closed = false;

  private constructor(
    readonly layout: VolumeLayout,
    readonly readOnly: boolean,
  ) {
    const { config, volume } = layout;
    this.allocator = new ContainerAllocator(volume.volumeSize, config.allocator === ALLOCATOR_BEST_FIT ? 'best-fit' : 'first-fit');
    this.allocator.register(0, 2);
    this.allocator.register(config.tableRef, layout.tableChunks);
    if (config.backupTableRef !== 0) this.allocator.register(config.backupTableRef, layout.tableChunks);
  }

  /** Opens the volume made of `paths` (any order) for changes. */
  static async open(paths: readonly string[], options: WriterOpenOptions = {}): Promise<VolumeWriter> {
    const readOnly = options.readOnly ?? false;
    const layout = await openVolumeLayout(paths, { writable: !readOnly, direct: false, openDevice: options.openDevice });
    try {
      const writer = new VolumeWriter(layout, readOnly);
      await scanTable(layout, (index, slot) => writer.load(index, Buffer.from(slot)));
      return writer;
    } catch (error) {
      await closeVolumeLayout(layout.volume);
      throw error;
    }
  }

  get name(): string {
    return this.layout.volume.header.volumeName.toString('utf8');
  }

  get hashLength(): number {
    return this.layout.config.hashLength;
  }

  get chunkSize(): number {
    return this.layout.volume.chunkSize;
  }

  /** Used entries in list order (table order at open, additions appended). */
  entries(): ShfsEntry[] {
    return this.order.map((index) => toShfsEntry(index, this.slots.get(index)!, this.hashLength));
  }

  report(): VolumeReport {
    return buildVolumeReport(this.layout, this.entries());
  }

  findByDigest(digestText: string): ShfsEntry | undefined {
    const index = this.byDigest.get(parseDigest(digestText, this.hashLength).toString('hex'));
    return index === undefined ? undefined : toShfsEntry(index, this.slots.get(index)!, this.hashLength);
  }

  /**
   * Adds the regular file at `path` as an object. The digest is computed
   * first (or taken from `options.digest` on manual volumes), then checked
   * against existing entries and the bucket, then the data is copied into
   * the first free area, synced, and only then the entry is written.
   */
  async addObject(path: string, options: AddObjectOptions = {}): Promise<ShfsEntry> {
    this.checkOpen();
    const source = await openSourceFile(path);
    try {
      const chunkCount = containerChunks(0, source.size, this.chunkSize);
      const chunk = this.allocate(chunkCount, path);
      const total = this.layout.hashFunction.name === 'manual' ? source.size : 2 * source.size;
      const digest = await this.objectDigest(source, options, total);
      const index = this.reserveSlot(digest, path);

      await this.copyData(source, chunk, options, total);
      await checkUnchanged(source);
      await this.layout.io.sync();

      // The slot keeps the bytes the original leaves alone (those after the encoding field).
      const slot = await this.readSlot(index);
      writeDigest(slot, digest);
      writeObjectFields(slot, { chunk, offset: 0, length: source.size });
      writeCreatedAt(slot, nowSeconds());
      writeFlags(slot, 0);
      writeMime(slot, fieldBytes('media type', options.mime ?? '', ENTRY_FIELD_SIZES.mime, options));
      clearEncoding(slot);
      writeName(slot, fieldBytes('name', options.name ?? basename(path), ENTRY_FIELD_SIZES.name, options));
      await this.commitSlot(index, slot);

      this.allocator.register(chunk, chunkCount);
      this.link(index, slot);
      return toShfsEntry(index, slot, this.hashLength);
    } finally {
      await source.handle.close();
    }
  }

  /** Adds a link to an origin URL; its digest is that of the URL text unless given. */
  async addLink(url: string, options: AddLinkOptions = {}): Promise<ShfsEntry> {
    this.checkOpen();
    const target = parseLinkUrl(url);

    let digest: Buffer;
    if (this.layout.hashFunction.name === 'manual') {
      digest = this.manualDigest(options.digest, url);
    } else {
      if (options.digest !== undefined) {
        options.onWarning?.(`volume '${this.name}' computes digests itself; ignoring the digest given for ${url}`);
      }
      const hasher = createContentDigest(this.layout.hashFunction.name, this.hashLength);
      hasher.update(Buffer.from(url, 'utf8'));
      digest = hasher.digest();
    }
    const index = this.reserveSlot(digest, url);

    const slot = await this.readSlot(index);
    writeDigest(slot, digest);
    writeFlags(slot, FLAG_LINK);
    slot.writeUInt16LE(target.port, ENTRY_FIELDS.port);
    slot[ENTRY_FIELDS.linkType] = LINK_TYPE_CODES[options.type ?? 'redirect'];
    // Host type and the whole 32-byte host field; the original leaves stack bytes after the name, this writes zeros.
    slot[ENTRY_FIELDS.hostType] = target.hostType;
    writeCharField(slot, ENTRY_FIELDS.host, ENTRY_FIELD_SIZES.host, target.host);
    if (target.hasPath) {
      writeCharField(slot, ENTRY_FIELDS.path, ENTRY_FIELD_SIZES.path, Buffer.from(target.path, 'utf8'));
    } else {
      slot[ENTRY_FIELDS.path] = 0;
    }
    writeCreatedAt(slot, nowSeconds());
    writeName(slot, fieldBytes('name', options.name ?? posixBasename(url), ENTRY_FIELD_SIZES.name, options));
    await this.commitSlot(index, slot);

    this.link(index, slot);
    return toShfsEntry(index, slot, this.hashLength);
  }

  /** Removes an object or link; its container's chunks become free. */
  async removeObject(digestText: string): Promise<ShfsEntry> {
    this.checkOpen();
    const index = this.lookup(digestText);
    const current = this.slots.get(index)!;
    const removed = toShfsEntry(index, current, this.hashLength);

    // Like the original, only the digest is cleared (in 8-byte steps); the other bytes stay.
    const slot = Buffer.from(current);
    slot.fill(0, 0, Math.ceil(this.hashLength / 8) * 8);
    await this.commitSlot(index, slot);

    const raw = parseEntry(current, this.hashLength);
    if (raw.object) this.allocator.unregister(raw.object.chunk, containerChunks(raw.object.offset, raw.object.length, this.chunkSize));
    this.unlink(index);
    return removed;
  }

  /** Marks the entry as the default object, clearing the flag of the previous default first. */
  async setDefault(digestText: string): Promise<ShfsEntry> {
    this.checkOpen();
    const index = this.lookup(digestText);
    if (this.defaultSlot !== index) {
      await this.clearDefault();
      const slot = Buffer.from(this.slots.get(index)!);
      writeFlags(slot, slot[ENTRY_FIELDS.flags] | FLAG_DEFAULT);
      await this.commitSlot(index, slot);
      this.slots.set(index, slot);
      this.defaultSlot = index;
    }
    return toShfsEntry(index, this.slots.get(index)!, this.hashLength);
  }

  /** Clears the default flag; does nothing when no entry has it. */
  async clearDefault(): Promise<void> {
    this.checkOpen();
    if (this.defaultSlot === undefined) return;
    const index = this.defaultSlot;
    const slot = Buffer.from(this.slots.get(index)!);
    writeFlags(slot, slot[ENTRY_FIELDS.flags] & ~FLAG_DEFAULT);
    await this.commitSlot(index, slot);
    this.slots.set(index, slot);
    this.defaultSlot = undefined;
  }

  /** Writes an object's bytes to `out` (nothing for links), honouring backpressure. */
  async catObject(digestText: string, out: Writable, options: OperationOptions = {}): Promise<ShfsEntry> {
    this.checkOpen(false);
    const index = this.lookup(digestText);
    const entry = toShfsEntry(index, this.slots.get(index)!, this.hashLength);
    if (entry.link) return entry;
    // Checked first, so that a damaged entry writes nothing rather than part of the volume.
    const problem = containerProblem(entry, this.layout.volume.volumeSize, this.chunkSize);
    if (problem !== undefined) throw new ShfsError('EBADCONFIG', `cannot read '${entry.name}' (${entry.digestHex}): ${problem}`);

    const batch = Math.max(1, Math.floor(SOURCE_BATCH_BYTES / this.chunkSize));
    const first = entry.chunk + Math.floor(entry.offset / this.chunkSize);
    let skip = entry.offset % this.chunkSize;
    let left = entry.size;
    for (let chunk = first; left > 0; chunk += batch) {
      if (options.signal?.aborted) throw new ShfsError('ECANCELED', 'interrupted while writing the object');
      const count = Math.min(batch, containerChunks(skip, left, this.chunkSize));
      const data = await this.layout.io.readChunks(chunk, count);
      const piece = data.subarray(skip, skip + Math.min(left, count * this.chunkSize - skip));
      left -= piece.length;
      skip = 0;
      if (!out.write(piece)) await waitForDrain(out);
    }
    return entry;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeVolumeLayout(this.layout.volume);
  }

  private load(index: number, slot: Buffer): void {
    this.link(index, slot);
    const raw = parseEntry(slot, this.hashLength);
    if (raw.object) {
      this.allocator.register(raw.object.chunk, containerChunks(raw.object.offset, raw.object.length, this.chunkSize));
    }
    // With several default flags (a damaged table) the original tracks the last one.
    if (slot[ENTRY_FIELDS.flags] & FLAG_DEFAULT) this.defaultSlot = index;
  }

  private link(index: number, slot: Buffer): void {
    if (!this.slots.has(index)) this.order.push(index);
    this.slots.set(index, slot);
    this.byDigest.set(slot.subarray(0, this.hashLength).toString('hex'), index);
  }

  private unlink(index: number): void {
    const slot = this.slots.get(index)!;
    this.byDigest.delete(parseEntry(slot, this.hashLength).digest.toString('hex'));
    this.slots.delete(index);
    this.order.splice(this.order.indexOf(index), 1);
    if (this.defaultSlot === index) this.defaultSlot = undefined;
  }

  private checkOpen(change = true): void {
    if (this.closed) throw new ShfsError('ENODEV', `volume '${this.name}' is closed`);
    if (change && this.readOnly) throw new ShfsError('EINVAL', `volume '${this.name}' is open read-only`);
  }

  private lookup(digestText: string): number {
    const digest = parseDigest(digestText, this.hashLength);
    const index = this.byDigest.get(digest.toString('hex'));
    if (index === undefined) {
      throw new ShfsError('ENOENT', `no object with digest ${digest.toString('hex')} on volume '${this.name}'`);
    }
    return index;
  }

  private allocate(chunkCount: number, what: string): number {
    const chunk = this.allocator.findFree(chunkCount);
    if (chunk === 0 || chunk >= this.layout.volume.volumeSize || chunk + chunkCount > this.layout.volume.volumeSize) {
      throw new ShfsError('ENOSPC', `no free area of ${chunkCount} chunks for ${what} on volume '${this.name}'`);
    }
    return chunk;
  }

  private manualDigest(text: string | undefined, what: string): Buffer {
    if (text === undefined) {
      throw new ShfsError('EINVAL', `a digest (-D HEX) is required for ${what}: volume '${this.name}' uses manual digests (volumes built by mkwebfs use the SHA-1 of the name: printf NAME | sha1sum)`);
    }
    let digest: Buffer;
    try {
      digest = parseDigest(text, this.hashLength);
    } catch {
      throw new ShfsError('EINVAL', `invalid digest '${text}' for ${what}: expected ${this.hashLength * 2} hex digits`);
    }
    return digest;
  }

  private async objectDigest(source: SourceFile, options: AddObjectOptions, total: number): Promise<Buffer> {
    const { hashFunction } = this.layout;
    if (hashFunction.name === 'manual') return this.manualDigest(options.digest, source.path);
    if (options.digest !== undefined) {
      options.onWarning?.(`volume '${this.name}' computes digests itself; ignoring the digest given for ${source.path}`);
    }
    return digestSourceFile(source, hashFunction.name, this.hashLength, this.chunkSize, {
      signal: options.signal,
      onProgress: (done) => options.onProgress?.(done, total),
    });
  }

  /** Checks the digest against the table and returns the first free slot of its bucket. */
  private reserveSlot(digest: Buffer, what: string): number {
    if (isZeroDigest(digest)) {
      throw new ShfsError('EINVAL', `the digest of ${what} is all zeros, which marks a free slot and cannot be stored`);
    }
    const existing = this.byDigest.get(digest.toString('hex'));
    if (existing !== undefined) {
      const name = parseEntry(this.slots.get(existing)!, this.hashLength).name.toString('utf8');
      throw new ShfsError('EEXIST', `an entry with digest ${digest.toString('hex')} already exists ('${name}'); ${what} was not added`);
    }

    const { bucketCount, entriesPerBucket } = this.layout.config;
    const bucket = bucketOf(digest, this.hashLength, bucketCount);
    for (let index = bucket * entriesPerBucket; index < (bucket + 1) * entriesPerBucket; index++) {
      if (!this.slots.has(index)) return index;
    }
    throw new ShfsError('EBUCKETFULL', `hash table bucket ${bucket} is full (${entriesPerBucket} entries); ${what} was not added`);
  }

  /** Copies the file into chunks [chunk, ...), the last chunk padded with zeros. */
  private async copyData(source: SourceFile, chunk: number, options: AddObjectOptions, total: number): Promise<void> {
    const chunkSize = this.chunkSize;
    const batchChunks = Math.max(1, Math.floor(SOURCE_BATCH_BYTES / chunkSize));
    const batchBytes = batchChunks * chunkSize;
    const digestBytes = total - source.size;
    const buffers = [allocAligned(batchBytes, BUFFER_ALIGNMENT), allocAligned(batchBytes, BUFFER_ALIGNMENT)];

    const readBatch = async (position: number, buffer: Buffer): Promise<Buffer> => {
      const length = Math.min(batchBytes, source.size - position);
      await readExactly(source, buffer, length, position);
      const padded = containerChunks(0, length, chunkSize) * chunkSize;
      buffer.fill(0, length, padded);
      return buffer.subarray(0, padded);
    };

    // The next batch is read from the file while the current one is written to the volume.
    let position = 0;
    let pending = source.size > 0 ? readBatch(0, buffers[0]) : undefined;
    for (let turn = 1; pending; turn++) {
      const data = await pending;
      const length = Math.min(batchBytes, source.size - position);
      const next = position + length;
      pending = next < source.size ? readBatch(next, buffers[turn % 2]) : undefined;
      try {
        if (options.signal?.aborted) throw new ShfsError('ECANCELED', `interrupted; ${source.path} was not added`);
        await this.layout.io.writeChunks(chunk + position / chunkSize, data);
      } catch (error) {
        await pending?.catch(() => undefined);
        throw error;
      }
      position = next;
      options.onProgress?.(digestBytes + position, total);
    }
  }

  private async readSlot(index: number): Promise<Buffer> {
    const { chunk, offset } = entryLocation(index, this.chunkSize);
    return Buffer.from(await this.layout.io.readInChunk(this.layout.config.tableRef + chunk, offset, ENTRY_SLOT_SIZE));
  }

  /** Writes one slot (and its copy in the backup table) and syncs the devices. */
  private async commitSlot(index: number, slot: Buffer): Promise<void> {
    const { chunk, offset } = entryLocation(index, this.chunkSize);
    const { tableRef, backupTableRef } = this.layout.config;
    await this.layout.io.writeInChunk(tableRef + chunk, offset, slot);
    if (backupTableRef !== 0) await this.layout.io.writeInChunk(backupTableRef + chunk, offset, slot);
    await this.layout.io.sync();
  }
}

/**
 * Returns the UTF-8 bytes of a character field's text. Text longer than the
 * field is stored cut short, as by the original tool, with a warning.
 */
function fieldBytes(field: string, text: string, size: number, options: OperationOptions): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > size) options.onWarning?.(`${field} longer than ${size} bytes is stored cut short: ${text}`);
  return bytes;
}

function waitForDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      out.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      out.off('drain', onDrain);
      reject(error);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}
