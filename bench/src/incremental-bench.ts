/**
 * Incremental backup against a full one on the same server: a full backup,
 * then about 1 % of the data set's bytes in new objects, then an incremental
 * backup on top of the full one. Compared: stored bytes uploaded and wall time.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type BackupRun, call, runBackup } from './backup-api-client.ts';
import { COLLECTIONS, makeObject } from './dataset.ts';
import type { ParallelismLevel } from './parallelism.ts';
import { Prng } from './prng.ts';

export const INCREMENTAL_TARGETS = { bytesRatio: 0.05, timeRatio: 0.1 } as const;

export interface IncrementalResult {
  /** Bytes of the new objects written between the two backups (approximate, as the generator counts them). */
  readonly newBytes: number;
  readonly full: { readonly seconds: number; readonly storedBytes: number };
  readonly incremental: { readonly seconds: number; readonly storedBytes: number };
  /** incremental / full: at most the targets. */
  readonly bytesRatio: number;
  readonly timeRatio: number;
  readonly bytesTarget: number;
  readonly timeTarget: number;
}

export interface IncrementalContext {
  readonly url: string;
  readonly backupPath: string;
  readonly datasetBytes: number;
  readonly level: ParallelismLevel;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

/** Writes objects worth about `bytes` through `/v1/batch/objects`, 100 at a time. */
async function writeNewObjects(url: string, bytes: number, seed: number): Promise<number> {
  const rng = new Prng(seed);
  let written = 0;
  let index = 0;
  while (written < bytes) {
    const objects = [];
    for (let i = 0; i < 100 && written < bytes; i++, index++) {
      const plan = COLLECTIONS[index % COLLECTIONS.length]!;
      const object = makeObject(plan, rng);
      written += object.bytes;
      objects.push({
        class: plan.schema.class,
        id: object.id,
        properties: object.properties,
        vector: Array.from(object.vector),
        ...(plan.tenants ? { tenant: plan.tenants[index % plan.tenants.length] } : {}),
      });
    }
    await call(url, 'POST', '/v1/batch/objects', { objects });
  }
  return written;
}

export async function measureIncremental(context: IncrementalContext): Promise<IncrementalResult> {
  const { log } = context;
  const request = (id: string, base?: string) => ({
    id,
    compressionLevel: 'DefaultCompression',
    cpuPercentage: context.level.cpuPercentage,
    ...(base ? { incrementalBaseBackupId: base } : {}),
  });
  const full: BackupRun = await runBackup(context.url, context.backupPath, request('bench-incr-full'), context.timeoutMs);
  log(`  full backup: ${full.seconds.toFixed(2)} s, ${full.storedBytes} bytes stored`);
  const newBytes = await writeNewObjects(context.url, context.datasetBytes * 0.01, context.seed);
  log(`  wrote ~${(newBytes / 1024 / 1024).toFixed(1)} MiB of new objects (1 % of the data set)`);
  const incremental = await runBackup(context.url, context.backupPath, request('bench-incr-1', 'bench-incr-full'), context.timeoutMs);
  log(`  incremental backup: ${incremental.seconds.toFixed(2)} s, ${incremental.storedBytes} bytes uploaded`);
  for (const id of [full.id, incremental.id]) await fsp.rm(path.join(context.backupPath, id), { recursive: true, force: true });
  const bytesRatio = incremental.storedBytes / full.storedBytes;
  const timeRatio = incremental.seconds / full.seconds;
  return {
    newBytes,
    full: { seconds: full.seconds, storedBytes: full.storedBytes },
    incremental: { seconds: incremental.seconds, storedBytes: incremental.storedBytes },
    bytesRatio,
    timeRatio,
    bytesTarget: INCREMENTAL_TARGETS.bytesRatio,
    timeTarget: INCREMENTAL_TARGETS.timeRatio,
  };
}
