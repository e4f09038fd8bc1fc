/**
 * The shape of `bench/results/latest.json`: every figure and ratio by name,
 * with the machine and versions it was measured on, and each target's verdict.
 */
import type { LatencyStats } from './write-load.ts';
import type { WriteImpactRound } from './write-impact.ts';
import type { DatasetInfo } from './dataset.ts';
import type { LsmStallBench } from './lsm-stall.ts';
import type { MachineInfo, Versions } from './machine.ts';
import type { ParallelismLevel } from './parallelism.ts';
import type { ClusterResult } from './cluster-bench.ts';
import type { IncrementalResult } from './incremental-bench.ts';
import type { EncryptionResult } from './encryption-bench.ts';
import type { ProviderFigures, ProviderName } from './providers.ts';
import type { ThreadRole } from './cpu-time.ts';
import type { CoreProjection } from './core-projection.ts';

export const RESULT_SCHEMA_VERSION = 1;

/** One timed side of a comparison; `seconds` is the best of `allSeconds`. */
export interface Timing {
  readonly seconds: number;
  /** Bytes of the data set's shard files per second, in MiB. */
  readonly MiBps: number;
  readonly allSeconds: number[];
  /** Least CPU time (user + system, every thread and process of the side) of any round. */
  readonly cpuSeconds: number;
  readonly allCpuSeconds: number[];
}

/** How much of the server's CPU its main (JavaScript) thread spent: what bounds scaling with cores. */
export interface MainThreadFigures {
  /** Main-thread CPU seconds of every round. */
  readonly mainThreadCpuSeconds: number[];
  /** Main-thread CPU / all of the server's CPU, summed over the rounds (null when no CPU was counted). */
  readonly mainThreadShare: number | null;
  /** The server's CPU seconds by thread role, summed over the rounds (absent in older results). */
  readonly threadCpuSeconds?: Readonly<Record<ThreadRole, number>>;
}

/** The main-thread share per codec (backups at every parallelism together; the restore apart). */
export interface MainThreadShareFigures {
  readonly codecs: {
    readonly name: string;
    readonly mainCpuSeconds: number;
    readonly allCpuSeconds: number;
    readonly share: number | null;
    readonly pass: boolean | null;
    /** The server's CPU seconds per GiB of shard files, by thread role and in all (absent in older results). */
    readonly cpuSecondsPerGiB?: Readonly<Record<ThreadRole | 'all', number>>;
  }[];
  readonly targetShare: number;
}

export interface BaselineFigures extends Partial<Timing> {
  /** e.g. `tar | pigz -p 2 -6` */
  readonly label: string;
  readonly available: boolean;
  /** Why it did not run, when unavailable. */
  readonly reason?: string;
  readonly outputBytes?: number;
}

export interface BackupComparison {
  /** e.g. `gzip-default@all-cores` */
  readonly name: string;
  readonly compressionLevel: string;
  readonly codec: 'gzip' | 'zstd' | 'none';
  readonly level: number;
  readonly parallelism: ParallelismLevel;
  readonly ours: Timing & MainThreadFigures & { storedBytes: number; pipelines: number; peakRssBytes: number };
  readonly baseline: BaselineFigures;
  /** baseline seconds / our seconds: above 1 means we are faster. Null when the baseline is unavailable. */
  readonly ratio: number | null;
  /** baseline CPU seconds / our CPU seconds: above 1 means we do less work. Not a target; it explains noise. */
  readonly cpuRatio: number | null;
  readonly target: number;
  readonly pass: boolean | null;
}

export interface RestoreComparison {
  readonly name: string;
  readonly parallelism: ParallelismLevel;
  /** Which backup was restored (gzip default), and its size. */
  readonly archiveBytes: number;
  readonly ours: Timing & MainThreadFigures;
  readonly baseline: BaselineFigures;
  readonly ratio: number | null;
  readonly cpuRatio: number | null;
  readonly target: number;
  readonly pass: boolean | null;
}

export interface MemoryAtSize {
  /** Bytes of shard files backed up. */
  readonly datasetBytes: number;
  readonly peakRssBytes: number;
  /** RSS of the idle server right before the backup. */
  readonly startRssBytes: number;
  /** Whether the kernel's peak counter was reset for the measurement (else polled every 10 ms). */
  readonly hwmReset: boolean;
  readonly backupSeconds: number;
  /** CPU seconds of the server (every thread) during the backup: the work, whatever else runs on the machine. */
  readonly backupCpuSeconds: number;
}

