import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupEngine, BackupError, ErrorCode, verifyBackup, type BackupProvider, type RetryPolicy } from '@backup/core';
import type { TestFunction } from '../options.ts';
import { DirectorySource } from './directory-source.ts';
import { COPY_FAULT_SCENARIOS, runCopyFaultScenario, type CopyScenarioContext } from './copy-faults.ts';
import { ALWAYS, COLLECTION, bytes, waitFor, waitForFinal } from './scenario-helpers.ts';
import { rangeStart, startFaultProxy, type FaultProxy, type FaultRule, type RequestMatcher } from './fault-proxy.ts';

/** The stages of a backup and a restore that a fault can hit. */
export type FaultStage =
  | 'globalDescriptorWrite'
  | 'nodeDescriptorWrite'
  | 'chunkUpload'
  | 'chunkUploadBody'
  | 'multipartCompletion'
  | 'listing'
  | 'delete'
  | 'chunkRead';

/**
 * Requests of each stage as they cross the wire. The defaults find object
 * keys in the (percent-decoded) URL, which fits S3 and Azure; a provider whose
 * requests name objects elsewhere (GCS resumable sessions) overrides some.
 * `null` marks a stage the provider has no request for (no scenario then).
 */
export const DEFAULT_STAGE_REQUESTS: Readonly<Record<FaultStage, RequestMatcher | null>> = {
  globalDescriptorWrite: { method: /^(PUT|POST)$/, url: /\/backup_config\.json/ },
  nodeDescriptorWrite: { method: /^(PUT|POST)$/, url: /\/node1\/backup\.json/ },
  chunkUpload: { method: /^(PUT|POST)$/, url: /\/chunk-\d+/ },
  // The requests that carry a chunk's bytes (not the ones that open or complete an upload).
  chunkUploadBody: { method: /^(PUT|POST)$/, url: /\/chunk-\d+/, where: (request) => Number(request.headers['content-length'] ?? 0) > 64 * 1024 },
  multipartCompletion: null,
  listing: { method: 'GET', url: /[?&](list-type=2|comp=list|prefix=)/ },
  delete: { method: 'DELETE', url: /\/chunk-\d+/ },
  chunkRead: { method: 'GET', url: /\/chunk-\d+(\?|$)/ },
};

export interface FaultProviderOptions {
  /** `http://127.0.0.1:<port>` of the fault proxy: the provider's endpoint. */
  readonly endpoint: string;
  /** `127.0.0.1:<port>`, for providers configured with a host. */
  readonly host: string;
  /** Pass on as the provider's progress timeout. */
  readonly progressTimeoutMs: number;
}

export interface FaultConformanceOptions {
  /** Registers one test: vitest's or jest's `test`, or compatible. */
  readonly test: TestFunction;
  /** The backend the proxy forwards to, e.g. `http://127.0.0.1:9000`; read when a test starts. */
  readonly target: string | (() => string);
  /** A provider at a fresh place (bucket, prefix) whose requests all go to `endpoint`. */
  readonly createProvider: (options: FaultProviderOptions) => BackupProvider | Promise<BackupProvider>;
  /** Overrides of `DEFAULT_STAGE_REQUESTS`. */
  readonly requests?: Partial<Record<FaultStage, RequestMatcher | null>> | undefined;
  /**
   * What a failed write left hidden below `prefix` (uncommitted multipart
   * uploads, ...): must be empty after every scenario. Optional.
   */
  readonly leftovers?: ((provider: BackupProvider, prefix: string) => Promise<readonly string[]>) | undefined;
  /** Chunk size of the backups, MB (default 2; the data set makes 3 chunks, one file split over 2 of them). */
  readonly chunkSizeMb?: number | undefined;
  /**
   * Size of the data set's large file (default 3 MiB + 12 345 bytes). Make it
   * larger than the provider's part size, with a chunk size above it, to
   * have multipart uploads (and `multipartCompletion`) in the scenarios.
   */
  readonly largeFileBytes?: number | undefined;
  /** The provider's progress timeout in the scenarios (default 1500 ms). */
  readonly progressTimeoutMs?: number | undefined;
  /** The engine's retries in the scenarios (default 3 attempts, 50 ms base delay, 250 ms cap). */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Where the scenario's store goes (default: `BACKUP_TEST_SCRATCH`, else the OS temp dir). */
  readonly scratchDir?: string | undefined;
  /**
   * The other side of the copy scenarios (`COPY_FAULT_SCENARIOS`), which
   * never faults: e.g. a filesystem provider in `directory`. Default: another
   * `createProvider` provider, at a fresh place, straight to the backend.
   */
  readonly createCopyPeer?: ((directory: string) => BackupProvider | Promise<BackupProvider>) | undefined;
  /**
   * The outcomes a backup or restore scenario may end with, by scenario name,
   * instead of the suite's: e.g. `{ 'a chunk upload has a flipped byte':
   * ['SUCCESS'] }` for a provider whose backend refuses damaged uploads in a
   * way that is retried (the suite also accepts FAILED there).
   */
  readonly outcomes?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Called with each scenario's outcome, for reports. */
  readonly onOutcome?: ((outcome: FaultOutcome) => void) | undefined;
}

