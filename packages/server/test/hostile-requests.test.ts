import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';
import { classNames, createClass, filesBelow, fill, pollStatus, readAll } from './backup-support.ts';

// Every bad request answers 4xx with {"error":[{"message"}]} naming the field, before anything
// is written or a backup slot is taken; the server keeps answering and a normal backup then
// succeeds. 500 is only for our bugs.
let server: TestServer;
let backups: string;
let outside: string;

beforeAll(async () => {
  server = await startTestServer();
  backups = join(server.root, 'backups');
  outside = join(server.root, 'outside');
  mkdirSync(outside);
  mkdirSync(backups, { recursive: true });
  writeFileSync(join(backups, 'a-file'), 'not a directory');
  symlinkSync(outside, join(backups, 'escape'));
  await createClass(server.url, 'Article');
  await fill(server.url, 'Article', 5, 100);
  expect((await server.call('POST', '/backups/filesystem', { id: 'done' })).status).toBe(200);
  expect((await pollStatus(server.url, '/backups/filesystem/done')).status).toBe('SUCCESS');
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const NUL = '%00';
const LONG = `/${'a'.repeat(5_000)}`;
const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string | (() => string);
  readonly body?: unknown | (() => unknown);
  readonly status: number;
  /** The field (or what) the message must name. */
  readonly names: RegExp;
}

const create = (body: unknown): Pick<Case, 'method' | 'path' | 'body'> => ({ method: 'POST', path: '/backups/filesystem', body });
const createAt = (path: () => string): Pick<Case, 'method' | 'path' | 'body'> => ({
  method: 'POST',
  path: '/backups/filesystem',
  body: () => ({ id: 'never', config: { Path: path() } }),
});

const CASES: Case[] = [
  // ids
  { name: 'id is a number', ...create({ id: 123 }), status: 422, names: /\bid\b/ },
  { name: 'id is an object without a string form', ...create({ id: { toString: 1 } }), status: 422, names: /\bid\b/ },
  { name: 'id is a list', ...create({ id: ['a'] }), status: 422, names: /\bid\b/ },
  { name: 'id of 256 characters', ...create({ id: 'a'.repeat(256) }), status: 422, names: /\bid\b.*128/ },
  { name: 'id of 129 characters', ...create({ id: 'a'.repeat(129) }), status: 422, names: /\bid\b.*128/ },
  { name: 'status of a 300-character id', method: 'GET', path: `/backups/filesystem/${'a'.repeat(300)}`, status: 422, names: /\bid\b.*128/ },
  {
    name: 'restore of a 300-character id',
    method: 'POST',
    path: `/backups/filesystem/${'a'.repeat(300)}/restore`,
    body: {},
    status: 422,
    names: /\bid\b.*128/,
  },
  { name: 'verify of a 300-character id', method: 'POST', path: `/backups/filesystem/${'a'.repeat(300)}/verify`, body: {}, status: 422, names: /\bid\b.*128/ },
  // path query parameters
  { name: 'list with a NUL path', method: 'GET', path: `/backups/filesystem?path=${NUL}`, status: 422, names: /path/i },
  { name: 'list with a 5,000-character path', method: 'GET', path: `/backups/filesystem?path=${LONG}`, status: 422, names: /path/i },
  { name: 'status with a NUL path', method: 'GET', path: () => `/backups/filesystem/done?path=${backups}/${NUL}`, status: 422, names: /path/i },
  { name: 'status with a 5,000-character path', method: 'GET', path: `/backups/filesystem/done?path=${LONG}`, status: 422, names: /path/i },
  { name: 'cancel with a NUL path', method: 'DELETE', path: () => `/backups/filesystem/done?path=${backups}${NUL}`, status: 422, names: /path/i },
  { name: 'cancel with a 5,000-character path', method: 'DELETE', path: `/backups/filesystem/done?path=${LONG}`, status: 422, names: /path/i },
  { name: 'restore status with a NUL path', method: 'GET', path: () => `/backups/filesystem/done/restore?path=${backups}${NUL}`, status: 422, names: /path/i },
  { name: 'restore status with a 5,000-character path', method: 'GET', path: `/backups/filesystem/done/restore?path=${LONG}`, status: 422, names: /path/i },
  {
    name: 'restore cancel with a NUL path',
    method: 'DELETE',
    path: () => `/backups/filesystem/done/restore?path=${backups}${NUL}`,
    status: 422,
    names: /path/i,
  },
  {
    name: 'verify with a NUL path',
    method: 'POST',
    path: () => `/backups/filesystem/done/verify?path=${backups}${NUL}`,
    body: {},
    status: 422,
    names: /path/i,
  },
  { name: 'verify with a 5,000-character path', method: 'POST', path: `/backups/filesystem/done/verify?path=${LONG}`, body: {}, status: 422, names: /path/i },
  { name: 'status outside the root', method: 'GET', path: '/backups/filesystem/done?path=/etc', status: 422, names: /path/i },
  { name: 'bucket with a NUL', method: 'GET', path: `/backups/filesystem/done?bucket=a${NUL}`, status: 422, names: /bucket/i },
  // Path overrides
  { name: 'Path /dev/null/x', ...createAt(() => '/dev/null/x'), status: 422, names: /Path/ },
  { name: 'Path /etc/passwd/x', ...createAt(() => '/etc/passwd/x'), status: 422, names: /Path/ },
  { name: 'Path /sys/x', ...createAt(() => '/sys/x'), status: 422, names: /Path/ },
  { name: 'Path /proc/x/y (a recursive mkdir loops there)', ...createAt(() => '/proc/x/y'), status: 422, names: /Path/ },
  { name: 'Path /proc/self/x', ...createAt(() => '/proc/self/x'), status: 422, names: /Path/ },
  { name: 'Path outside the root', ...createAt(() => outside), status: 422, names: /Path/ },
  { name: 'Path escaping with ..', ...createAt(() => `${backups}/../outside`), status: 422, names: /Path/ },
  { name: 'Path through a symlink out of the root', ...createAt(() => `${backups}/escape/x`), status: 422, names: /Path/ },
  { name: 'Path below a file inside the root', ...createAt(() => `${backups}/a-file/x`), status: 422, names: /Path/ },
  { name: 'Path relative', ...createAt(() => 'relative/x'), status: 422, names: /Path/ },
  { name: 'Path with a NUL', ...createAt(() => `${backups}/x\u0000y`), status: 422, names: /Path/ },
  { name: 'Path with a 300-byte segment', ...createAt(() => `${backups}/${'b'.repeat(300)}`), status: 422, names: /Path/ },
  { name: 'Path not a string', ...create({ id: 'never', config: { Path: 7 } }), status: 422, names: /Path/ },
  {
    name: 'restore from Path /proc/x',
    method: 'POST',
    path: '/backups/filesystem/done/restore',
    body: { config: { Path: '/proc/x' } },
    status: 422,
    names: /Path/,
  },
  {
    name: 'copy to /proc/x',
    method: 'POST',
    path: '/backups/filesystem/done/copy',
    body: { to: { backend: 'filesystem', path: '/proc/x' } },
    status: 422,
    names: /path/i,
  },
  {
    name: 'copy to /etc/passwd/x',
    method: 'POST',
    path: '/backups/filesystem/done/copy',
    body: { to: { backend: 'filesystem', path: '/etc/passwd/x' } },
    status: 422,
    names: /path/i,
  },
  {
    name: 'copy to /dev/null/x',
    method: 'POST',
    path: '/backups/filesystem/done/copy',
    body: { to: { backend: 'filesystem', path: '/dev/null/x' } },
    status: 422,
    names: /path/i,
  },
  {
    name: 'copy through a symlink',
    method: 'POST',
    path: '/backups/filesystem/done/copy',
    body: () => ({ to: { backend: 'filesystem', path: `${backups}/escape` } }),
    status: 422,
    names: /path/i,
  },
  {
    name: 'copy from /proc/x',
    method: 'POST',
    path: '/backups/filesystem/done/copy',
    body: () => ({ from: { path: '/proc/x' }, to: { backend: 'filesystem', path: `${backups}/copied` } }),
    status: 422,
    names: /path/i,
  },
  { name: 'verify at /sys/x', method: 'POST', path: '/backups/filesystem/done/verify', body: { path: '/sys/x' }, status: 422, names: /path/i },
  // request fields
  { name: 'an unknown top-level field', ...create({ id: 'never', bogus: 1 }), status: 422, names: /bogus/ },
  { name: 'an unknown config field', ...create({ id: 'never', config: { CPUPercent: 10 } }), status: 422, names: /CPUPercent\b/ },
  {
    name: 'cpuPercentage spelled in lower camel case, out of range',
    ...create({ id: 'never', config: { cpuPercentage: 500 } }),
    status: 422,
    names: /CPUPercentage/,
  },
  { name: 'chunksize spelled in lower case, out of range', ...create({ id: 'never', config: { chunksize: 1 } }), status: 422, names: /ChunkSize/ },
  {
    name: 'an Endpoint override on the filesystem (not supported there)',
    ...create({ id: 'never', config: { Endpoint: 'elsewhere:9000' } }),
    status: 422,
    names: /Endpoint/,
  },
  { name: 'an unknown restore field', method: 'POST', path: '/backups/filesystem/done/restore', body: { includ: ['Article'] }, status: 422, names: /includ\b/ },
  {
    name: 'an unknown restore config field',
    method: 'POST',
    path: '/backups/filesystem/done/restore',
    body: { config: { ChunkSize: 4 } },
    status: 422,
    names: /ChunkSize/,
  },
  {
    name: 'an unknown copy field',
    method: 'POST',
    path: '/backups/filesystem/done/copy',
    body: { to: { backend: 'filesystem', pth: '/x' } },
    status: 422,
    names: /pth\b/,
  },
  // nesting
  ...['/schema', '/objects', '/batch/objects', '/backups/filesystem'].flatMap((path): Case[] => [
    {
      name: `100,000-level nested arrays on ${path}`,
      method: 'POST',
      path,
      body: `{"class":"Article","properties":{"deep":${deep(100_000)}}}`,
      status: 400,
      names: /nest/,
    },
    {
      name: `100,000-level nested objects on ${path}`,
      method: 'POST',
      path,
      body: `{"objects":[{"class":"Article","properties":{"deep":${deepObject(100_000)}}}]}`,
      status: 400,
      names: /nest/,
    },
  ]),
  {
    name: '65-level nested property value on /batch/objects',
    method: 'POST',
    path: '/batch/objects',
    body: `{"objects":[{"class":"Article","properties":{"deep":${deepObject(65)}}}]}`,
    status: 400,
    names: /nest/,
  },
];

describe('hostile and malformed requests', { timeout: 120_000 }, () => {
  test.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const path = typeof entry.path === 'function' ? entry.path() : entry.path;
    const body = typeof entry.body === 'function' ? (entry.body as () => unknown)() : entry.body;
    const filesBefore = await filesBelow(server.root);
    const schemaBefore = (await server.call('GET', '/schema')).body;

    const started = performance.now();
    const answer = await server.call(entry.method, path, body);
    expect(answer.status, `${entry.method} ${path.slice(0, 200)}: ${JSON.stringify(answer.body).slice(0, 500)}`).toBe(entry.status);
    expect(errorMessage(answer)).toMatch(entry.names);
    expect(performance.now() - started).toBeLessThan(10_000);

    // Nothing was written, nothing changed, and the node still answers.
    expect(await filesBelow(server.root)).toEqual(filesBefore);
    expect((await server.call('GET', '/schema')).body).toEqual(schemaBefore);
    expect((await server.call('GET', '/.well-known/live')).status).toBe(200);
  });

  test('afterwards no slot is held: a normal backup and a restore succeed', async () => {
    expect((await server.call('GET', '/.well-known/ready')).status).toBe(200);
    const created = await server.call('POST', '/backups/filesystem', { id: 'after-hostile' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await pollStatus(server.url, '/backups/filesystem/after-hostile')).status).toBe('SUCCESS');
    expect(await classNames(server.url)).toEqual(['Article']);
  });
});

