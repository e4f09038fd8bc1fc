import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, encryptionKeyFromEnv, parseEncryptionKey, verifyBackup, type NodeDescriptor } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { BackupStatus, createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, treeDigest } from './fixtures/scratch.ts';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

const KEY = randomBytes(32);
const MARKER = 'plain-text-that-must-not-be-stored-'.repeat(50);

async function seed(h: Harness): Promise<void> {
  await h.source.createCollection({ name: 'Article', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
  await h.source.writeFile('Article', 's0/000001.seg', sampleBytes(3 * 1024 * 1024, 0.5));
  await h.source.writeFile('Article', 's0/meta.json', MARKER);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return await promise.then(
    () => undefined,
    (error: unknown) => (BackupError.is(error) ? error.code : String(error)),
  );
}

async function storedObjects(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.startsWith('chunk-')) out.push(await readFile(join(entry.parentPath, entry.name)));
  }
  return out;
}

describe('client-side encryption', { timeout: 120_000 }, () => {
  test('chunks are stored encrypted; the descriptor holds all but the key; the backup restores with the key', async () => {
    harness = await createHarness('encrypt', { encryptionKey: KEY });
    const h = harness;
    await seed(h);
    const before = await treeDigest(h.source.collectionDir('Article'));
    await h.engine.createBackup({ backend: 'filesystem', id: 'secret', config: { compressionLevel: 'NoCompression', chunkSizeMb: 2 } });
    expect(await h.waitForBackup('secret')).toBe(BackupStatus.SUCCESS);
    const chunks = await storedObjects(join(h.backupRoot, 'secret'));
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.includes(Buffer.from('plain-text-that-must-not-be-stored'))).toBe(false);
    const text = await readFile(join(h.backupRoot, 'secret', 'node1', 'backup.json'), 'utf8');
    const descriptor = JSON.parse(text) as NodeDescriptor;
    expect(descriptor.encryption).toMatchObject({ algorithm: 'AES-256-GCM' });
    expect(text.includes(KEY.toString('hex'))).toBe(false);
    expect(text.includes(KEY.toString('base64'))).toBe(false);

    // Verify needs no key.
    expect((await verifyBackup({ id: 'secret', provider: h.provider })).problems).toEqual([]);

    await h.source.dropCollection('Article');
    await h.engine.restore({ backend: 'filesystem', id: 'secret' });
    expect(await h.waitForRestore('secret')).toBe(BackupStatus.SUCCESS);
    expect(await treeDigest(h.source.collectionDir('Article'))).toEqual(before);
  });

  test('no key or a wrong key fails the restore with ENCRYPTION_KEY before any collection is touched', async () => {
    harness = await createHarness('encrypt-keys', { encryptionKey: KEY });
    const h = harness;
    await seed(h);
    await h.engine.createBackup({ backend: 'filesystem', id: 'secret' });
    expect(await h.waitForBackup('secret')).toBe(BackupStatus.SUCCESS);
    await h.source.dropCollection('Article');
    await h.engine.close();
    await h.restart({ encryptionKey: undefined });
    expect(await codeOf(h.engine.restore({ backend: 'filesystem', id: 'secret' }))).toBe(ErrorCode.ENCRYPTION_KEY);
    await h.engine.close();
    await h.restart({ encryptionKey: randomBytes(32) });
    expect(await codeOf(h.engine.restore({ backend: 'filesystem', id: 'secret' }))).toBe(ErrorCode.ENCRYPTION_KEY);
    expect(await h.source.collectionExists('Article')).toBe(false);
    expect(await listFiles(join(h.source.root, '.staging'))).toEqual([]);
  });

  test('an incremental backup on an encrypted base restores with the key (reused chunks keep their data key)', async () => {
    harness = await createHarness('encrypt-incr', { encryptionKey: KEY });
    const h = harness;
    await seed(h);
    await h.engine.createBackup({ backend: 'filesystem', id: 'base', config: { chunkSizeMb: 2 } });
    expect(await h.waitForBackup('base')).toBe(BackupStatus.SUCCESS);
    await h.source.writeFile('Article', 's0/000002.seg', sampleBytes(10_000));
    await h.engine.createBackup({ backend: 'filesystem', id: 'next', incrementalBaseBackupId: 'base', config: { chunkSizeMb: 2 } });
    expect(await h.waitForBackup('next')).toBe(BackupStatus.SUCCESS);
    expect((await h.engine.backupStatus('filesystem', 'next')).bytesReused).toBeGreaterThan(0);
    const before = await treeDigest(h.source.collectionDir('Article'));
    await h.source.dropCollection('Article');
    await h.engine.restore({ backend: 'filesystem', id: 'next' });
    expect(await h.waitForRestore('next')).toBe(BackupStatus.SUCCESS);
    expect(await treeDigest(h.source.collectionDir('Article'))).toEqual(before);
  });

  test('the key comes from BACKUP_ENCRYPTION_KEY (base64 or hex) or a key file; anything else is CONFIG', () => {
    expect(encryptionKeyFromEnv({})).toBeUndefined();
    expect(encryptionKeyFromEnv({ BACKUP_ENCRYPTION_KEY: KEY.toString('base64') })).toEqual(KEY);
    expect(encryptionKeyFromEnv({ BACKUP_ENCRYPTION_KEY: KEY.toString('hex') })).toEqual(KEY);
    expect(() => parseEncryptionKey('too-short')).toThrow(BackupError);
    expect(() => encryptionKeyFromEnv({ BACKUP_ENCRYPTION_KEY_FILE: '/nonexistent/key' })).toThrow(/cannot be read/);
  });
});
