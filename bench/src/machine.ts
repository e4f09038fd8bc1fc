/** The machine and the versions a result was measured with, for the report. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BaselineTool, ToolInfo } from './baselines.ts';
import type { BundleInfo } from './bundle/build-bundle.ts';
import { serverThreadPoolSize } from './server-process.ts';

export interface MachineInfo {
  readonly cpuModel: string;
  /** Logical CPUs the OS reports. */
  readonly cpus: number;
  /** What Node (and so the engine's CPUPercentage) sizes its work by. */
  readonly availableParallelism: number;
  /**
   * libuv threads the servers ran with (`UV_THREADPOOL_SIZE`): every pipeline compresses on them.
   * Absent from results before 2026-12-06, whose servers had Node's default, 4.
   */
  readonly serverThreadPool?: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly platform: string;
  /** 1-minute load average when the run started: other work on the machine makes numbers noisy. */
  readonly loadAverageAtStart: number;
  loadAverageAtEnd?: number;
}

export interface Versions {
  readonly node: string;
  /** Our packages, as their package.json files say. */
  readonly packages: Record<string, string>;
  /** When the harness ran from a bench bundle: which commit it was built from, and when. */
  readonly bundle?: { commit: string; builtAt: string };
  readonly tools: Record<BaselineTool, string>;
}

const require = createRequire(import.meta.url);
const OUR_PACKAGES = [
  '@backup/core',
  '@backup/lsm',
  '@backup/server',
  '@backup/provider-filesystem',
  '@backup/provider-s3',
  '@backup/provider-azure',
  '@backup/provider-gcs',
];

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    serverThreadPool: serverThreadPoolSize(),
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtStart: os.loadavg()[0] ?? 0,
  };
}

export function versions(tools: Record<BaselineTool, ToolInfo>): Versions {
  const toolVersions = { tar: tools.tar.version, pigz: tools.pigz.version, zstd: tools.zstd.version };
  const bundleDir = process.env.BACKUP_BENCH_BUNDLE;
  if (bundleDir !== undefined && bundleDir !== '') {
    // No package.json files in a bundle: its build recorded the versions (bundle/build-bundle.ts).
    const info = JSON.parse(readFileSync(path.join(bundleDir, 'bundle.json'), 'utf8')) as BundleInfo;
    return { node: process.version, packages: info.packages, tools: toolVersions, bundle: { commit: info.commit, builtAt: info.builtAt } };
  }
  const packages: Record<string, string> = {};
  for (const name of OUR_PACKAGES) {
    try {
      // The filesystem provider is a dependency of the server, not of the bench: resolve it from there.
      const from = name === '@backup/provider-filesystem' ? createRequire(require.resolve('@backup/server/package.json')) : require;
      packages[name] = (JSON.parse(readFileSync(from.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    } catch {
      packages[name] = 'unknown';
    }
  }
  return { node: process.version, packages, tools: toolVersions };
}