describe('request fields as Weaviate reads them (Go encoding/json: case-insensitive names)', { timeout: 120_000 }, () => {
  test('lower-camel and lower-case spellings of config fields take effect', async () => {
    const answer = await server.call('POST', '/backups/filesystem', {
      ID: 'spelled',
      Include: ['Article'],
      config: { cpuPercentage: 10, chunksize: 2, compressionLevel: 'BestSpeed', path: backups },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect((await pollStatus(server.url, '/backups/filesystem/spelled')).status).toBe('SUCCESS');
  });

  test('a Path below the root, and Weaviate fields with no meaning here, are accepted', async () => {
    const answer = await server.call('POST', '/backups/filesystem', {
      id: 'nested-path',
      config: { Path: `${backups}/nested/deeper`, Endpoint: '', Bucket: '' },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect((await pollStatus(server.url, `/backups/filesystem/nested-path?path=${backups}/nested/deeper`)).status).toBe('SUCCESS');
  });
});

describe('restoring onto a class that differs only in letter case', { timeout: 120_000 }, () => {
  test('is refused 422 up front, like an exact match: nothing downloaded, no restore recorded', async () => {
    expect((await server.call('DELETE', '/schema/Article')).status).toBe(200);
    await createClass(server.url, 'ARTICLE');
    try {
      const answer = await server.call('POST', '/backups/filesystem/done/restore', {});
      expect(answer.status, JSON.stringify(answer.body)).toBe(422);
      expect(errorMessage(answer)).toMatch(/Article.*already exists/);
      expect((await server.call('GET', '/backups/filesystem/done/restore')).status).toBe(404);
      expect(await filesBelow(join(server.dataPath, 'restoring'))).toEqual([]);
      expect(await classNames(server.url)).toEqual(['ARTICLE']);
    } finally {
      expect((await server.call('DELETE', '/schema/ARTICLE')).status).toBe(200);
    }
    const restored = await server.call('POST', '/backups/filesystem/done/restore', {});
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect((await pollStatus(server.url, '/backups/filesystem/done/restore')).status).toBe('SUCCESS');
    expect((await readAll(server.url, 'Article')).size).toBe(5);
  });
});
