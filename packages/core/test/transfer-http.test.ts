import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { createBackupApi, type BackupApi, type BackupApiResponse, type NodeDescriptor, type ReadOptions } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, waitFor } from './fixtures/scratch.ts';

/**
 * The filesystem provider; while `slow` is set, a chunk read hands out its
 * first piece and then holds the rest until `slow` is cleared (or the reader
 * gives up): a copy stays running, mid-chunk, for as long as a test needs,
 * however fast or loaded the machine.
 */
class SlowReadingProvider extends FilesystemProvider {
  slow = false;

  override async read(key: string, options?: ReadOptions): Promise<Readable> {
    const stream = await super.read(key, options);
    if (!this.slow || !key.includes('chunk-')) return stream;
    const held = new PassThrough({ highWaterMark: 16 * 1024 });
    held.once('close', () => stream.destroy());
    (async () => {
      let sent = 0;
      for await (const bytes of stream) {
        while (this.slow && sent > 0 && !held.destroyed) await new Promise((resolve) => setTimeout(resolve, 10));
        if (held.destroyed) return;
        sent += (bytes as Buffer).byteLength;
        // biome-ignore lint/complexity/noCommaOperator: whichever of drain or close comes first
        if (!held.write(bytes)) await new Promise((resolve) => (held.once('drain', resolve), held.once('close', resolve)));
      }
      held.end();
    })().catch((error: unknown) => held.destroy(error as Error));
    return held;
  }
}

let harness: Harness;
let api: BackupApi;
afterEach(async () => {
  await api?.close();
  await harness?.cleanup();
});

async function setUp(name: string): Promise<void> {
  harness = await createHarness(name, {}, (root) => new SlowReadingProvider({ path: root, allowedRoots: [dirname(root)] }));
  api = createBackupApi(harness.engine);
  for (const collection of ['Article', 'Author']) {
    await harness.source.createCollection({ name: collection, multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await harness.source.writeFile(collection, 's0/000001.seg', sampleBytes(300_000, 0));
  }
  expect((await call('POST', '/backups/filesystem', { id: 'b1', config: { CompressionLevel: 'NoCompression' } })).status).toBe(200);
  await finished('/backups/filesystem/b1');
}

async function call(method: string, path: string, body?: unknown): Promise<BackupApiResponse> {
  const [pathname, search] = path.split('?') as [string, string?];
  const response = await api.handle({ method, path: pathname, query: new URLSearchParams(search ?? ''), body });
  if (!response) throw new Error(`${method} ${path} was not handled`);
  return response;
}

async function finished(path: string): Promise<Record<string, unknown>> {
  return await waitFor(`${path} to finish`, async () => {
    const response = await call('GET', path);
    expect(response.status).toBe(200);
    const body = response.body as Record<string, unknown>;
    return ['SUCCESS', 'FAILED', 'CANCELED'].includes(body.status as string) ? body : undefined;
  });
}

function message(response: BackupApiResponse): string {
  const body = response.body as { error: { message: string }[] };
  expect(body.error).toHaveLength(1);
  return body.error[0]?.message ?? '';
}

describe('POST /backups/{backend}/{id}/copy', { timeout: 120_000 }, () => {
  test('copies asynchronously; the copy is listed, verified and restored at its new path', async () => {
    await setUp('http-copy');
    const elsewhere = join(harness.dir, 'elsewhere');
    const started = await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'backup-filesystem', path: elsewhere } });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      id: 'b1',
      backend: 'filesystem',
      path: join(harness.backupRoot, 'b1'),
      to: { backend: 'filesystem', path: join(elsewhere, 'b1') },
      status: 'STARTED',
      error: '',
    });
    const done = await finished('/backups/filesystem/b1/copy');
    expect(done).toMatchObject({ status: 'SUCCESS', error: '', progress: { objectsSkipped: 0 } });
    const progress = done.progress as { objects: number; objectsDone: number; bytes: number; bytesDone: number };
    expect(progress.objectsDone).toBe(progress.objects);
    expect(progress.bytesDone).toBe(progress.bytes);
    expect(typeof done.completedAt).toBe('string');

    const listed = await call('GET', `/backups/filesystem?path=${encodeURIComponent(elsewhere)}`);
    expect(listed.body).toEqual([expect.objectContaining({ id: 'b1', status: 'SUCCESS', classes: ['Article', 'Author'] })]);

    expect((await call('POST', '/backups/filesystem/b1/verify', { path: elsewhere })).status).toBe(200);
    expect(await finished(`/backups/filesystem/b1/verify?path=${encodeURIComponent(elsewhere)}`)).toMatchObject({ status: 'SUCCESS', problems: [] });

    // Asked to, the backend copies every chunk itself (two paths of one filesystem provider).
    const inside = join(harness.dir, 'inside');
    expect((await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem', path: inside }, serverSideCopy: true })).status).toBe(200);
    const copiedInside = await finished(`/backups/filesystem/b1/copy`);
    expect(copiedInside).toMatchObject({ status: 'SUCCESS' });
    expect(copiedInside.copiedServerSide).toBeGreaterThan(0);
    expect(copiedInside.copiedServerSide).toBe(copiedInside.copied);
    expect(done.copiedServerSide).toBe(0);
    const badFlag = await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem', path: join(harness.dir, 'x') }, serverSideCopy: 'yes' });
    expect(badFlag.status).toBe(422);

    await harness.source.dropCollection('Article');
    await harness.source.dropCollection('Author');
    expect((await call('POST', '/backups/filesystem/b1/restore', { config: { Path: elsewhere } })).status).toBe(200);
    expect(await finished(`/backups/filesystem/b1/restore?path=${encodeURIComponent(elsewhere)}`)).toMatchObject({ status: 'SUCCESS' });
    expect(await harness.source.collectionExists('Article')).toBe(true);
  });

  test('refusals: 422 without a destination, for an unknown backend, a backup not SUCCESS, a complete backup at the destination; 404 for an unknown backup or copy; 405', async () => {
    await setUp('http-copy-refusals');
    const elsewhere = join(harness.dir, 'elsewhere');
    const to = { backend: 'filesystem', path: elsewhere };

    const noDestination = await call('POST', '/backups/filesystem/b1/copy', {});
    expect(noDestination.status).toBe(422);
    expect(message(noDestination)).toMatch(/to\.backend/);
    expect((await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 's3' } })).status).toBe(422);
    expect((await call('POST', '/backups/filesystem/b1/copy', { to: 'filesystem' })).status).toBe(422);
    expect((await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem' } })).status).toBe(422); // onto itself
    expect((await call('POST', '/backups/filesystem/nope/copy', { to })).status).toBe(404);
    expect((await call('GET', '/backups/filesystem/b1/copy')).status).toBe(404);
    expect((await call('PUT', '/backups/filesystem/b1/copy')).status).toBe(405);

    expect((await call('POST', '/backups/filesystem/b1/copy', { to })).status).toBe(200);
    expect((await finished('/backups/filesystem/b1/copy')).status).toBe('SUCCESS');
    const again = await call('POST', '/backups/filesystem/b1/copy', { to });
    expect(again.status).toBe(422);
    expect(message(again)).toMatch(/already exists/);
    expect((await call('DELETE', '/backups/filesystem/b1/copy')).status).toBe(422); // already succeeded

    const key = join(harness.backupRoot, 'b1', 'backup_config.json');
    await writeFile(key, JSON.stringify({ ...JSON.parse(await readFile(key, 'utf8')), status: 'FAILED' }));
    const failed = await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem', path: join(harness.dir, 'third') } });
    expect(failed.status).toBe(422);
    expect(message(failed)).toMatch(/FAILED/);
  });

  test('DELETE cancels a running copy: CANCELED, nothing at the destination looks like a backup; starting it again resumes', async () => {
    await setUp('http-copy-cancel');
    const elsewhere = join(harness.dir, 'elsewhere');
    (harness.provider as SlowReadingProvider).slow = true;
    expect((await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem', path: elsewhere }, concurrency: 1 })).status).toBe(200);
    const second = await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem', path: join(harness.dir, 'x') } });
    expect(second.status).toBe(422); // one copy of a backup at a time
    await waitFor('the copy to move bytes', async () => {
      const body = (await call('GET', '/backups/filesystem/b1/copy')).body as { progress: { bytesDone: number } };
      return body.progress.bytesDone > 0 || undefined;
    });
    expect((await call('DELETE', '/backups/filesystem/b1/copy')).status).toBe(204);
    const canceled = (await call('GET', '/backups/filesystem/b1/copy')).body as Record<string, unknown>;
    expect(canceled).toMatchObject({ status: 'CANCELED' });
    expect(canceled.error).toMatch(/cancel/);
    expect((await listFiles(elsewhere)).filter((file) => file.endsWith('.json'))).toEqual([]);
    expect((await call('GET', `/backups/filesystem/b1?path=${encodeURIComponent(elsewhere)}`)).status).toBe(404);

    (harness.provider as SlowReadingProvider).slow = false;
    expect((await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem', path: elsewhere } })).status).toBe(200);
    expect((await finished('/backups/filesystem/b1/copy')).status).toBe('SUCCESS');
  });

  test('closing the API aborts a running copy', async () => {
    await setUp('http-copy-close');
    (harness.provider as SlowReadingProvider).slow = true;
    expect((await call('POST', '/backups/filesystem/b1/copy', { to: { backend: 'filesystem', path: join(harness.dir, 'e') } })).status).toBe(200);
    await api.close();
    expect(api.transfers.copyStatus('filesystem', 'b1')).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/shut down/) });
    expect((await call('POST', '/backups/filesystem/b1/verify')).status).toBe(503);
  });
});

