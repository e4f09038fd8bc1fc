/** Command-line options of `npm run bench`. */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly quick: boolean;
  /** Bytes of object data in the main data set. */
  readonly sizeBytes: number;
  /**
   * Data set sizes (1×, 2× and 4× the main size) a fresh server backs up once each: its peak RSS
   * (the bound must not grow with them) and how the backup time grows (it should be linear).
   */
  readonly memorySizesBytes: readonly number[];
  /** Each comparison runs this many times, alternating ours and the baseline; the best counts. */
  readonly rounds: number;
  readonly seed: number;
  /** Scratch folder on tmpfs; removed at the end unless `keep`. */
  readonly workDir: string;
  readonly keep: boolean;
  /** Where the JSON result goes. */
  readonly output: string;
  /** Bytes each provider benchmark uploads. */
  readonly providerBytes: number;
  /** Write load: writes per second, and how long the idle phase lasts. */
  readonly loadRate: number;
  readonly loadIdleSeconds: number;
  /** Longest a single backup or restore may take before the run fails. */
  readonly timeoutSeconds: number;
  /** Bytes of object data the cluster case spreads over three nodes (and holds on one node to compare). */
  readonly clusterBytes: number;
  /** Run only the cluster case. */
  readonly clusterOnly: boolean;
  /** Run only the backup and restore speed comparisons (what a many-core machine is for). */
  readonly speedOnly: boolean;
  /** Build the self-contained bench bundle into this folder instead of running. */
  readonly bundle: string | undefined;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const BENCH_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const USAGE = `Usage: npm run bench -- [options]

Backup and restore speed, memory and write impact of @backup/core through the
real server, as ratios against tar, pigz and zstd measured in the same run.

Options:
      --quick            smoke run: 64 MiB, one round, small provider uploads
      --size <GiB>       main data set size (default 1; --quick: 0.0625); backup time and
                         peak RSS are also measured at 2× and 4× it
      --rounds <n>       runs per comparison, best counts (default 3; --quick: 1)
      --seed <n>         data set seed (default 42)
      --out <file>       JSON result (default bench/results/latest.json)
      --work-dir <dir>   scratch folder (default /dev/shm/backup-bench-<pid>)
      --keep             keep the scratch folder
      --cluster-only     only the cluster case: a 3-node cluster against one node (MinIO)
      --speed-only       only the backup and restore speed comparisons (and main-thread share)
      --bundle <dir>     build a self-contained bundle (harness, server, Node, pigz, zstd,
                         run.sh) into <dir> for a machine with no network; does not run
  -h, --help             show this help
`;

/** Parses `argv`; throws a usage error for anything unknown or malformed. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      size: { type: 'string' },
      rounds: { type: 'string' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string' },
      'work-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'cluster-only': { type: 'boolean', default: false },
      'speed-only': { type: 'boolean', default: false },
      bundle: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const quick = values.quick;
  const sizeBytes = Math.round(number(values.size, quick ? 64 / 1024 : 1, '--size', 1 / 1024) * GiB);
  const rounds = Math.round(number(values.rounds, quick ? 1 : 3, '--rounds', 1));
  const seed = Math.round(number(values.seed, 42, '--seed', 0));
  const shm = os.platform() === 'linux' ? '/dev/shm' : os.tmpdir();
  // Relative paths mean relative to where the user typed the command (npm runs scripts elsewhere).
  const cwd = process.env.INIT_CWD ?? process.cwd();
  return {
    quick,
    sizeBytes,
    // 1, 2 and 4 GiB by default: the peak must stay flat and the time grow linearly while the data grows fourfold.
    memorySizesBytes: [sizeBytes, 2 * sizeBytes, 4 * sizeBytes],
    rounds,
    seed,
    workDir: path.resolve(cwd, values['work-dir'] ?? path.join(shm, `backup-bench-${process.pid}`)),
    keep: values.keep,
    output: path.resolve(cwd, values.out ?? path.join(BENCH_ROOT, 'results', 'latest.json')),
    providerBytes: quick ? 4 * MiB : 256 * MiB,
    loadRate: quick ? 50 : 100,
    loadIdleSeconds: quick ? 2 : 10,
    timeoutSeconds: quick ? 120 : 1800,
    clusterBytes: quick ? 12 * MiB : 192 * MiB,
    clusterOnly: values['cluster-only'],
    speedOnly: values['speed-only'],
    bundle: values.bundle === undefined ? undefined : path.resolve(cwd, values.bundle),
  };
}

function number(text: string | undefined, fallback: number, name: string, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new TypeError(`${name} must be a number ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}
