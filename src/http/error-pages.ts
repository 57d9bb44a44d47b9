// Small HTML pages that accompany every error status, and the raw responses
// sent on connections whose request never reached the request handler.
import { STATUS_CODES } from 'node:http';

export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

const EXPLANATIONS: Record<number, string> = {
  400: 'The request could not be understood.',
  404: 'No object with this name or digest is stored on this cache.',
  405: 'This cache serves objects with GET and HEAD only.',
  408: 'The request did not arrive in time.',
  412: 'A precondition of the request does not hold for this object.',
  414: 'The request target is longer than this cache accepts.',
  416: 'The requested byte range lies outside the object.',
  431: 'The request header fields are larger than this cache accepts.',
  500: 'The object could not be read from the storage device.',
  501: 'The request method is not implemented by this cache.',
  502: 'The origin server sent an invalid response.',
  503: 'The service is unavailable at the moment. Please try again later.',
  504: 'The origin server did not respond in time.',
  505: 'This cache supports HTTP/1.0 and HTTP/1.1 only.',
};

/** Reason phrase of a status code, as Node spells it. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/** Builds the HTML page for an error status; `detail`, if given, replaces the standard explanation. */
export function errorPage(status: number, serverName: string, detail?: string): Buffer {
  const title = `${status} ${reasonPhrase(status)}`;
  const text = detail ?? EXPLANATIONS[status] ?? 'The request failed.';
  const html =
    '<!DOCTYPE html>\n' +
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
    `<body><h1>${escapeHtml(title)}</h1>\n` +
    `<p>${escapeHtml(text)}</p>\n` +
    `<hr><address>${escapeHtml(serverName)}</address></body></html>\n`;
  return Buffer.from(html, 'utf8');
}

/**
 * Builds a complete HTTP/1.1 error response with `Connection: close`, for
 * writing straight to a socket when no ServerResponse exists (parse errors, CONNECT).
 */
export function rawErrorResponse(status: number, serverName: string, extraHeaders: Record<string, string> = {}): Buffer {
  const body = errorPage(status, serverName);
  const lines = [
    `HTTP/1.1 ${status} ${reasonPhrase(status)}`,
    `Server: ${serverName}`,
    `Date: ${new Date().toUTCString()}`,
    `Content-Type: ${HTML_CONTENT_TYPE}`,
    `Content-Length: ${body.length}`,
    'Cache-Control: no-cache',
    ...Object.entries(extraHeaders).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