export interface FaultOutcome {
  readonly scenario: string;
  readonly status: string;
  readonly error: string;
  /** From the request (or the cancel) to the final status. */
  readonly elapsedMs: number;
}

interface Scenario {
  readonly name: string;
  readonly stage: FaultStage;
  readonly fault: Omit<FaultRule, keyof RequestMatcher>;
  readonly phase: 'backup' | 'restore' | 'cancel-backup' | 'verify';
  /** The outcomes allowed. */
  readonly expect: readonly string[];
  /** With `rangedReads`, the broken read goes on from where it broke: a ranged read from past byte 0 follows the fault. */
  readonly resumes?: true | undefined;
}

/** The scenarios, each one fault (or one kind of fault on every matching request) at one stage. */
export const FAULT_SCENARIOS: readonly Scenario[] = [
  { name: 'a status write resets once', stage: 'globalDescriptorWrite', fault: { fault: 'reset', nth: 2 }, phase: 'backup', expect: ['SUCCESS'] },
  {
    name: 'every status write after the first resets',
    stage: 'globalDescriptorWrite',
    fault: { fault: 'reset', nth: 2, times: ALWAYS },
    phase: 'backup',
    expect: ['FAILED'],
  },
  { name: 'a status write stalls', stage: 'globalDescriptorWrite', fault: { fault: 'stall', nth: 2 }, phase: 'backup', expect: ['SUCCESS'] },
  {
    name: 'the node descriptor write answers 503 always',
    stage: 'nodeDescriptorWrite',
    fault: { fault: 'status', times: ALWAYS },
    phase: 'backup',
    expect: ['FAILED'],
  },
  { name: 'a chunk upload resets', stage: 'chunkUpload', fault: { fault: 'reset' }, phase: 'backup', expect: ['SUCCESS'] },
  { name: 'a chunk upload answers 503', stage: 'chunkUpload', fault: { fault: 'status' }, phase: 'backup', expect: ['SUCCESS'] },
  // Damage in transit must be refused by the backend's integrity check (and retried), or fail the backup: never a SUCCESS that does not restore.
  { name: 'a chunk upload has a flipped byte', stage: 'chunkUploadBody', fault: { fault: 'flipRequest' }, phase: 'backup', expect: ['SUCCESS', 'FAILED'] },
  { name: 'a chunk upload stalls', stage: 'chunkUpload', fault: { fault: 'stall' }, phase: 'backup', expect: ['SUCCESS'] },
  { name: 'every chunk upload stalls', stage: 'chunkUpload', fault: { fault: 'stall', times: ALWAYS }, phase: 'backup', expect: ['FAILED'] },
  { name: 'every chunk upload resets', stage: 'chunkUpload', fault: { fault: 'reset', times: ALWAYS }, phase: 'backup', expect: ['FAILED'] },
  { name: 'a multipart completion resets', stage: 'multipartCompletion', fault: { fault: 'reset' }, phase: 'backup', expect: ['SUCCESS'] },
  {
    name: 'a cancel while every chunk upload stalls',
    stage: 'chunkUpload',
    fault: { fault: 'stall', times: ALWAYS },
    phase: 'cancel-backup',
    expect: ['CANCELED'],
  },
  { name: 'the cleanup listing stalls once after uploads fail', stage: 'listing', fault: { fault: 'stall' }, phase: 'backup', expect: ['FAILED'] },
  { name: 'a chunk read resets', stage: 'chunkRead', fault: { fault: 'reset' }, phase: 'restore', expect: ['SUCCESS'] },
  { name: 'a chunk read is truncated', stage: 'chunkRead', fault: { fault: 'truncate' }, phase: 'restore', expect: ['SUCCESS'], resumes: true },
  { name: 'a chunk read has a flipped byte', stage: 'chunkRead', fault: { fault: 'flip' }, phase: 'restore', expect: ['SUCCESS'] },
  { name: 'every chunk read has a flipped byte', stage: 'chunkRead', fault: { fault: 'flip', times: ALWAYS }, phase: 'restore', expect: ['FAILED'] },
  { name: 'every chunk read stalls', stage: 'chunkRead', fault: { fault: 'stall', times: ALWAYS }, phase: 'restore', expect: ['FAILED'] },
  { name: 'verify while every chunk read resets', stage: 'chunkRead', fault: { fault: 'reset', times: ALWAYS }, phase: 'verify', expect: ['FAILED'] },
];

