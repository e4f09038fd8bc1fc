import { afterEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { BackupError, defineCapabilities, ErrorCode, writeBufferBytes, type ProviderCapabilities } from '../src/index.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';

const MiB = 1024 * 1024;

/** A real filesystem provider that declares a 4 MiB object limit. */
class SmallObjectsProvider extends FilesystemProvider {
  override readonly capabilities: ProviderCapabilities;
  constructor(root: string) {
    super({ path: root });
    this.capabilities = defineCapabilities({ ...new FilesystemProvider({ path: root }).capabilities, maxObjectSize: 4 * MiB });
  }
}

describe('the engine honours the capability manifest', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  test('a ChunkSize above maxObjectSize is INVALID_ARGUMENT before anything starts; one that fits runs', async () => {
    harness = await createHarness('capabilities', {}, (root) => new SmallObjectsProvider(root));
    await harness.source.createCollection({ name: 'Author', multiTenant: false, shards: [{ name: 's', status: 'HOT' }] });
    await harness.source.writeFile('Author', 's/a.seg', 'author');
    const refused = await harness.engine.createBackup({ backend: 'filesystem', id: 'big', config: { chunkSizeMb: 8 } }).catch((error: unknown) => error);
    expect(BackupError.is(refused, ErrorCode.INVALID_ARGUMENT), String(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/ChunkSize 8.*at most 4 MB/);
    expect(await harness.provider.exists('big/backup_config.json')).toBe(false);
    await expect(harness.engine.backupStatus('filesystem', 'big')).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });

    await harness.engine.createBackup({ backend: 'filesystem', id: 'fits', config: { chunkSizeMb: 4 } });
    expect(await harness.waitForBackup('fits')).toBe('SUCCESS');
  });
});

describe('writeBufferBytes', () => {
  test('is multipart.partSize × multipart.queueSize, and 0 for a provider that streams one piece', () => {
    const base = { rangedReads: true, abortCleansUp: true, maxObjectSize: 64 * MiB, listPageSize: 10 };
    expect(writeBufferBytes(defineCapabilities({ ...base, multipart: { partSize: 8 * MiB, queueSize: 4 } }))).toBe(32 * MiB);
    expect(writeBufferBytes(defineCapabilities({ ...base, multipart: null }))).toBe(0);
  });
});

describe('ranged reads only where declared', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  test('a provider without rangedReads refuses a range with NOT_SUPPORTED before reaching the backend; whole reads work', async () => {
    class WholeReadsProvider extends FilesystemProvider {
      override readonly capabilities: ProviderCapabilities;
      constructor(root: string) {
        super({ path: root });
        this.capabilities = defineCapabilities({ ...new FilesystemProvider({ path: root }).capabilities, rangedReads: false });
      }
    }
    harness = await createHarness('whole-reads', {}, (root) => new WholeReadsProvider(root));
    await harness.provider.put('object', 'whole object');
    await expect(harness.provider.read('object', { range: { offset: 1, length: 2 } })).rejects.toMatchObject({ code: ErrorCode.NOT_SUPPORTED });
    const chunks: Buffer[] = [];
    for await (const chunk of await harness.provider.read('object')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('whole object');
  });
});
