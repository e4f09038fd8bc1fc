import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode } from '../src/index.ts';
import { extractTar, safeEntryPath } from '../src/engine/safe-extract.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { removeDir, scratchDir } from './fixtures/scratch.ts';

let dir: string;
let target: string;
beforeEach(async () => {
  dir = await scratchDir('extract');
  target = join(dir, 'deep', 'target');
  await mkdir(target, { recursive: true });
});
afterEach(async () => {
  await removeDir(dir);
});

type Header = Partial<tar.Header> & { name: string; body?: string };

/** A tar archive with exactly these entries, as an attacker could craft it. */
async function craft(entries: Header[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) {
    const data = Buffer.from(body ?? '');
    const size = header.type === 'file' || header.type === undefined ? data.byteLength : 0;
    pack.entry({ ...header, size }, data);
  }
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const part of pack) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Every path below the scratch dir, directories included, except the target's own parents. */
async function everything(): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

const HOSTILE: [string, Header[]][] = [
  ['a ../ entry', [{ name: '../escaped', body: 'x' }]],
  ['a nested ../ entry', [{ name: 'a/../../escaped', body: 'x' }]],
  ['an absolute entry', [{ name: '/ABSOLUTE', body: 'x' }]],
  [
    'a symlink entry, then a file through it',
    [
      { name: 'link', type: 'symlink', linkname: '..' },
      { name: 'link/escaped', body: 'x' },
    ],
  ],
  ['a symlink to an absolute path', [{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]],
  ['a hard link', [{ name: 'hard', type: 'link', linkname: '../../escaped' }]],
  ['a directory entry', [{ name: 'somedir', type: 'directory' }]],
  ['a backslash entry', [{ name: '..\\escaped', body: 'x' }]],
];

describe('extracting hostile archives', () => {
  for (const [what, entries] of HOSTILE) {
    test(`${what} is refused with CORRUPT and nothing lands outside the target`, async () => {
      // Absolute names point into the scratch dir, so an escape would be seen (and cleaned up).
      const fixed = entries.map((entry) => (entry.name === '/ABSOLUTE' ? { ...entry, name: join(dir, 'escaped-absolute') } : entry));
      const archive = await craft([{ name: 'ok/first', body: 'fine' }, ...fixed]);
      const error = await extractTar(Readable.from([archive]), target).catch((caught: unknown) => caught);
      expect(BackupError.is(error, ErrorCode.CORRUPT), String(error)).toBe(true);
      // Only the harmless first entry exists, and only inside the target.
      expect(await everything()).toEqual(['deep', 'deep/target', 'deep/target/ok', 'deep/target/ok/first']);
    });
  }

  test('an entry that repeats a file cannot overwrite it', async () => {
    const archive = await craft([
      { name: 'f', body: 'first' },
      { name: 'f', body: 'second' },
    ]);
    const error = await extractTar(Readable.from([archive]), target).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(await listFiles(target)).toEqual(['f']);
  });

  test('safeEntryPath keeps names below the directory', () => {
    expect(safeEntryPath('/x/y', 'a/b')).toBe('/x/y/a/b');
    for (const name of ['', '.', 'a/./b', 'a//b', '/etc', 'C:/x', 'a/..', 'a\0b']) {
      expect(() => safeEntryPath('/x/y', name), name).toThrow(BackupError);
    }
  });

  test('a well-formed archive extracts completely', async () => {
    const archive = await craft([
      { name: 'a/b/c', body: 'hello' },
      { name: 'empty', body: '' },
    ]);
    const entries = await extractTar(Readable.from([archive]), target);
    expect(entries.map((entry) => [entry.path, entry.length])).toEqual([
      ['a/b/c', 5],
      ['empty', 0],
    ]);
    expect(await listFiles(target)).toEqual(['a/b/c', 'empty']);
  });
});
