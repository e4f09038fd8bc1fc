import type { BackupSource } from '@backup/core';
import { copyPairTest } from './copy-pair.ts';
import { damageTest, resumeTest } from './integrity.ts';
import type { BackupConformanceOptions } from './options.ts';
import { roundTripTest } from './round-trip.ts';

/**
 * Registers the end-to-end backup tests on the caller's runner, against a
 * real store (through `source`) and real providers:
 * - per provider: a round trip (back up a populated store, restore it on a
 *   fresh node, compare object by object; move it and restore it under
 *   another node name), damage at rest (verify names a flipped byte, a copy
 *   refuses it, a backup not SUCCESS is not copied), and an interrupted copy
 *   into it that never looks complete and resumes;
 * - per ordered pair of different providers: back up through the first,
 *   copy to the second, verify there, restore from there, compare.
 */
export function runBackupConformance<S extends BackupSource>(options: BackupConformanceOptions<S>): void {
  const labels = Object.keys(options.providers);
  if (labels.length === 0) throw new Error('runBackupConformance: pass at least one provider');
  for (const label of labels) roundTripTest(options, label);
  for (const from of labels) {
    for (const to of labels) if (from !== to) copyPairTest(options, from, to);
  }
  for (const label of labels) {
    damageTest(options, label);
    resumeTest(options, label);
  }
}
