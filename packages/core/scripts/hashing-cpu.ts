/**
 * CPU seconds a backup and a restore spend per GiB through `packJob` and
 * `unpackJob` in this thread, with `NoCompression` on tmpfs, so that hashing
 * is a large share of the work and a pass more or less shows (docs/DESIGN.md,
 * "Integrity hashing"). CPU time, not wall time: the machine may be shared.
 *
 *   node --conditions=@backup/source packages/core/scripts/hashing-cpu.ts [MiB per kind, default 256] [trials, default 3]
 *
 * Backs up MiB of split files (64 MiB each, 16 MiB chunks) and MiB of small
 * files (512 KiB each), separately, and prints the best of the trials.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { planChunks } from '../src/engine/chunk-plan.ts';
import { compressionSpec } from '../src/engine/compression.ts';
import { packJob } from '../src/engine/packer.ts';
import { planUnpack, unpackJob } from '../src/engine/unpacker.ts';
import type { ChunkRecord, FileRecord } from '../src/format/descriptors.ts';
import type { SnapshotFile } from '../src/source.ts';

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 256) * MiB;
const trials = Number(process.argv[3] ?? 3);
const chunkSize = 16 * MiB;
const base = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hashing-cpu-'));

async function makeFiles(kind: string, fileSize: number): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  const block = randomBytes(fileSize);
  await mkdir(join(base, 'src', kind), { recursive: true });
  for (let i = 0; i * fileSize < total; i++) {
    block.writeUInt32LE(i, 0); // every file differs
    const path = `${kind}/f${i}`;
    await writeFile(join(base, 'src', path), block);
    files.push({ path, size: fileSize, shard: kind });
  }
  return files;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

async function once(files: SnapshotFile[], trial: number): Promise<{ backup: number; restore: number }> {
  const provider = new FilesystemProvider({ path: join(base, `store-${trial}`) });
  const signal = new AbortController().signal;
  const chunks: ChunkRecord[] = [];
  const records: FileRecord[] = [];
  let start = process.cpuUsage();
  for (const job of planChunks(files, chunkSize)) {
    const packed = await packJob(job, {
      provider,
      location: {},
      compression: compressionSpec('NoCompression'),
      root: join(base, 'src'),
      keyFor: (index) => `b/node1/C/chunk-${index}`,
      signal,
    });
    chunks.push(...packed.chunks);
    records.push(...packed.files);
  }
  const backup = cpuSeconds(start);
  start = process.cpuUsage();
  for (const job of planUnpack(chunks, records)) {
    await unpackJob(job, { provider, location: {}, codec: 'none', directory: join(base, `restored-${trial}`), signal });
  }
  const restore = cpuSeconds(start);
  await rm(join(base, `store-${trial}`), { recursive: true, force: true });
  await rm(join(base, `restored-${trial}`), { recursive: true, force: true });
  return { backup, restore };
}

try {
  for (const [kind, fileSize] of [
    ['split', 64 * MiB],
    ['small', 512 * 1024],
  ] as const) {
    const files = await makeFiles(kind, fileSize);
    const results: { backup: number; restore: number }[] = [];
    for (let trial = 0; trial < trials; trial++) results.push(await once(files, trial));
    const gib = total / (1024 * MiB);
    const best = (pick: (r: { backup: number; restore: number }) => number) => Math.min(...results.map(pick)) / gib;
    console.log(
      `${kind} files (${fileSize / MiB} MiB each, ${total / MiB} MiB): backup ${best((r) => r.backup).toFixed(2)} CPU-s/GiB, restore ${best((r) => r.restore).toFixed(2)} CPU-s/GiB (best of ${trials})`,
    );
  }
} finally {
  await rm(base, { recursive: true, force: true });
}
