import assert from 'node:assert/strict';
import { ErrorCode, copyBackup, verifyBackup, type BackupSource } from '@backup/core';
import { rejectsWithCode } from '../helpers.ts';
import { assertSameData } from './compare.ts';
import { backedUpStore, restore, worldTest } from './nodes.ts';
import type { SingleNodeOptions } from './options.ts';
import { descriptorKeys, flipStoredByte, setStoredStatus, storedChunks, storedKeys } from './stored-backup.ts';

/**
 * Damage at rest: a flipped byte in a chunk is named by `verifyBackup` and
 * stops a copy out of the provider (CORRUPT, naming the chunk) without
 * leaving anything that looks like a backup; a backup that is not SUCCESS
 * is refused (CONFLICT).
 */
export function damageTest<S extends BackupSource>(options: SingleNodeOptions<S>, label: string): void {
  const factory = options.providers[label];
  if (!factory) throw new Error(`runBackupConformance: no provider "${label}"`);
  worldTest(options, `backup ${label}: a flipped byte is named by verify and stops a copy; a backup not SUCCESS is not copied`, async (world) => {
    const provider = await world.provider(factory);
    const { id } = await backedUpStore(world, options.source, provider, 'damage');
    const chunks = await storedChunks(provider, id);
    const damaged = chunks[Math.floor(chunks.length / 2)];
    assert.ok(damaged, 'the backup has chunks');
    await flipStoredByte(provider, damaged.key);

    const report = await verifyBackup({ id, provider });
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map(({ kind, key }) => ({ kind, key })),
      [{ kind: 'SHA256_MISMATCH', key: damaged.key }],
    );

    // With several downloads in flight: the failure of one must cut off the others cleanly.
    const target = await world.provider(factory);
    const refused = await rejectsWithCode(
      copyBackup({ id, from: { provider }, to: { provider: target }, concurrency: 4 }),
      ErrorCode.CORRUPT,
      'copy of a damaged backup',
    );
    assert.ok(refused.message.includes(damaged.key), `the error names the chunk: ${refused.message}`);
    const left = await storedKeys(target, id);
    assert.deepEqual(descriptorKeys(left), [], 'a failed copy left descriptors');
    assert.ok(!left.includes(damaged.key), 'the damaged chunk was stored at the destination');

    await setStoredStatus(provider, id, 'FAILED');
    await rejectsWithCode(copyBackup({ id, from: { provider }, to: { provider: target } }), ErrorCode.CONFLICT, 'copy of a FAILED backup');
  });
}

/**
 * Interrupted copies into the provider: stopped after the first chunk, the
 * destination holds no descriptor (no backup there, as far as anyone can
 * tell); the same copy again keeps that chunk, completes, verifies and
 * restores identical collections.
 */
export function resumeTest<S extends BackupSource>(options: SingleNodeOptions<S>, label: string): void {
  const factory = options.providers[label];
  if (!factory) throw new Error(`runBackupConformance: no provider "${label}"`);
  worldTest(options, `backup ${label}: an interrupted copy never looks complete, and resumes`, async (world) => {
    const source = await world.provider(factory);
    const target = await world.provider(factory);
    const { id, expected } = await backedUpStore(world, options.source, source, 'resume');
    const chunks = await storedChunks(source, id);
    assert.ok(chunks.length >= 2, `the data set must make at least 2 chunks, got ${chunks.length}`);

    const controller = new AbortController();
    await rejectsWithCode(
      copyBackup({
        id,
        from: { provider: source },
        to: { provider: target },
        concurrency: 1,
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.objectsDone === 1) controller.abort();
        },
      }),
      ErrorCode.ABORTED,
      'interrupted copy',
    );
    const left = await storedKeys(target, id);
    assert.equal(left.length, 1, `one chunk should be at the destination, found ${left.join(', ')}`);
    assert.deepEqual(descriptorKeys(left), []);
    await rejectsWithCode(verifyBackup({ id, provider: target }), ErrorCode.NOT_FOUND, 'verification of an interrupted copy');
    const node = await world.node('node1', [target]);
    assert.deepEqual(await node.engine.listBackups(target.name), [], 'an interrupted copy is listed as a backup');

    const resumed = await copyBackup({ id, from: { provider: source }, to: { provider: target } });
    assert.equal(resumed.skipped, 1, 'chunks kept from the interrupted copy');
    assert.equal(resumed.copied, chunks.length - 1);
    assert.deepEqual((await verifyBackup({ id, provider: target })).problems, []);
    await restore(node, target, id);
    assertSameData(await options.source.dump(node.source), expected, `restored from a resumed copy into ${label}`);
  });
}
