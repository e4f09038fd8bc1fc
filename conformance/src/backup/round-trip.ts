import assert from 'node:assert/strict';
import { copyBackup, verifyBackup, type BackupSource } from '@backup/core';
import { assertDifferentData, assertSameData } from './compare.ts';
import { backedUpStore, restore, worldTest } from './nodes.ts';
import type { SingleNodeOptions } from './options.ts';

/**
 * Through one provider: a backup of a live store restores on a fresh node
 * with identical collections; moved to another location of the same
 * provider, it restores on a node with another name through `node_mapping`.
 */
export function roundTripTest<S extends BackupSource>(options: SingleNodeOptions<S>, label: string): void {
  const factory = options.providers[label];
  if (!factory) throw new Error(`runBackupConformance: no provider "${label}"`);
  worldTest(options, `backup ${label}: a backup restores identical collections on a fresh node, and under another node name after a move`, async (world) => {
    const provider = await world.provider(factory);
    const { id, expected } = await backedUpStore(world, options.source, provider, 'round-trip');

    const fresh = await world.node('node1', [provider]);
    assertDifferentData(await options.source.dump(fresh.source), expected, 'the host dumps an empty store like a populated one: dump() proves nothing');
    await restore(fresh, provider, id);
    assertSameData(await options.source.dump(fresh.source), expected, `restored from ${label}`);

    const moved = await world.provider(factory);
    await copyBackup({ id, from: { provider }, to: { provider: moved } });
    const report = await verifyBackup({ id, provider: moved });
    assert.deepEqual(report.problems, [], `the moved backup has problems`);
    const renamed = await world.node('node2', [moved]);
    await restore(renamed, moved, id, { node1: 'node2' });
    assertSameData(await options.source.dump(renamed.source), expected, `restored from ${label} on node2 through node_mapping`);
  });
}
