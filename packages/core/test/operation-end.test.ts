/**
 * The end of a backup is one step as clients see it: the SUCCESS descriptor
 * may become readable before the engine has finished with the backup
 * (journal, slot), so the engine must keep treating it as running until
 * then. Each provider here widens that window around the SUCCESS
 * descriptor's write, where a status read, a new backup or a cancel could
 * once land.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { BackupError, ErrorCode, type CallOptions, verifyBackup } from '../src/index.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes } from './fixtures/scratch.ts';

const isSuccessDescriptor = (key: string, data: Uint8Array | string): boolean =>
  key.endsWith('backup_config.json') && Buffer.from(data).toString().includes('"SUCCESS"');

/** Resolves the SUCCESS descriptor's put 300 ms after the descriptor is readable. */
class LateAcknowledgingProvider extends FilesystemProvider {
  override async put(key: string, data: Uint8Array | string, options?: CallOptions): Promise<void> {
    await super.put(key, data, options);
    if (isSuccessDescriptor(key, data)) await sleep(300);
  }
}

/** Holds the SUCCESS descriptor for 300 ms before writing it, and says when it starts. */
class SlowRecordingProvider extends FilesystemProvider {
  onRecording: (() => void) | undefined;
  override async put(key: string, data: Uint8Array | string, options?: CallOptions): Promise<void> {
    if (isSuccessDescriptor(key, data)) {
      this.onRecording?.();
      await sleep(300);
    }
    await super.put(key, data, options);
  }
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

async function oneCollection(h: Harness): Promise<void> {
  await h.source.createCollection({ name: 'A', multiTenant: false, shards: [{ name: 's', status: 'HOT' }] });
  await h.source.writeFile('A', 's/a.seg', sampleBytes(10_000));
}

test('once SUCCESS can be read, the next backup may start at once (no "already in progress")', { timeout: 60_000 }, async () => {
  harness = await createHarness('end-slot', {}, (root) => new LateAcknowledgingProvider({ path: root }));
  await oneCollection(harness);
  await harness.engine.createBackup({ backend: 'filesystem', id: 'one' });
  expect(await harness.waitForBackup('one')).toBe('SUCCESS');

  const again = await harness.engine.createBackup({ backend: 'filesystem', id: 'one' }).catch((error: unknown) => error);
  expect(BackupError.is(again, ErrorCode.ALREADY_EXISTS)).toBe(true);
  expect(await harness.engine.createBackup({ backend: 'filesystem', id: 'two' })).toMatchObject({ status: 'STARTED' });
  expect(await harness.waitForBackup('two')).toBe('SUCCESS');
});

test('a cancel while SUCCESS is being recorded is refused, and the backup stays whole', { timeout: 60_000 }, async () => {
  const provider = (root: string) => new SlowRecordingProvider({ path: root });
  harness = await createHarness('end-cancel', {}, provider);
  await oneCollection(harness);
  const recording = new Promise<void>((resolve) => ((harness!.provider as SlowRecordingProvider).onRecording = resolve));
  await harness.engine.createBackup({ backend: 'filesystem', id: 'one' });
  await recording;

  // It once took the "orphan" path: deleted every object, then SUCCESS was written over CANCELED.
  const cancel = await harness.engine.cancelBackup('filesystem', 'one').catch((error: unknown) => error);
  expect(BackupError.is(cancel, ErrorCode.CONFLICT)).toBe(true);
  expect(await harness.waitForBackup('one')).toBe('SUCCESS');
  const report = await verifyBackup({ id: 'one', provider: harness.provider });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
});
