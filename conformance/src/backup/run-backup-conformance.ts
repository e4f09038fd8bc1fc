import type { BackupSource } from '@backup/core';
import { copyPairTest } from './copy-pair.ts';
import { incrementalChainTest } from './incremental-chain.ts';
import { damageTest, resumeTest } from './integrity.ts';
import { clusterRoundTripTest } from './cluster-round-trip.ts';
import type { BackupConformanceOptions, SingleNodeOptions } from './options.ts';
import { roundTripTest } from './round-trip.ts';

/**
 * Registers the end-to-end backup tests on the caller's runner, against a
 * real store (through `source`) and real providers:
 * - per provider: a round trip (back up a populated store, restore it on a
 *   fresh node, compare object by object; move it and restore it under
 *   another node name), damage at rest (verify names a flipped byte, a copy
 *   refuses it, a backup not SUCCESS is not copied), an interrupted copy
 *   into it that never looks complete and resumes, and (when the host can
 *   `mutate` its store) an incremental chain full → incr1 → incr2 restored
 *   to each backup's point in time;
 * - per ordered pair of different providers: back up through the first,
 *   copy to the second, verify there, restore from there, compare;
 * - with a `cluster` host, per provider: a backup through any node of the
 *   cluster, restored node by node on a fresh cluster and under other names
 *   through `node_mapping`, and an incomplete mapping refused.
 * The single-node tests run when `source` is given, the cluster tests when
 * `cluster` is; at least one is required.
 */
export function runBackupConformance<S extends BackupSource>(options: BackupConformanceOptions<S>): void {
  const labels = Object.keys(options.providers);
  if (labels.length === 0) throw new Error('runBackupConformance: pass at least one provider');
  if (!options.source && !options.cluster) throw new Error('runBackupConformance: pass a single-node `source` host, a `cluster` host, or both');
  if (options.source) {
    const single = options as SingleNodeOptions<S>;
    for (const label of labels) roundTripTest(single, label);
    for (const from of labels) {
      for (const to of labels) if (from !== to) copyPairTest(single, from, to);
    }
    for (const label of labels) {
      damageTest(single, label);
      resumeTest(single, label);
      if (single.source.mutate) incrementalChainTest(single, label);
    }
  }
  const cluster = options.cluster;
  if (cluster) for (const label of labels) clusterRoundTripTest(options, cluster, label);
}
