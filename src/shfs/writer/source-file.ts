// Reading the file behind a new object: opening it with a clear error,
// computing its digest the way the original tool does, and reading it in
// chunk-sized batches.
import * as fs from 'node:fs';
import { createContentDigest } from '../digest/content-digest';
import { ShfsError } from '../errors';
import type { HashFunctionName } from '../types';

/** Bytes read from the source per request (rounded to whole chunks). */
export const SOURCE_BATCH_BYTES = 4 * 1024 * 1024;

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a component of the path is not a directory',
  EIO: 'input/output error',
};

/** Describes a file system error in the usual words, naming the path. */
export function fileError(path: string, error: unknown): ShfsError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const text = ERRNO_TEXT[code] ?? (error instanceof Error ? error.message : String(error));
  return new ShfsError('EINVAL', `${path}: ${text}`, { cause: error });
}

export interface SourceFile {
  path: string;
  handle: fs.promises.FileHandle;
  size: number;
  /** Modification time and inode change time, compared after copying. */
  stamp: string;
}

function stampOf(stat: fs.Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
}

/**
 * Opens a regular file; rejects missing files, directories and other
 * non-regular files. O_NONBLOCK keeps open(2) from waiting for a writer when
 * the path is a FIFO, and it has no effect on regular files.
 */
export async function openSourceFile(path: string): Promise<SourceFile> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ShfsError('EINVAL', `${path} is not a regular file`);
    return { path, handle, size: stat.size, stamp: stampOf(stat) };
  } catch (error) {
    await handle.close();
    throw error instanceof ShfsError ? error : fileError(path, error);
  }
}

/** Throws ECHANGED when the file's size, times or inode differ from when it was opened. */
export async function checkUnchanged(source: SourceFile): Promise<void> {
  const stat = await source.handle.stat();
  if (stampOf(stat) !== source.stamp) {
    throw new ShfsError('ECHANGED', `${source.path} changed while it was being added`);
  }
}

/**
 * Reads `length` bytes at `position` into `target`, failing with ECHANGED
 * when the file ends early.
 */
export async function readExactly(source: SourceFile, target: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await source.handle.read(target, done, length - done, position + done));
    } catch (error) {
      throw fileError(source.path, error);
    }
    if (bytesRead === 0) throw new ShfsError('ECHANGED', `${source.path} became shorter while it was being added`);
    done += bytesRead;
  }
}

export interface DigestProgress {
  (bytesDone: number): void;
}

/**
 * Computes an object's digest as the original shfs_admin does. The original
 * reads the file chunk by chunk and takes size % chunksize bytes of the last
 * chunk, which is 0 when the size is a whole number of chunks. So a
 * 16384-byte file on a 4096-byte-chunk volume gets the digest of its first
 * 12288 bytes, while other sizes get the plain digest of the whole file.
 */
export async function digestSourceFile(
  source: SourceFile,
  hashFunction: HashFunctionName,
  hashLength: number,
  chunkSize: number,
  options: { signal?: AbortSignal; onProgress?: DigestProgress } = {},
): Promise<Buffer> {
  const digest = createContentDigest(hashFunction, hashLength);
  const hashedBytes = source.size % chunkSize === 0 ? Math.max(0, source.size - chunkSize) : source.size;
  const batchBytes = Math.max(chunkSize, Math.floor(SOURCE_BATCH_BYTES / chunkSize) * chunkSize);

  // Two buffers: the next batch is read while the current one is hashed.
  const buffers = [Buffer.allocUnsafe(batchBytes), Buffer.allocUnsafe(batchBytes)];
  const readBatch = async (position: number, buffer: Buffer) => {
    const length = Math.min(batchBytes, hashedBytes - position);
    await readExactly(source, buffer, length, position);
    return buffer.subarray(0, length);
  };

  let position = 0;
  let pending = hashedBytes > 0 ? readBatch(0, buffers[0]) : undefined;
  for (let turn = 1; pending; turn++) {
    const data = await pending;
    position += data.length;
    pending = position < hashedBytes ? readBatch(position, buffers[turn % 2]) : undefined;
    if (options.signal?.aborted) {
      await pending?.catch(() => undefined);
      throw new ShfsError('ECANCELED', `interrupted; ${source.path} was not added`);
    }
    digest.update(data);
    options.onProgress?.(position);
  }
  return digest.digest();
}
