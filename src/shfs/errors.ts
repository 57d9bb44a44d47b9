// Errors of the SHFS library: a stable code to branch on and a one-line
// message that names the device, file or digest involved.

export type ShfsErrorCode =
  /** No SHFS label on the device (wrong magic). */
  | 'ENOTSHFS'
  /** An SHFS label of a version other than 2.1, or a byte order or stripe mode this code cannot read. */
  | 'EVERSION'
  /** Members missing, given twice, or from different volumes. */
  | 'EMEMBER'
  /** A member is smaller than the volume needs. */
  | 'ETRUNCATED'
  /** Invalid values in the label or the configuration header. */
  | 'EBADCONFIG'
  /** An entry with the same digest exists. */
  | 'EEXIST'
  /** The digest's bucket of the hash table has no free slot. */
  | 'EBUCKETFULL'
  /** No free area of the volume is large enough. */
  | 'ENOSPC'
  /** No entry with that digest. */
  | 'ENOENT'
  /** An invalid argument: digest text, URL, option value, source file. */
  | 'EINVAL'
  /** The device failed a transfer. */
  | 'EIO'
  /** The volume is unmounted. */
  | 'ENODEV'
  /** The source file changed while it was being stored. */
  | 'ECHANGED'
  /** The operation was cancelled (SIGINT). */
  | 'ECANCELED';

export class ShfsError extends Error {
  readonly code: ShfsErrorCode;

  constructor(code: ShfsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShfsError';
    this.code = code;
  }
}

/** Turns a device error into an EIO ShfsError, keeping its message. */
export function ioError(error: unknown): ShfsError {
  if (error instanceof ShfsError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ShfsError('EIO', message, { cause: error });
}
