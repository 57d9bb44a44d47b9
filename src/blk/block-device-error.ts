// Errors of block device operations: a stable errno-style code and a
// message that names the device.

export class BlockDeviceError extends Error {
  readonly code: string;
  readonly path: string;

  constructor(code: string, message: string, path: string) {
    super(message);
    this.name = 'BlockDeviceError';
    this.code = code;
    this.path = path;
  }
}

/**
 * Wraps an error of the native addon. Its code is kept when it is an errno
 * name; `fallbackCode` replaces the addon's generic codes ('EBLKIO',
 * 'EUNKNOWN' or none).
 */
export function toBlockDeviceError(error: unknown, path: string, action: string, fallbackCode = 'EIO'): BlockDeviceError {
  const cause = error as { code?: unknown; message?: unknown };
  const nativeCode = typeof cause.code === 'string' ? cause.code : undefined;
  const code = nativeCode && nativeCode !== 'EBLKIO' && nativeCode !== 'EUNKNOWN' ? nativeCode : fallbackCode;
  const detail = typeof cause.message === 'string' ? cause.message : String(error);

  // The addon's open errors already name the path, and its transfer errors the action.
  let message = `${path}: ${action}: ${detail}`;
  if (detail.includes(path)) message = detail;
  else if (detail.startsWith(action)) message = `${path}: ${detail}`;
  return new BlockDeviceError(code, message, path);
}