/**
 * Registers one test per scenario on the caller's runner: a real engine
 * backs up a small data set (a few MiB) through `createProvider`'s provider,
 * whose every request crosses a fault proxy in front of the real backend,
 * while the proxy breaks one stage (reset, stall, truncated answer, 5xx,
 * flipped byte). Each scenario must end, within a bound, either SUCCESS with
 * the data proven by a restore, or FAILED/CANCELED with a reason, nothing of
 * the backup left in storage (but its status record) and the engine still
 * answering. The fault conformance of Elasticsearch's repository analysis,
 * for this contract.
 */
export function runFaultConformance(options: FaultConformanceOptions): void {
  const requests = { ...DEFAULT_STAGE_REQUESTS, ...options.requests };
  const progressTimeoutMs = options.progressTimeoutMs ?? 1500;
  const retry: RetryPolicy = { attempts: 3, baseDelayMs: 50, maxDelayMs: 250, ...options.retry };
  // Every attempt may wait out the deadline; then cleanup and the final write may do so too.
  const boundMs = retry.attempts * (progressTimeoutMs + retry.maxDelayMs) * 4 + 5_000;
  for (const name of Object.keys(options.outcomes ?? {})) {
    if (!FAULT_SCENARIOS.some((scenario) => scenario.name === name))
      throw new Error(`runFaultConformance: outcomes names no scenario: ${JSON.stringify(name)}`);
  }
  for (const listed of FAULT_SCENARIOS) {
    const scenario = options.outcomes?.[listed.name] ? { ...listed, expect: options.outcomes[listed.name]! } : listed;
    const matcher = requests[scenario.stage];
    if (matcher === null) continue;
    options.test(`faults: ${scenario.name}`, () => runScenario(options, scenario, matcher, { progressTimeoutMs, retry, boundMs }), boundMs * 3 + 30_000);
  }
  const { chunkRead, chunkUpload, nodeDescriptorWrite, globalDescriptorWrite } = requests;
  if (chunkRead && chunkUpload && nodeDescriptorWrite && globalDescriptorWrite) {
    const context = (): CopyScenarioContext => {
      const target = typeof options.target === 'function' ? options.target() : options.target;
      return {
        target,
        createProvider: options.createProvider,
        createPeer:
          options.createCopyPeer ?? (() => options.createProvider({ endpoint: new URL(target).origin, host: new URL(target).host, progressTimeoutMs })),
        requests: { chunkRead, chunkUpload, nodeDescriptorWrite, globalDescriptorWrite },
        chunkSizeMb: options.chunkSizeMb ?? 2,
        largeFileBytes: options.largeFileBytes ?? 3 * 1024 * 1024 + 12_345,
        scratchDir: options.scratchDir ?? process.env.BACKUP_TEST_SCRATCH ?? tmpdir(),
        progressTimeoutMs,
        retry,
        boundMs,
        onOutcome: options.onOutcome,
      };
    };
    for (const scenario of COPY_FAULT_SCENARIOS) {
      options.test(`faults: ${scenario.name}`, () => runCopyFaultScenario(context(), scenario), boundMs * 3 + 30_000);
    }
  }
}

