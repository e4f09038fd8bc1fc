import { describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, Router, compactLocation, errorBody, httpStatusFor, methodNotAllowedMessage, type RouteHandler } from '../src/index.ts';

const handler =
  (name: string): RouteHandler =>
  () => ({ status: 200, body: name });

describe('Router: the one route table of every HTTP API', () => {
  const router = new Router()
    .add('GET', '/schema', handler('list'))
    .add('POST', '/schema', handler('create'))
    .add('GET', '/schema/{class}', handler('first'))
    .add('GET', '/schema/{class}', handler('second'))
    .add('DELETE', '/schema/{class}', handler('delete'));

  test('the first route added for a method and path wins, with its decoded params', () => {
    const match = router.match('GET', '/schema/Caf%C3%A9');
    expect(match.kind).toBe('found');
    if (match.kind !== 'found') return;
    expect(match.params).toEqual({ class: 'Café' });
    expect(match.handler({ method: 'GET', path: '/schema/Café', query: new URLSearchParams(), body: undefined, params: match.params })).toEqual({
      status: 200,
      body: 'first',
    });
  });

  test('a known path with another method is method-not-allowed, naming each allowed method once', () => {
    expect(router.match('PATCH', '/schema/Article')).toEqual({ kind: 'method-not-allowed', allowed: ['GET', 'DELETE'] });
    expect(methodNotAllowedMessage('PATCH', '/v1/schema/Article', ['GET', 'DELETE'])).toBe(
      'method PATCH is not allowed on /v1/schema/Article (allowed: GET, DELETE)',
    );
  });

  test('trailing slashes are ignored; empty or undecodable segments and other shapes match nothing', () => {
    expect(router.match('GET', '/schema/').kind).toBe('found');
    expect(router.match('GET', '/schema/Article//').kind).toBe('found');
    for (const path of ['/', '', '/schema//Article', '//schema', '/schema/%E0%A4%A', '/schema/Article/x', '/schemas']) {
      expect(router.match('GET', path), path).toEqual({ kind: 'not-found' });
    }
  });

  test('HEAD falls back to GET unless the table opts out (the backup API answers HEAD with 405)', () => {
    expect(router.match('HEAD', '/schema').kind).toBe('found');
    const strict = new Router({ headAsGet: false }).add('GET', '/backups/{backend}', handler('list'));
    expect(strict.match('HEAD', '/backups/s3')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
  });
});

describe('httpStatusFor: one ErrorCode → HTTP table', () => {
  const status = (code: ErrorCode, api?: 'backup' | 'data') => httpStatusFor(new BackupError(code, 'x'), api);

  test('the backup API: refusals 422, unknown 404, backend failures 500, a backend down 503', () => {
    const table = Object.fromEntries(Object.values(ErrorCode).map((code) => [code, status(code)]));
    expect(table).toEqual({
      NOT_FOUND: 404,
      ALREADY_EXISTS: 422,
      ABORTED: 500,
      ACCESS_DENIED: 500,
      INVALID_ARGUMENT: 422,
      NOT_SUPPORTED: 422,
      CONFLICT: 422,
      CORRUPT: 422,
      BASE_MISSING: 422,
      ENCRYPTION_KEY: 422,
      CONFIG: 500,
      UNAVAILABLE: 503,
      IO: 500,
    });
  });

  test('the data API differs only where stored bytes are the server’s own: a corrupt store is 500', () => {
    const differing = Object.values(ErrorCode).filter((code) => status(code, 'data') !== status(code, 'backup'));
    expect(differing.sort()).toEqual(['BASE_MISSING', 'CORRUPT', 'ENCRYPTION_KEY']);
    for (const code of differing) expect(status(code, 'data')).toBe(500);
  });

  test('anything that is not a BackupError is a bug: 500; the body is Weaviate’s', () => {
    expect(httpStatusFor(new Error('boom'))).toBe(500);
    expect(httpStatusFor('boom', 'data')).toBe(500);
    expect(errorBody('no')).toEqual({ error: [{ message: 'no' }] });
  });
});

describe('compactLocation', () => {
  test('drops empty or absent bucket and path, and anything else', () => {
    expect(compactLocation(undefined)).toEqual({});
    expect(compactLocation({ bucket: '', path: undefined })).toEqual({});
    expect(compactLocation({ bucket: 'b', path: '' })).toEqual({ bucket: 'b' });
    expect(compactLocation({ bucket: 'b', path: 'p', endpoint: 'host:9000' } as never)).toEqual({ bucket: 'b', path: 'p' });
  });
});
