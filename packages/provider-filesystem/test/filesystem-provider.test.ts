import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { FilesystemProvider, backupModule, filesystemOptionsFromEnv } from '../src/index.ts';
import { scratchRoot } from './scratch.ts';

const root = mkdtempSync(join(scratchRoot(), 'fs-provider-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return BackupError.is(error) ? error.code : 'not a BackupError';
  }
  return undefined;
}

describe('configuration', () => {
  test('BACKUP_FILESYSTEM_PATH is required, and named when missing', () => {
    expect(codeOf(() => filesystemOptionsFromEnv({}))).toBe(ErrorCode.CONFIG);
    expect(() => filesystemOptionsFromEnv({})).toThrow(/BACKUP_FILESYSTEM_PATH/);
    expect(codeOf(() => backupModule.fromEnv({ BACKUP_FILESYSTEM_PATH: '  ' }))).toBe(ErrorCode.CONFIG);
  });

  test('the path must be absolute', () => {
    expect(codeOf(() => filesystemOptionsFromEnv({ BACKUP_FILESYSTEM_PATH: 'relative/backups' }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(filesystemOptionsFromEnv({ BACKUP_FILESYSTEM_PATH: '/var/backups/' }).path).toBe('/var/backups');
  });

  test('a Path override must be absolute too', async () => {
    const provider = new FilesystemProvider({ path: join(root, 'override-check') });
    await expect(provider.put('x', 'y', { location: { path: 'relative' } })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  test('the module is named for ENABLE_MODULES=backup-filesystem', () => {
    expect(backupModule.name).toBe('filesystem');
    expect(backupModule.fromEnv({ BACKUP_FILESYSTEM_PATH: root }).name).toBe('filesystem');
  });
});

describe('crash safety', () => {
  test('initialize creates a missing root', async () => {
    const missing = join(root, 'not', 'yet', 'there');
    await new FilesystemProvider({ path: missing }).initialize();
    expect(existsSync(missing)).toBe(true);
    expect(readdirSync(missing)).toEqual([]);
  });

  test('a temp file left by a crash mid-write is never visible as an object', async () => {
    const provider = new FilesystemProvider({ path: join(root, 'crashed') });
    await provider.put('backup-1/node1/backup.json', '{}');
    // What a process killed between open and rename leaves behind.
    writeFileSync(join(root, 'crashed', 'backup-1', 'node1', '.chunk-1.~partial-0123456789ab'), 'half a chunk');
    const keys: string[] = [];
    for await (const info of provider.list('backup-1/')) keys.push(info.key);
    expect(keys).toEqual(['backup-1/node1/backup.json']);
    expect(await provider.exists('backup-1/node1/chunk-1')).toBe(false);
  });

  test('deleting the last object of a folder removes the empty folders up to the root', async () => {
    const provider = new FilesystemProvider({ path: join(root, 'pruned') });
    await provider.put('backup-2/node1/Collection/chunk-1', 'x');
    await provider.delete('backup-2/node1/Collection/chunk-1');
    expect(readdirSync(join(root, 'pruned'))).toEqual([]);
  });

  test('homeDir is the absolute folder of the backup', () => {
    const provider = new FilesystemProvider({ path: '/srv/backups' });
    expect(provider.homeDir('nightly')).toBe('/srv/backups/nightly');
    expect(provider.homeDir('nightly', { path: '/mnt/other', bucket: 'ignored' })).toBe('/mnt/other/nightly');
  });
});

describe('deletePrefix', () => {
  test('also removes temp files that a crashed write left below the prefix, and only those', async () => {
    const provider = new FilesystemProvider({ path: join(root, 'purge') });
    await provider.put('failed/node1/Class/chunk-1', 'x');
    await provider.put('kept/node1/backup.json', '{}');
    writeFileSync(join(root, 'purge', 'failed', 'node1', 'Class', '.chunk-2.~partial-0123456789ab'), 'half');
    writeFileSync(join(root, 'purge', 'kept', 'node1', '.chunk-9.~partial-0123456789ab'), 'other backup');
    expect(await provider.deletePrefix('failed/')).toBe(1);
    expect(existsSync(join(root, 'purge', 'failed'))).toBe(false);
    expect(readdirSync(join(root, 'purge', 'kept', 'node1')).sort()).toEqual(['.chunk-9.~partial-0123456789ab', 'backup.json']);
  });
});

describe('progress deadline (BACKUP_FILESYSTEM_PROGRESS_TIMEOUT_MS)', () => {
  // A FIFO nobody writes to: opening it for reading blocks until a writer
  // comes, as a file on a hung network mount does. Real and portable on Linux.
  test('a read that never completes is aborted as UNAVAILABLE within the deadline', async () => {
    const folder = join(root, 'stalled');
    mkdirSync(folder, { recursive: true });
    const fifo = join(folder, 'never-written');
    execFileSync('mkfifo', [fifo]);
    const deadlineMs = 300;
    const provider = new FilesystemProvider({ path: folder, progressTimeoutMs: deadlineMs });
    try {
      for (const [name, call] of [
        ['read', () => provider.read('never-written')],
        ['get', () => provider.get('never-written')],
      ] as const) {
        const started = Date.now();
        const error = await call().then(
          () => undefined,
          (reason: unknown) => reason,
        );
        const elapsed = Date.now() - started;
        expect(BackupError.is(error, ErrorCode.UNAVAILABLE), `${name}: ${String(error)}`).toBe(true);
        expect(elapsed, `${name} gave up before the deadline`).toBeGreaterThanOrEqual(deadlineMs - 20);
        // Generous under load: what matters is that it ends, not in 30 s (the default) or never.
        expect(elapsed, `${name} took ${elapsed} ms`).toBeLessThan(deadlineMs + 5_000);
      }
    } finally {
      await provider.close();
      await releaseReaders(fifo);
    }
  });
});

/**
 * Opens `fifo` for writing and closes it, so every open blocked on it returns
 * (and then reads end of file), until no reader is left: the libuv threads
 * they hold are free again for the rest of the run.
 */
async function releaseReaders(fifo: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    let fd: number;
    try {
      fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return; // no reader left
      throw error;
    }
    closeSync(fd);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
