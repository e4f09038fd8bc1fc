/**
 * What client-side encryption costs: the same `DefaultCompression` backup at
 * one pipeline (the default `CPUPercentage` level) by a server without a key
 * and by one with `BACKUP_ENCRYPTION_KEY`, alternating per round; best round.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { runBackup } from './backup-api-client.ts';
import type { ParallelismLevel } from './parallelism.ts';
import { startServerProcess } from './server-process.ts';

/** Encrypted throughput / plain throughput: at least this (≤ 10 % cost). */
export const ENCRYPTION_TARGET = 0.9;

export interface EncryptionResult {
  readonly plainSeconds: number;
  readonly encryptedSeconds: number;
  readonly pipelines: number;
  /** plain seconds / encrypted seconds = encrypted throughput relative to plain. */
  readonly throughputRatio: number;
  readonly target: number;
}

export interface EncryptionContext {
  readonly dataPath: string;
  readonly backupPath: string;
  readonly level: ParallelismLevel;
  readonly rounds: number;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export async function measureEncryption(context: EncryptionContext): Promise<EncryptionResult> {
  const key = randomBytes(32).toString('base64');
  const best = { plain: Number.POSITIVE_INFINITY, encrypted: Number.POSITIVE_INFINITY };
  let pipelines = 0;
  const once = async (encrypted: boolean, round: number): Promise<void> => {
    const server = await startServerProcess({
      dataPath: context.dataPath,
      backupPath: context.backupPath,
      ...(encrypted ? { env: { BACKUP_ENCRYPTION_KEY: key } } : {}),
    });
    try {
      const id = `bench-${encrypted ? 'encrypted' : 'plain'}-r${round}`;
      const run = await runBackup(
        server.url,
        context.backupPath,
        { id, compressionLevel: 'DefaultCompression', cpuPercentage: context.level.cpuPercentage },
        context.timeoutMs,
      );
      pipelines = run.pipelines;
      best[encrypted ? 'encrypted' : 'plain'] = Math.min(best[encrypted ? 'encrypted' : 'plain'], run.seconds);
      context.log(`  ${encrypted ? 'encrypted' : 'plain'} backup round ${round + 1}: ${run.seconds.toFixed(2)} s (${run.pipelines} pipeline(s))`);
      await fsp.rm(path.join(context.backupPath, id), { recursive: true, force: true });
    } finally {
      await server.stop();
    }
  };
  // At least two rounds, so each side goes first once: a fresh server's first backup is often the slower.
  for (let round = 0; round < Math.max(2, context.rounds); round++) {
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const encrypted of order) await once(encrypted, round);
  }
  return {
    plainSeconds: best.plain,
    encryptedSeconds: best.encrypted,
    pipelines,
    throughputRatio: best.plain / best.encrypted,
    target: ENCRYPTION_TARGET,
  };
}
