import * as assert from 'node:assert/strict';
import { evaluatePreconditions, ifRangeMatches, type Validators } from '../../../src/http/conditional';

const VALIDATORS: Validators = { etag: '"abc123"', lastModified: new Date(Date.UTC(2024, 0, 15, 10, 0, 0)) };
const SAME_DATE = 'Mon, 15 Jan 2024 10:00:00 GMT';
const EARLIER_DATE = 'Mon, 15 Jan 2024 09:59:59 GMT';
const LATER_DATE = 'Mon, 15 Jan 2024 10:00:01 GMT';

describe('preconditions', () => {
  it('proceeds without conditional fields', () => {
    assert.equal(evaluatePreconditions({}, 'GET', VALIDATORS), 'proceed');
  });

  it('answers If-None-Match with the same tag 304', () => {
    assert.equal(evaluatePreconditions({ 'if-none-match': '"abc123"' }, 'GET', VALIDATORS), 'not-modified');
  });

  it('compares If-None-Match weakly', () => {
    assert.equal(evaluatePreconditions({ 'if-none-match': 'W/"abc123"' }, 'GET', VALIDATORS), 'not-modified');
  });

  it('matches If-None-Match star', () => {
    assert.equal(evaluatePreconditions({ 'if-none-match': '*' }, 'HEAD', VALIDATORS), 'not-modified');
  });

  it('finds a tag in an If-None-Match list', () => {
    assert.equal(evaluatePreconditions({ 'if-none-match': '"x", "y,z" , "abc123"' }, 'GET', VALIDATORS), 'not-modified');
  });

  it('proceeds on another If-None-Match tag', () => {
    assert.equal(evaluatePreconditions({ 'if-none-match': '"other"' }, 'GET', VALIDATORS), 'proceed');
  });

  it('answers If-Modified-Since at Last-Modified 304', () => {
    assert.equal(evaluatePreconditions({ 'if-modified-since': SAME_DATE }, 'GET', VALIDATORS), 'not-modified');
  });

  it('answers a later If-Modified-Since 304', () => {
    assert.equal(evaluatePreconditions({ 'if-modified-since': LATER_DATE }, 'GET', VALIDATORS), 'not-modified');
  });

  it('proceeds on an earlier If-Modified-Since', () => {
    assert.equal(evaluatePreconditions({ 'if-modified-since': EARLIER_DATE }, 'GET', VALIDATORS), 'proceed');
  });

  it('ignores an invalid If-Modified-Since', () => {
    assert.equal(evaluatePreconditions({ 'if-modified-since': 'yesterday' }, 'GET', VALIDATORS), 'proceed');
  });

  it('lets If-None-Match override If-Modified-Since', () => {
    assert.equal(evaluatePreconditions({ 'if-none-match': '"other"', 'if-modified-since': LATER_DATE }, 'GET', VALIDATORS), 'proceed');
  });

  it('fails If-Match with another tag', () => {
    assert.equal(evaluatePreconditions({ 'if-match': '"other"' }, 'GET', VALIDATORS), 'precondition-failed');
  });

  it('compares If-Match strongly', () => {
    assert.equal(evaluatePreconditions({ 'if-match': 'W/"abc123"' }, 'GET', VALIDATORS), 'precondition-failed');
  });

  it('passes If-Match with the tag', () => {
    assert.equal(evaluatePreconditions({ 'if-match': '"abc123"' }, 'GET', VALIDATORS), 'proceed');
  });

  it('fails an earlier If-Unmodified-Since', () => {
    assert.equal(evaluatePreconditions({ 'if-unmodified-since': EARLIER_DATE }, 'GET', VALIDATORS), 'precondition-failed');
  });
});

describe('If-Range', () => {
  it('matches the current tag', () => {
    assert.equal(ifRangeMatches('"abc123"', VALIDATORS), true);
  });

  it('never matches a weak tag', () => {
    assert.equal(ifRangeMatches('W/"abc123"', VALIDATORS), false);
  });

  it('rejects another tag', () => {
    assert.equal(ifRangeMatches('"other"', VALIDATORS), false);
  });

  it('matches the exact date', () => {
    assert.equal(ifRangeMatches(SAME_DATE, VALIDATORS), true);
  });

  it('rejects a later date', () => {
    assert.equal(ifRangeMatches(LATER_DATE, VALIDATORS), false);
  });

  it('rejects an invalid date', () => {
    assert.equal(ifRangeMatches('soon', VALIDATORS), false);
  });
});
