import assert from 'node:assert/strict';
import { copyBackup, verifyBackup, type BackupSource } from '@backup/core';
import { assertSameData } from './compare.ts';
import { backedUpStore, restore, worldTest } from './nodes.ts';
import type { SingleNodeOptions } from './options.ts';
import { descriptorKeys, storedChunks, storedKeys } from './stored-backup.ts';

/**
 * From one provider to another: a backup made through `from`, copied to `to`
 * and restored from there gives identical collections.
 */
export function copyPairTest<S extends BackupSource>(options: SingleNodeOptions<S>, from: string, to: string): void {
  const fromFactory = options.providers[from];
  const toFactory = options.providers[to];
  if (!fromFactory || !toFactory) throw new Error(`runBackupConformance: no provider "${fromFactory ? to : from}"`);
  worldTest(options, `backup ${from} → ${to}: a copied backup verifies and restores identical collections`, async (world) => {
    const source = await world.provider(fromFactory);
    const target = await world.provider(toFactory);
    const { id, expected } = await backedUpStore(world, options.source, source, `copy-${from}-${to}`);
    const chunks = await storedChunks(source, id);

    const result = await copyBackup({ id, from: { provider: source }, to: { provider: target } });
    assert.equal(result.copied, chunks.length, 'chunks copied');
    assert.equal(result.skipped, 0, 'chunks skipped');
    assert.equal(
      result.bytesCopied,
      chunks.reduce((sum, chunk) => sum + chunk.size, 0),
      'bytes copied',
    );
    const keys = await storedKeys(target, id);
    assert.deepEqual(descriptorKeys(keys), [`${id}/backup_config.json`, `${id}/node1/backup.json`]);
    for (const chunk of chunks) assert.ok(keys.includes(chunk.key), `${chunk.key} is at ${to}`);

    const report = await verifyBackup({ id, provider: target });
    assert.deepEqual(report.problems, [], `the copy at ${to} has problems`);
    assert.equal(report.chunks, chunks.length);

    const restored = await world.node('node1', [target]);
    await restore(restored, target, id);
    assertSameData(await options.source.dump(restored.source), expected, `backed up through ${from}, restored from ${to}`);
  });
}