interface Settings {
  readonly progressTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly boundMs: number;
}

async function runScenario(options: FaultConformanceOptions, scenario: Scenario, matcher: RequestMatcher, settings: Settings): Promise<void> {
  const scratch = options.scratchDir ?? process.env.BACKUP_TEST_SCRATCH ?? tmpdir();
  await mkdir(scratch, { recursive: true });
  const root = await mkdtemp(join(scratch, 'faults-'));
  const target = typeof options.target === 'function' ? options.target() : options.target;
  const proxy = await startFaultProxy(target);
  let provider: BackupProvider | undefined;
  let engine: BackupEngine | undefined;
  const id = `fault-${randomBytes(4).toString('hex')}`;
  try {
    provider = await options.createProvider({ endpoint: proxy.endpoint, host: proxy.host, progressTimeoutMs: settings.progressTimeoutMs });
    const source = new DirectorySource(join(root, 'node'));
    await source.create(COLLECTION, {
      'a.bin': bytes(150_000, 1),
      'b.bin': bytes(90_000, 2),
      'big.bin': bytes(options.largeFileBytes ?? 3 * 1024 * 1024 + 12_345, 3),
    });
    const original = await source.digest(COLLECTION);
    engine = new BackupEngine({
      source,
      providers: [provider],
      stateDir: join(root, 'state'),
      retry: settings.retry,
      logger: { warn: () => {} },
    });
    await engine.start();
    const backend = provider.name;
    const backup = async (): Promise<void> => {
      await engine!.createBackup({
        backend,
        id,
        include: [COLLECTION],
        config: { chunkSizeMb: options.chunkSizeMb ?? 2, compressionLevel: 'NoCompression' },
      });
    };
    const backupFinal = () => waitForFinal(() => engine!.backupStatus(backend, id), settings.boundMs, `backup ${id} (${scenario.name})`);

    const started = Date.now();
    let status: string;
    let error: string;
    if (scenario.phase === 'backup' || scenario.phase === 'cancel-backup') {
      const removeRule = proxy.inject({ ...matcher, ...scenario.fault });
      if (scenario.stage === 'listing') {
        // The cleanup's listing is reached only when the backup fails: make the uploads fail too.
        proxy.inject({ ...requests(options).chunkUpload!, fault: 'status', status: 500, times: ALWAYS });
      }
      await backup();
      if (scenario.phase === 'cancel-backup') {
        await waitFor(() => proxy.injected > 0, settings.boundMs, 'the stalled upload');
        const asked = Date.now();
        await engine.cancelBackup(backend, id);
        const answeredIn = Date.now() - asked;
        assert.ok(answeredIn < 1000, `the cancel answered after ${answeredIn} ms, not within a second`);
      }
      const report = await backupFinal();
      removeRule();
      status = report.status;
      error = report.error;
    } else {
      await backup();
      const stored = await backupFinal();
      assert.equal(stored.status, 'SUCCESS', `the backup before the fault failed: ${stored.error}`);
      proxy.inject({ ...matcher, ...scenario.fault });
      if (scenario.phase === 'verify') {
        // A backend that keeps failing must make verify fail, never call the chunks damaged.
        try {
          const report = await verifyBackup({ id, provider });
          status = report.ok ? 'SUCCESS' : 'FAILED';
          error = report.problems.map((problem) => problem.message).join('; ');
          assert.ok(report.ok, `verify reported problems of a sound backup: ${error}`);
        } catch (failure) {
          status = 'FAILED';
          error = failure instanceof Error ? failure.message : String(failure);
          assert.ok(!BackupError.is(failure, ErrorCode.CORRUPT), `verify called a network failure corruption: ${error}`);
        }
      } else {
        await source.drop(COLLECTION);
        await engine.restore({ backend, id, include: [COLLECTION] });
        const report = await waitForFinal(() => engine!.restoreStatus(backend, id), settings.boundMs, `restore ${id}`);
        status = report.status;
        error = report.error;
      }
    }
    const elapsedMs = Date.now() - started;
    const hits = proxy.injected;
    proxy.clear();
    assert.ok(hits > 0, `${scenario.name}: the fault hit no request (no request matched the ${scenario.stage} stage)`);
    options.onOutcome?.({ scenario: scenario.name, status, error, elapsedMs });
    assert.ok(scenario.expect.includes(status), `${scenario.name}: ended ${status} (${error}), expected ${scenario.expect.join(' or ')}`);
    assert.ok(elapsedMs <= settings.boundMs, `${scenario.name}: took ${elapsedMs} ms, the bound is ${settings.boundMs} ms`);
    if (scenario.resumes && provider.capabilities.rangedReads) {
      const faultAt = proxy.requests.findIndex((request) => request.fault !== undefined);
      const resumed = proxy.requests.slice(faultAt + 1).some((request) => rangeStart(request.range) > 0);
      assert.ok(resumed, `${scenario.name}: the broken read started over instead of going on from where it broke (no ranged read followed)`);
    }

    // The engine still answers.
    await engine.listBackups(backend);

    if (status === 'SUCCESS') {
      if (scenario.phase === 'backup') {
        await source.drop(COLLECTION);
        await engine.restore({ backend, id, include: [COLLECTION] });
        const restored = await waitForFinal(() => engine!.restoreStatus(backend, id), settings.boundMs, `restore ${id}`);
        assert.equal(restored.status, 'SUCCESS', `the restore of the backup failed: ${restored.error}`);
      }
      if (scenario.phase !== 'verify') assert.deepEqual(await source.digest(COLLECTION), original, 'the restored data differ from the original');
    } else {
      assert.ok(error.length > 0, `${scenario.name}: ${status} without a reason`);
      if (scenario.phase === 'restore') {
        assert.equal(await source.collectionExists(COLLECTION), false, 'a failed restore left the collection installed');
        assert.ok(!/failed verification/.test(error) || scenario.fault.fault === 'flip', `a network failure was reported as corruption: ${error}`);
      } else if (scenario.phase !== 'verify') {
        const left: string[] = [];
        for await (const object of provider.list(`${id}/`)) if (!object.key.endsWith('backup_config.json')) left.push(object.key);
        assert.deepEqual(left, [], `${scenario.name}: objects left after ${status}`);
        assert.deepEqual(await (options.leftovers?.(provider, `${id}/`) ?? Promise.resolve([])), [], 'hidden leftovers after the failure');
      }
    }
  } finally {
    proxy.clear();
    await engine?.close().catch(() => {});
    await provider?.deletePrefix(`${id}/`).catch(() => {});
    await provider?.close().catch(() => {});
    await proxy.close();
    await rm(root, { recursive: true, force: true });
  }
}

function requests(options: FaultConformanceOptions): Record<FaultStage, RequestMatcher | null> {
  return { ...DEFAULT_STAGE_REQUESTS, ...options.requests };
}

export type { FaultProxy };
