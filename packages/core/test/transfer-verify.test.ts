import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupStatus, ErrorCode, FORMAT_VERSION, verifyBackup, type NodeDescriptor, type VerifyProgress } from '../src/index.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes } from './fixtures/scratch.ts';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

async function seeded(name: string): Promise<Harness> {
  const h = await createHarness(name);
  for (const collection of ['Article', 'Author', 'Comment']) {
    await h.source.createCollection({ name: collection, multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await h.source.writeFile(collection, 's0/000001.seg', sampleBytes(150_000));
  }
  await h.engine.createBackup({ backend: 'filesystem', id: 'checked', config: { chunkSizeMb: 2 } });
  expect(await h.waitForBackup('checked')).toBe(BackupStatus.SUCCESS);
  return h;
}

function pathOf(h: Harness, key: string): string {
  return join(h.backupRoot, ...key.split('/'));
}

async function chunkKeys(h: Harness): Promise<string[]> {
  const node = JSON.parse(await readFile(pathOf(h, 'checked/node1/backup.json'), 'utf8')) as NodeDescriptor;
  return node.collections.flatMap((collection) => collection.chunks.map((chunk) => chunk.key));
}

describe('verifyBackup', { timeout: 120_000 }, () => {
  test('a sound backup: every chunk read and hashed, no problem', async () => {
    harness = await seeded('verify-ok');
    const progress: VerifyProgress[] = [];
    const report = await verifyBackup({ id: 'checked', provider: harness.provider, onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({
      id: 'checked',
      path: join(harness.backupRoot, 'checked'),
      status: 'SUCCESS',
      ok: true,
      problems: [],
      nodes: ['node1'],
      chunks: 3,
    });
    expect(report.bytesChecked).toBe(report.bytes);
    expect(report.bytes).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ chunks: 3, chunksChecked: 3, bytes: report.bytes, bytesChecked: report.bytes });
  });

  test('names every damaged chunk: flipped byte, cut short, missing', async () => {
    harness = await seeded('verify-chunks');
    const [flipped, cut, gone] = (await chunkKeys(harness)) as [string, string, string];
    const bytes = await readFile(pathOf(harness, flipped));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    await writeFile(pathOf(harness, flipped), bytes);
    await writeFile(pathOf(harness, cut), (await readFile(pathOf(harness, cut))).subarray(1));
    await harness.provider.delete(gone);

    const report = await verifyBackup({ id: 'checked', provider: harness.provider });
    expect(report.ok).toBe(false);
    expect(report.problems.map(({ kind, key }) => ({ kind, key }))).toEqual([
      { kind: 'SHA256_MISMATCH', key: flipped },
      { kind: 'SIZE_MISMATCH', key: cut },
      { kind: 'CHUNK_MISSING', key: gone },
    ]);
    for (const problem of report.problems) expect(problem.message).toContain(problem.key);
  });

  test('names descriptor problems: unreadable node descriptor, backup not SUCCESS, inconsistent records', async () => {
    harness = await seeded('verify-descriptors');
    const global = JSON.parse((await harness.provider.get('checked/backup_config.json')).toString('utf8')) as Record<string, unknown>;
    await harness.provider.put('checked/backup_config.json', JSON.stringify({ ...global, status: 'FAILED', error: 'the node shut down' }));
    await writeFile(pathOf(harness, 'checked/node1/backup.json'), '{"version": "2.0", "id": "checked", trunc');
    const report = await verifyBackup({ id: 'checked', provider: harness.provider });
    expect(report.status).toBe('FAILED');
    expect(report.problems.map(({ kind, key }) => ({ kind, key }))).toEqual([
      { kind: 'NOT_SUCCESS', key: 'checked/backup_config.json' },
      { kind: 'DESCRIPTOR_INVALID', key: 'checked/node1/backup.json' },
    ]);
    expect(report.problems[0]?.message).toContain('the node shut down');

    await harness.provider.delete('checked/node1/backup.json');
    expect((await verifyBackup({ id: 'checked', provider: harness.provider })).problems).toContainEqual(
      expect.objectContaining({ kind: 'DESCRIPTOR_MISSING', key: 'checked/node1/backup.json' }),
    );
  });

  test('a chunk record pointing outside its node folder is reported and not read', async () => {
    harness = await createHarness('verify-outside');
    await harness.source.createCollection({ name: 'Article', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await harness.source.writeFile('Article', 's0/a.seg', sampleBytes(10_000));
    await harness.engine.createBackup({ backend: 'filesystem', id: 'checked' });
    expect(await harness.waitForBackup('checked')).toBe(BackupStatus.SUCCESS);
    const node = JSON.parse(await readFile(pathOf(harness, 'checked/node1/backup.json'), 'utf8')) as NodeDescriptor;
    const collection = node.collections[0]!;
    const tampered = { ...node, collections: [{ ...collection, chunks: collection.chunks.map((chunk) => ({ ...chunk, key: 'elsewhere/secret' })) }] };
    await harness.provider.put('checked/node1/backup.json', JSON.stringify(tampered));
    const report = await verifyBackup({ id: 'checked', provider: harness.provider });
    expect(report.problems.map((problem) => problem.kind)).toContain('DESCRIPTOR_INVALID');
    expect(report.problems.some((problem) => problem.message.includes('elsewhere/secret'))).toBe(true);
    expect(report.chunks).toBe(0);
  });

  test('with an unreadable global descriptor, still finds the node descriptors and checks their chunks', async () => {
    harness = await seeded('verify-global');
    await harness.provider.put('checked/backup_config.json', `{"version":"${FORMAT_VERSION.replace(/^\d+/, '9')}","id":"checked"}`);
    const [first] = (await chunkKeys(harness)) as [string];
    await harness.provider.delete(first);
    const report = await verifyBackup({ id: 'checked', provider: harness.provider });
    expect(report.status).toBeUndefined();
    expect(report.nodes).toEqual(['node1']);
    expect(report.problems.map(({ kind, key }) => ({ kind, key }))).toEqual([
      { kind: 'DESCRIPTOR_INVALID', key: 'checked/backup_config.json' },
      { kind: 'CHUNK_MISSING', key: first },
    ]);
  });

  test('no backup is NOT_FOUND, a bad id INVALID_ARGUMENT, an aborted verification ABORTED', async () => {
    harness = await seeded('verify-refusals');
    await expect(verifyBackup({ id: 'absent', provider: harness.provider })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(verifyBackup({ id: '../x', provider: harness.provider })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(verifyBackup({ id: 'checked', provider: harness.provider, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: ErrorCode.ABORTED,
    });
  });
});
