import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, test } from 'vitest';
import type { NodeDescriptor } from '@backup/core';
import { main } from '../src/index.ts';
import { makeBackup, runBin, scratch } from './fixtures.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A scratch folder with backup `id` in its filesystem root `<dir>/a`. */
async function withBackup(stem: string, id = 'nightly'): Promise<{ dir: string; a: string; b: string; env: NodeJS.ProcessEnv }> {
  const { dir, remove } = scratch(stem);
  cleanups.push(remove);
  const a = join(dir, 'a');
  await makeBackup(dir, a, id);
  return { dir, a, b: join(dir, 'b'), env: { ENABLE_MODULES: 'backup-filesystem', BACKUP_FILESYSTEM_PATH: a } };
}

async function firstChunk(root: string, id: string): Promise<string> {
  const node = JSON.parse(await readFile(join(root, id, 'node1', 'backup.json'), 'utf8')) as NodeDescriptor;
  return node.collections[0]!.chunks[0]!.key;
}

describe('backup copy / verify between two filesystem roots', () => {
  test('copy exits 0 and says what it did; verify of the copy exits 0; --json prints the report', async () => {
    const { a, b, env } = await withBackup('copy');
    const copied = await runBin(['copy', 'nightly', '--from', 'filesystem', '--to', 'filesystem', '--to-path', b], env);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(new RegExp(`^copied backup nightly from ${join(a, 'nightly')} to ${join(b, 'nightly')}: \\d+ chunks, .+ in `));
    expect(copied.stderr).toMatch(/copying nightly: \d+\/\d+ objects/);

    const verified = await runBin(['verify', 'nightly', '--backend', 'filesystem', '--path', b], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`^backup nightly at ${join(b, 'nightly')}: OK, \\d+ chunks`));

    const json = await runBin(['verify', 'nightly', '--backend', 'backup-filesystem', '--path', b, '--json', '-q'], env);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'nightly', ok: true, problems: [], status: 'SUCCESS', nodes: ['node1'] });

    // --server-side: the backend copies each chunk itself, and says so.
    const c = `${b}-inside`;
    const inside = await runBin(['copy', 'nightly', '--from', 'filesystem', '--to', 'filesystem', '--to-path', c, '--server-side', '-q'], env);
    expect(inside.code, inside.stderr).toBe(0);
    expect(inside.stdout).toMatch(/: (\d+) chunks, .+ \(\1 copied by the backend itself\) in /);
    expect((await runBin(['verify', 'nightly', '--backend', 'filesystem', '--path', c, '-q'], env)).code).toBe(0);

    const again = await runBin(['copy', 'nightly', '--from', 'filesystem', '--to', 'filesystem', '--to-path', b, '-q'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*\(ALREADY_EXISTS\)/);
  });

  test('a flipped byte: verify exits 3 naming the chunk, copy exits 3 naming it and leaves no backup behind', async () => {
    const { a, b, env } = await withBackup('damaged');
    const key = await firstChunk(a, 'nightly');
    const path = join(a, ...key.split('/'));
    const bytes = await readFile(path);
    bytes[20] = (bytes[20] ?? 0) ^ 0x80;
    await writeFile(path, bytes);

    const verified = await runBin(['verify', 'nightly', '--backend', 'filesystem', '-q'], env);
    expect(verified.code).toBe(3);
    expect(verified.stdout).toContain('backup nightly at');
    expect(verified.stdout).toContain(`SHA256_MISMATCH ${key}`);

    const copied = await runBin(['copy', 'nightly', '--from', 'filesystem', '--to', 'filesystem', '--to-path', b, '-q'], env);
    expect(copied.code).toBe(3);
    expect(copied.stderr).toContain(key);
    expect(copied.stderr).toContain('(CORRUPT)');
    const after = await runBin(['verify', 'nightly', '--backend', 'filesystem', '--path', b, '-q'], env);
    expect(after.code).toBe(1); // no backup there
    expect(after.stderr).toMatch(/does not exist.*\(NOT_FOUND\)/);
  });

  test('usage and configuration mistakes exit 2 with a message; --help exits 0', async () => {
    const { b, env } = await withBackup('usage');
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [[], env, /Usage: backup <command>/],
      [['snapshot', 'x'], env, /unknown command "snapshot"/],
      // restore is a server command now: without a backend it is a usage mistake too.
      [['restore', 'x'], {}, /--backend <backend> is required/],
      [['copy'], env, /which backup\?/],
      [['copy', 'nightly', '--from', 'filesystem'], env, /--to <backend> is required/],
      [['copy', 'nightly', '--from', 'filesystem', '--to', 'filesystem', '--concurrency', 'lots'], env, /--concurrency/],
      [['verify', 'nightly', '--backend', 'filesystem', '--bogus'], env, /bogus/],
      [['verify', 'nightly', '--backend', 's3'], env, /no backup backend "s3".*enabled: filesystem/],
      [['verify', 'Not An Id', '--backend', 'filesystem'], env, /invalid backup id/],
      [['verify', 'nightly', '--backend', 's3'], { ENABLE_MODULES: 'backup-s3' }, /BACKUP_S3_BUCKET/],
    ];
    for (const [args, environment, message] of cases) {
      const run = await runBin(args, environment);
      expect(run.code, `backup ${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    for (const args of [['--help'], ['copy', '--help'], ['verify', '-h']]) {
      const run = await runBin(args, {});
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage: backup/);
      expect(run.stdout).toMatch(/Exit codes:/);
    }
    const missing = await runBin(['copy', 'absent', '--from', 'filesystem', '--to', 'filesystem', '--to-path', b], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\(NOT_FOUND\)/);
  });

  test('an interrupted copy exits 130 and says how to resume; the same command then completes', async () => {
    const { b, env } = await withBackup('interrupted');
    const controller = new AbortController();
    const err: string[] = [];
    const args = ['copy', 'nightly', '--from', 'filesystem', '--to', 'filesystem', '--to-path', b];
    const code = await main(args, {
      env,
      out: () => {},
      err: (line) => {
        err.push(line);
        if (line.startsWith('copying')) controller.abort(); // as Ctrl-C would, once the copy runs
      },
      signal: controller.signal,
    });
    expect(code).toBe(130);
    expect(err.join('\n')).toMatch(/run the same command again to resume/i);
    const resumed = await runBin([...args, '-q'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
  });
});

describe('backup copy / verify with a cloud emulator (MinIO)', () => {
  test('filesystem → S3, verified on S3, and back from S3 into another folder', async () => {
    const minio = inject('minio');
    const { b, env } = await withBackup('minio', 'weekly');
    const cloud: NodeJS.ProcessEnv = {
      ...env,
      ENABLE_MODULES: 'backup-filesystem,backup-s3',
      BACKUP_S3_BUCKET: minio.bucket,
      BACKUP_S3_PATH: `${minio.runPrefix}/cli`,
      BACKUP_S3_ENDPOINT: minio.endpoint,
      BACKUP_S3_USE_SSL: 'false',
      AWS_ACCESS_KEY_ID: minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
      AWS_REGION: minio.region,
    };
    const up = await runBin(['copy', 'weekly', '--from', 'filesystem', '--to', 's3', '--verify', '-q'], cloud);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`to s3://${minio.bucket}/${minio.runPrefix}/cli/weekly`);
    expect(up.stdout).toMatch(/verified at s3:\/\/.*: OK/);

    const verified = await runBin(['verify', 'weekly', '--backend', 's3', '--json', '-q'], cloud);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, path: `s3://${minio.bucket}/${minio.runPrefix}/cli/weekly` });

    const down = await runBin(['copy', 'weekly', '--from', 's3', '--to', 'filesystem', '--to-path', b, '-q'], cloud);
    expect(down.code, down.stderr).toBe(0);
    expect((await runBin(['verify', 'weekly', '--backend', 'filesystem', '--path', b, '-q'], cloud)).code).toBe(0);
  });
});
