import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningEmulator {
  readonly name: string;
  /** Base URL, e.g. `http://127.0.0.1:9000`. */
  readonly endpoint: string;
  /** Where the emulator's output goes, for diagnosis. */
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly endpoint: string;
  /** Resolves true once the emulator answers. Polled until `timeoutMs`. */
  readonly isReady: () => Promise<boolean>;
  readonly timeoutMs?: number;
  /** The emulator's data folder (from `scratchDir`): removed when it stops or fails to start. */
  readonly dataDir?: string;
}

/** A fresh scratch directory for one emulator's data (tmpfs where there is one). */
export function scratchDir(name: string): string {
  const base = process.env.BACKUP_TEST_SCRATCH ?? (process.platform === 'linux' ? '/dev/shm' : tmpdir());
  return mkdtempSync(join(base, `emulator-${name}-`));
}

/**
 * Starts an emulator process and waits until it answers. Fails loudly (never
 * skips) when it exits early or does not become ready in time, quoting its log.
 */
export async function launch(options: LaunchOptions): Promise<RunningEmulator> {
  const logDir = mkdtempSync(join(tmpdir(), `${options.name}-log-`));
  const logFile = join(logDir, 'output.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(options.command, [...options.args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (error) => (exited = `failed to start: ${error.message}`));

  const stop = async (): Promise<void> => {
    // A child that never spawned (no pid) or already exited has nothing to wait for.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    log.end();
    if (options.dataDir !== undefined) rmSync(options.dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited) break;
    if (await options.isReady().catch(() => false)) {
      return { name: options.name, endpoint: options.endpoint, logFile, stop };
    }
    await sleep(100);
  }
  await stop();
  const { readFileSync } = await import('node:fs');
  const output = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
  throw new Error(`${options.name} ${exited ?? 'did not become ready in time'} (${options.command}); last output:\n${output}`);
}

/** True if an HTTP GET of `url` gets any answer (any status). */
export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.body?.cancel();
  return true;
}