export interface MemoryFigures {
  /** `DefaultCompression` at the default CPUPercentage, a fresh server for each size. */
  readonly compressionLevel: string;
  readonly sizes: MemoryAtSize[];
  /** Peak at the largest size / peak at the smallest: 1 means flat. */
  readonly growth: number;
  /** Largest peak seen during any backup of the speed comparisons. */
  readonly speedRunsPeakRssBytes: number;
  readonly targetBytes: number;
  readonly pass: boolean;
}

/** How the backup time grows with the data set (from the memory-bound runs: a fresh server, one gzip backup per size). */
export interface ScalingFigures {
  readonly compressionLevel: string;
  readonly pipelines: number;
  /** Smallest first. */
  readonly sizes: { datasetBytes: number; seconds: number; secondsPerGiB: number; cpuSeconds: number; cpuSecondsPerGiB: number }[];
  /** Largest size / smallest (4 by default). */
  readonly sizeRatio: number;
  /** Backup time at the largest size / at the smallest: `sizeRatio` when linear. */
  readonly timeRatio: number;
  /** Seconds per GiB at the largest size / at the smallest: 1 when linear, above 1 when it grows faster. */
  readonly perGiBGrowth: number;
  /** The same for the server's CPU seconds: independent of other load on the machine. */
  readonly cpuPerGiBGrowth: number;
  readonly target: number;
  readonly pass: boolean;
}

export interface StallFigures {
  /** Per shard, from the node descriptor of the backup taken under write load. */
  readonly shards: { collection: string; shard: string; writerStallMs: number }[];
  readonly maxMs: number;
  /** Largest stall over every backup of the run (most ran without writers). */
  readonly allBackupsMaxMs: number;
  readonly targetMs: number;
  readonly pass: boolean;
  readonly lsmBench: LsmStallBench;
}

export interface WriteLoadFigures {
  /** Scheduled writes per second (object creates with a vector, POST /v1/objects). */
  readonly rate: number;
  /** Every round's idle writes together (each round idle as long as its backup took). */
  readonly idle: LatencyStats;
  /** Every round's writes during its backup together. */
  readonly duringBackup: LatencyStats;
  /** Mean backup time of the rounds. */
  readonly backupSeconds: number;
  /** Each round's own p99s (absent in results of older runs, which had one round and an idle phase of 10 s). */
  readonly rounds?: WriteImpactRound[];
  /** p99 during the backups / p99 idle, over all rounds' writes. */
  readonly p99Ratio: number;
  readonly targetRatio: number;
  readonly pass: boolean;
}

/** One target, its measured value and its verdict (null: could not be measured). */
export interface TargetCheck {
  readonly name: string;
  readonly value: number | null;
  readonly unit: 'x' | 'MiB' | 'ms' | 's' | '%';
  readonly comparison: '>=' | '<=';
  readonly target: number;
  readonly pass: boolean | null;
  readonly note?: string;
}

export interface BenchResult {
  readonly schemaVersion: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly options: {
    quick: boolean;
    sizeBytes: number;
    memorySizesBytes: readonly number[];
    rounds: number;
    seed: number;
    providerBytes: number;
  };
  readonly method: string;
  readonly machine: MachineInfo;
  readonly versions: Versions;
  readonly dataset: DatasetInfo;
  readonly parallelism: ParallelismLevel[];
  readonly backup: BackupComparison[];
  readonly restore: RestoreComparison[];
  /** The server's main-thread share of its CPU during backups and restores, per codec (absent in older results). */
  readonly mainThread?: MainThreadShareFigures;
  /** What the CPU per GiB of each thread role allows on more cores: a model, not a measurement (absent in older results). */
  readonly projection?: CoreProjection[];
  /** How the backup time grows at 1×, 2× and 4× the size (absent in results of older runs). */
  readonly scaling?: ScalingFigures;
  readonly memory: MemoryFigures;
  readonly stall: StallFigures;
  readonly writeLoad: WriteLoadFigures;
  readonly providers: Record<ProviderName, ProviderFigures>;
  /** A 3-node cluster against one node holding the same data (absent in results of older runs). */
  readonly cluster?: ClusterResult;
  /** Incremental backup after 1 % new writes against a full one (absent in results of older runs). */
  readonly incremental?: IncrementalResult;
  /** Client-side encryption against none, one pipeline (absent in results of older runs). */
  readonly encryption?: EncryptionResult;
  readonly targets: TargetCheck[];
}

/** The result of `--speed-only`: the speed comparisons and the main-thread share, nothing else. */
export type SpeedResult = Pick<
  BenchResult,
  | 'schemaVersion'
  | 'startedAt'
  | 'finishedAt'
  | 'durationSeconds'
  | 'options'
  | 'method'
  | 'machine'
  | 'versions'
  | 'dataset'
  | 'parallelism'
  | 'backup'
  | 'restore'
  | 'mainThread'
  | 'projection'
  | 'targets'
> & { readonly speedOnly: true };
