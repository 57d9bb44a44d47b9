// Conditional requests (RFC 9110 section 13): preconditions evaluated in the
// order of section 13.2.2, and the If-Range test of section 13.1.5.
import type { IncomingHttpHeaders } from 'node:http';
import { parseHttpDate } from './http-date';

/** Validators of the selected representation. */
export interface Validators {
  /** Strong entity tag with its quotes, e.g. "\"1e83...\"". */
  etag: string;
  lastModified: Date;
}

export type PreconditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

interface EntityTag {
  weak: boolean;
  opaque: string;
}

const ENTITY_TAG = /^(W\/)?"([^"]*)"$/;
const ENTITY_TAG_IN_LIST = /(W\/)?"([^"]*)"/g;

/** Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since. */
export function evaluatePreconditions(headers: IncomingHttpHeaders, method: string, validators: Validators): PreconditionOutcome {
  const safe = method === 'GET' || method === 'HEAD';

  // Step 1: If-Match uses the strong comparison; failing it is 412.
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (!listMatches(ifMatch, validators.etag, strongMatch)) return 'precondition-failed';
  } else {
    // Step 2: If-Unmodified-Since, only without If-Match.
    const since = parseHttpDate(headers['if-unmodified-since']);
    if (since !== undefined && wholeSeconds(validators.lastModified) > wholeSeconds(since)) return 'precondition-failed';
  }

  // Step 3: If-None-Match uses the weak comparison; a match is 304 for GET and HEAD.
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (listMatches(ifNoneMatch, validators.etag, weakMatch)) return safe ? 'not-modified' : 'precondition-failed';
    return 'proceed';
  }

  // Step 4: If-Modified-Since, only for GET and HEAD and only without If-None-Match.
  if (safe) {
    const since = parseHttpDate(headers['if-modified-since']);
    if (since !== undefined && wholeSeconds(validators.lastModified) <= wholeSeconds(since)) return 'not-modified';
  }
  return 'proceed';
}

/**
 * Returns whether an If-Range value matches the representation, so that the
 * Range header applies: an entity tag by strong comparison, or a date that
 * equals Last-Modified exactly (section 13.1.5).
 */
export function ifRangeMatches(value: string, validators: Validators): boolean {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) {
    const tag = parseEntityTag(trimmed);
    const current = parseEntityTag(validators.etag);
    return tag !== undefined && current !== undefined && strongMatch(tag, current);
  }
  const date = parseHttpDate(trimmed);
  return date !== undefined && wholeSeconds(date) === wholeSeconds(validators.lastModified);
}

function listMatches(header: string, currentTag: string, compare: (a: EntityTag, b: EntityTag) => boolean): boolean {
  if (header.trim() === '*') return true;
  const current = parseEntityTag(currentTag);
  if (current === undefined) return false;
  // Scanning for quoted tags keeps a comma inside a tag from splitting it.
  for (const match of header.matchAll(ENTITY_TAG_IN_LIST)) {
    if (compare({ weak: match[1] !== undefined, opaque: match[2] }, current)) return true;
  }
  return false;
}

function parseEntityTag(text: string): EntityTag | undefined {
  const match = ENTITY_TAG.exec(text);
  if (match === null) return undefined;
  return { weak: match[1] !== undefined, opaque: match[2] };
}

// Section 8.8.3.2: strong comparison needs both tags strong and equal.
function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

// HTTP dates have a resolution of one second.
function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
