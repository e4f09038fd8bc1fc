import assert from 'node:assert/strict';
import { copyBackup, verifyBackup, type BackupSource } from '@backup/core';
import { assertSameData } from './compare.ts';
import { backUp, backupId, restore, worldTest } from './nodes.ts';
import type { SingleNodeOptions } from './options.ts';

/**
 * Through one provider: full → incr1 → incr2 with writes, deletes and a
 * compaction between them (the host's `mutate`); each backup restores on a
 * fresh node to exactly the data at its own time, the incremental ones upload
 * less than the full one, deleting the full one keeps incr2 restorable, and
 * a copy of incr2 brings the objects it reuses
 * along (verified at the destination and restored from there).
 */
export function incrementalChainTest<S extends BackupSource>(options: SingleNodeOptions<S>, label: string): void {
  const factory = options.providers[label];
  const mutate = options.source.mutate;
  if (!factory) throw new Error(`runBackupConformance: no provider "${label}"`);
  if (!mutate) throw new Error('runBackupConformance: the incremental chain needs the host to implement mutate()');
  worldTest(options, `backup ${label}: an incremental chain full → incr1 → incr2 restores each backup to its own point in time`, async (world) => {
    const provider = await world.provider(factory);
    const origin = await world.node('node1', [provider]);
    await options.source.populate(origin.source);
    const ids = [backupId('chain-full'), backupId('chain-incr1'), backupId('chain-incr2')] as const;
    const expected: unknown[] = [];
    for (const [step, id] of ids.entries()) {
      if (step > 0) await mutate(origin.source, step);
      expected.push(await options.source.dump(origin.source));
      await backUp(origin, provider, id, step > 0 ? ids[step - 1] : undefined);
    }
    const full = await origin.engine.backupStatus(provider.name, ids[0]);
    for (const id of ids.slice(1)) {
      const report = await origin.engine.backupStatus(provider.name, id);
      assert.ok((report.bytesReused ?? 0) > 0, `${id} reuses nothing from its base`);
      assert.ok((report.bytesUploaded ?? 0) < (full.bytesUploaded ?? 0), `${id} uploaded ${report.bytesUploaded} bytes, the full backup ${full.bytesUploaded}`);
    }
    for (const [step, id] of [...ids.entries()].reverse()) {
      const fresh = await world.node('node1', [provider]);
      await restore(fresh, provider, id);
      assertSameData(await options.source.dump(fresh.source), expected[step], `${id} restored from ${label}`);
    }

    // Deleting the full backup keeps what incr1 and incr2 reuse: incr2 still restores.
    await origin.engine.deleteBackup(provider.name, ids[0]);
    const afterDelete = await world.node('node1', [provider]);
    await restore(afterDelete, provider, ids[2]);
    assertSameData(await options.source.dump(afterDelete.source), expected[2], `${ids[2]} restored after ${ids[0]} was deleted`);

    const moved = await world.provider(factory);
    await copyBackup({ id: ids[2], from: { provider }, to: { provider: moved } });
    const report = await verifyBackup({ id: ids[2], provider: moved });
    assert.deepEqual(report.problems, [], 'the copied incremental backup has problems');
    const elsewhere = await world.node('node1', [moved]);
    await restore(elsewhere, moved, ids[2]);
    assertSameData(await options.source.dump(elsewhere.source), expected[2], `${ids[2]} restored from its copy`);
  });
}
