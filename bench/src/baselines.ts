/**
 * The standard tools our backup is measured against, run on the same files
 * in the same run: `tar | pigz -p N`, `tar | zstd -T N`, plain `tar`, and
 * `pigz -dc | tar x` for restores. A tool that is not installed is reported
 * as unavailable, never skipped silently.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { parseBashTimes } from './cpu-time.ts';

export type BaselineTool = 'pigz' | 'zstd' | 'tar';

export interface ToolInfo {
  readonly available: boolean;
  /** First line of `--version`, or why the tool is unavailable. */
  readonly version: string;
}

export interface BaselineRun {
  readonly seconds: number;
  /** CPU seconds (user + system) of every process of the pipeline. */
  readonly cpuSeconds: number;
  readonly outputBytes: number;
}

/** Which tools are installed, with their versions. */
export function detectTools(): Record<BaselineTool, ToolInfo> {
  return {
    tar: probe('tar', ['--version']),
    pigz: probe('pigz', ['--version']),
    zstd: probe('zstd', ['--version']),
  };
}

function probe(command: string, args: string[]): ToolInfo {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    return { available: false, version: `unavailable: \`${command}\` is not installed (apt-get install -y ${command})` };
  }
  // pigz prints its version on stderr in older releases.
  const line = `${result.stdout}${result.stderr}`.split('\n').find((text) => text.trim() !== '') ?? '';
  return {
    available: true,
    version: line
      .replace(/^\*+\s*/, '')
      .replace(/\s*\*+$/, '')
      .trim(),
  };
}

/** A compression baseline: what it runs and which tool it needs. */
export interface CompressBaseline {
  readonly tool: BaselineTool;
  /** e.g. `tar | pigz -p 2 -6` */
  readonly label: string;
  /** Shell pipeline reading `$DATA` (the store folder) and writing `$OUT`. */
  readonly script: string;
}

/** `tar` of the store's collections piped into the codec at `level` with `threads` threads. */
export function compressBaseline(codec: 'gzip' | 'zstd' | 'none', level: number, threads: number): CompressBaseline {
  switch (codec) {
    case 'gzip':
      return {
        tool: 'pigz',
        label: `tar | pigz -p ${threads} -${level}`,
        script: `tar -cf - -C "$DATA" collections | pigz -p ${threads} -${level} > "$OUT"`,
      };
    case 'zstd':
      return {
        tool: 'zstd',
        label: `tar | zstd -T${threads} -${level}`,
        script: `tar -cf - -C "$DATA" collections | zstd -q -T${threads} -${level} -c > "$OUT"`,
      };
    case 'none':
      return { tool: 'tar', label: 'tar', script: `tar -cf "$OUT" -C "$DATA" collections` };
  }
}

/** Runs a compression baseline over `dataPath` into `outPath`, timed. */
export async function runCompressBaseline(baseline: CompressBaseline, dataPath: string, outPath: string): Promise<BaselineRun> {
  const { seconds, cpuSeconds } = await timedShell(baseline.script, { DATA: dataPath, OUT: outPath });
  return { seconds, cpuSeconds, outputBytes: (await fsp.stat(outPath)).size };
}

/** The restore baseline: `pigz -dc archive | tar x` into an empty folder. */
export const RESTORE_BASELINE_LABEL = 'pigz -dc | tar x';

export async function runRestoreBaseline(archivePath: string, targetDir: string): Promise<BaselineRun> {
  await fsp.mkdir(targetDir, { recursive: true });
  const { seconds, cpuSeconds } = await timedShell('pigz -dc "$IN" | tar -xf - -C "$TARGET"', { IN: archivePath, TARGET: targetDir });
  return { seconds, cpuSeconds, outputBytes: (await fsp.stat(archivePath)).size };
}

/**
 * Runs `script` under bash with pipefail and the given variables; resolves its
 * wall time and the CPU time of its processes (bash's `times`, on stderr).
 */
async function timedShell(script: string, variables: Record<string, string>): Promise<{ seconds: number; cpuSeconds: number }> {
  const started = performance.now();
  const child = spawn('bash', ['-c', `set -euo pipefail; ${script}; times >&2`], {
    env: { PATH: process.env.PATH ?? '', ...variables },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`baseline \`${script}\` failed (${code}): ${stderr.trim()}`);
  const cpuSeconds = parseBashTimes(stderr.trim().split('\n').at(-1) ?? '');
  if (cpuSeconds === undefined) throw new Error(`baseline \`${script}\`: no CPU times in ${JSON.stringify(stderr.slice(-200))}`);
  return { seconds, cpuSeconds };
}
