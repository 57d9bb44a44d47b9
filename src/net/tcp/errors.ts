// Errors a connection ends with, carrying the errno-style codes that Node's
// `net` module uses, so that servers written for `net` (Node's http server
// among them) recognise them.

export type TcpErrorCode =
  | 'ECONNRESET'
  | 'ECONNREFUSED'
  | 'ECONNABORTED'
  | 'ETIMEDOUT'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EINVAL';

export class TcpError extends Error {
  override name = 'TcpError';

  constructor(
    readonly code: TcpErrorCode,
    message: string,
  ) {
    super(message);
  }
}