describe('POST /backups/{backend}/{id}/verify', { timeout: 120_000 }, () => {
  test('a damaged chunk ends the verification FAILED, naming it in the error and the problems', async () => {
    await setUp('http-verify');
    const node = JSON.parse(await readFile(join(harness.backupRoot, 'b1', 'node1', 'backup.json'), 'utf8')) as NodeDescriptor;
    const chunk = node.collections[1]!.chunks[0]!;
    const path = join(harness.backupRoot, ...chunk.key.split('/'));
    const bytes = await readFile(path);
    bytes[5_000] = (bytes[5_000] ?? 0) ^ 0x10;
    await writeFile(path, bytes);

    const started = await call('POST', '/backups/backup-filesystem/b1/verify');
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ id: 'b1', backend: 'filesystem', path: join(harness.backupRoot, 'b1'), status: 'STARTED' });
    const done = await finished('/backups/filesystem/b1/verify');
    expect(done.status).toBe('FAILED');
    expect(done.error).toContain(chunk.key);
    expect(done.problems).toEqual([{ kind: 'SHA256_MISMATCH', key: chunk.key, message: expect.stringContaining(chunk.key) }]);
  });

  test('404 for an unknown backup or verification, 422 for a bad id', async () => {
    await setUp('http-verify-refusals');
    expect((await call('POST', '/backups/filesystem/nope/verify')).status).toBe(404);
    expect((await call('GET', '/backups/filesystem/b1/verify')).status).toBe(404);
    expect((await call('POST', '/backups/filesystem/NOPE/verify')).status).toBe(422);
    expect((await call('PATCH', '/backups/filesystem/b1/verify')).status).toBe(405);
  });
});
