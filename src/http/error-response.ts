// Sends an error status with its HTML page on a ServerResponse.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { errorPage, HTML_CONTENT_TYPE } from './error-pages';

export interface ErrorResponseOptions {
  /** Replaces the standard explanation on the page. */
  detail?: string;
  headers?: OutgoingHttpHeaders;
  /** Close the connection after this response. */
  close?: boolean;
}

/** Writes the status, the page and its headers; HEAD responses get the headers only (Node drops the body). */
export function sendErrorResponse(res: ServerResponse, status: number, serverName: string, options: ErrorResponseOptions = {}): void {
  if (res.headersSent) {
    // Part of another response already went out: the only honest signal left is to cut the connection.
    res.destroy();
    return;
  }
  const body = errorPage(status, serverName, options.detail);
  const headers: OutgoingHttpHeaders = {
    'Content-Type': HTML_CONTENT_TYPE,
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    ...options.headers,
  };
  if (options.close === true) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}
