// Faults while copying a finished backup (`copyBackup`): the provider under
// test is the copy's source (its chunk reads break) or its destination (its
// chunk and descriptor writes break); the other side is a peer that never
// faults. A copy must end done and verifiable, or fail with a reason within
// the bound, leaving nothing that looks like a complete backup, the source
// untouched and a resume that succeeds once the fault is gone.
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BackupEngine, BackupError, ErrorCode, copyBackup, verifyBackup, type BackupProvider, type RetryPolicy } from '@backup/core';
import { DirectorySource } from './directory-source.ts';
import { rangeStart, startFaultProxy, type FaultRule, type RequestMatcher } from './fault-proxy.ts';
import { ALWAYS, COLLECTION, bytes, waitForFinal } from './scenario-helpers.ts';

/** Which side of the copy the provider under test is, and which of its requests break. */
export type CopyFaultStage = 'sourceChunkRead' | 'destinationChunkWrite' | 'destinationNodeDescriptorWrite' | 'destinationGlobalDescriptorWrite';

export interface CopyFaultScenario {
  readonly name: string;
  readonly stage: CopyFaultStage;
  readonly fault: Omit<FaultRule, keyof RequestMatcher>;
  /** `DONE`: the copy completes (a transient fault retried); `FAILED`: it rejects; `CORRUPT`: it rejects CORRUPT naming a chunk. */
  readonly expect: 'DONE' | 'FAILED' | 'CORRUPT';
  /** With `rangedReads`, the broken read goes on from where it broke: a ranged read from past byte 0 follows the fault. */
  readonly resumes?: true | undefined;
}

export const COPY_FAULT_SCENARIOS: readonly CopyFaultScenario[] = [
  { name: 'copy: a source chunk read resets', stage: 'sourceChunkRead', fault: { fault: 'reset' }, expect: 'DONE' },
  { name: 'copy: a source chunk read stalls', stage: 'sourceChunkRead', fault: { fault: 'stall' }, expect: 'DONE' },
  { name: 'copy: a source chunk read is truncated', stage: 'sourceChunkRead', fault: { fault: 'truncate' }, expect: 'DONE', resumes: true },
  { name: 'copy: a source chunk read answers 503', stage: 'sourceChunkRead', fault: { fault: 'status' }, expect: 'DONE' },
  { name: 'copy: a source chunk read has a flipped byte', stage: 'sourceChunkRead', fault: { fault: 'flip' }, expect: 'DONE' },
  { name: 'copy: every source chunk read has a flipped byte', stage: 'sourceChunkRead', fault: { fault: 'flip', times: ALWAYS }, expect: 'CORRUPT' },
  { name: 'copy: every source chunk read resets', stage: 'sourceChunkRead', fault: { fault: 'reset', times: ALWAYS }, expect: 'FAILED' },
  { name: 'copy: a destination chunk write resets', stage: 'destinationChunkWrite', fault: { fault: 'reset' }, expect: 'DONE' },
  { name: 'copy: a destination chunk write stalls', stage: 'destinationChunkWrite', fault: { fault: 'stall' }, expect: 'DONE' },
  { name: 'copy: every destination chunk write answers 503', stage: 'destinationChunkWrite', fault: { fault: 'status', times: ALWAYS }, expect: 'FAILED' },
  { name: 'copy: the destination node descriptor write stalls', stage: 'destinationNodeDescriptorWrite', fault: { fault: 'stall' }, expect: 'DONE' },
  { name: 'copy: the destination global descriptor write resets', stage: 'destinationGlobalDescriptorWrite', fault: { fault: 'reset' }, expect: 'DONE' },
  {
    name: 'copy: every destination global descriptor write answers 503',
    stage: 'destinationGlobalDescriptorWrite',
    fault: { fault: 'status', times: ALWAYS },
    expect: 'FAILED',
  },
];

/** The requests of the stages, from the backup stages' matchers. */
export interface CopyStageRequests {
  readonly chunkRead: RequestMatcher;
  readonly chunkUpload: RequestMatcher;
  readonly nodeDescriptorWrite: RequestMatcher;
  readonly globalDescriptorWrite: RequestMatcher;
}

export interface CopyScenarioContext {
  readonly target: string;
  /** The provider under test, its requests through `endpoint`. */
  readonly createProvider: (endpoint: { endpoint: string; host: string; progressTimeoutMs: number }) => BackupProvider | Promise<BackupProvider>;
  /** The other side of the copy, which never faults. */
  readonly createPeer: (directory: string) => BackupProvider | Promise<BackupProvider>;
  readonly requests: CopyStageRequests;
  readonly chunkSizeMb: number;
  readonly largeFileBytes: number;
  readonly scratchDir: string;
  readonly progressTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly boundMs: number;
  readonly onOutcome?: ((outcome: { scenario: string; status: string; error: string; elapsedMs: number }) => void) | undefined;
}

function matcherOf(stage: CopyFaultStage, requests: CopyStageRequests): RequestMatcher {
  switch (stage) {
    case 'sourceChunkRead':
      return requests.chunkRead;
    case 'destinationChunkWrite':
      return requests.chunkUpload;
    case 'destinationNodeDescriptorWrite':
      return requests.nodeDescriptorWrite;
    case 'destinationGlobalDescriptorWrite':
      return requests.globalDescriptorWrite;
  }
}

/** Keys and sizes below `<id>/`, sorted. */
async function inventory(provider: BackupProvider, id: string): Promise<string[]> {
  const out: string[] = [];
  for await (const object of provider.list(`${id}/`)) out.push(`${object.key} ${object.size}`);
  return out.sort();
}

/** The status of the global descriptor at `provider`, or `undefined` if there is none. */
async function descriptorStatus(provider: BackupProvider, id: string): Promise<string | undefined> {
  try {
    const descriptor = JSON.parse((await provider.get(`${id}/backup_config.json`)).toString('utf8')) as { status?: unknown };
    return String(descriptor.status);
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return undefined;
    throw error;
  }
}

export async function runCopyFaultScenario(context: CopyScenarioContext, scenario: CopyFaultScenario): Promise<void> {
  await mkdir(context.scratchDir, { recursive: true });
  const root = await mkdtemp(join(context.scratchDir, 'copy-faults-'));
  const proxy = await startFaultProxy(context.target);
  const id = `copy-fault-${randomBytes(4).toString('hex')}`;
  let faulted: BackupProvider | undefined;
  let peer: BackupProvider | undefined;
  let engine: BackupEngine | undefined;
  try {
    faulted = await context.createProvider({ endpoint: proxy.endpoint, host: proxy.host, progressTimeoutMs: context.progressTimeoutMs });
    peer = await context.createPeer(join(root, 'peer'));
    const faultedIsSource = scenario.stage === 'sourceChunkRead';
    const from = faultedIsSource ? faulted : peer;
    const to = faultedIsSource ? peer : faulted;

    // The backup to copy, made (without faults) where the copy reads it.
    const source = new DirectorySource(join(root, 'node'));
    await source.create(COLLECTION, {
      'a.bin': bytes(150_000, 1),
      'b.bin': bytes(90_000, 2),
      'big.bin': bytes(context.largeFileBytes, 3),
    });
    engine = new BackupEngine({ source, providers: [from], stateDir: join(root, 'state'), retry: context.retry, logger: { warn: () => {} } });
    await engine.start();
    await engine.createBackup({
      backend: from.name,
      id,
      include: [COLLECTION],
      config: { chunkSizeMb: context.chunkSizeMb, compressionLevel: 'NoCompression' },
    });
    const made = await waitForFinal(() => engine!.backupStatus(from.name, id), context.boundMs, `backup ${id}`);
    assert.equal(made.status, 'SUCCESS', `the backup to copy failed: ${made.error}`);
    const sourceBefore = await inventory(from, id);

    proxy.inject({ ...matcherOf(scenario.stage, context.requests), ...scenario.fault });
    const started = Date.now();
    let failure: unknown;
    try {
      await copyBackup({ id, from: { provider: from }, to: { provider: to }, retry: context.retry });
    } catch (error) {
      failure = error;
    }
    const elapsedMs = Date.now() - started;
    const hits = proxy.injected;
    proxy.clear();
    const error = failure === undefined ? '' : failure instanceof Error ? failure.message : String(failure);
    const status = failure === undefined ? 'DONE' : BackupError.is(failure, ErrorCode.CORRUPT) ? 'CORRUPT' : 'FAILED';
    context.onOutcome?.({ scenario: scenario.name, status, error, elapsedMs });
    assert.ok(hits > 0, `${scenario.name}: the fault hit no request`);
    assert.equal(status, scenario.expect, `${scenario.name}: the copy ended ${status} (${error})`);
    assert.ok(elapsedMs <= context.boundMs, `${scenario.name}: took ${elapsedMs} ms, the bound is ${context.boundMs} ms`);
    if (scenario.resumes && faulted.capabilities.rangedReads) {
      const faultAt = proxy.requests.findIndex((request) => request.fault !== undefined);
      const resumed = proxy.requests.slice(faultAt + 1).some((request) => rangeStart(request.range) > 0);
      assert.ok(resumed, `${scenario.name}: the broken read started over instead of going on from where it broke (no ranged read followed)`);
    }

    if (failure !== undefined) {
      assert.ok(BackupError.is(failure), `${scenario.name}: not a BackupError: ${error}`);
      assert.ok(error.length > 0, `${scenario.name}: failed without a reason`);
      if (scenario.expect === 'CORRUPT') {
        const chunks = (await inventory(from, id)).map((line) => line.split(' ')[0]!).filter((key) => /\/chunk-\d+$/.test(key));
        const named = chunks.filter((key) => error.includes(key));
        assert.ok(named.length > 0, `the CORRUPT error names no chunk: ${error}`);
        const copied = (await inventory(to, id)).map((line) => line.split(' ')[0]);
        for (const key of named) assert.ok(!copied.includes(key), `the damaged chunk ${key} was copied`);
      } else {
        assert.ok(!/failed verification/.test(error), `a network failure was reported as corruption: ${error}`);
      }
      assert.notEqual(await descriptorStatus(to, id), 'SUCCESS', 'a failed copy left a complete-looking backup at the destination');
      // The fault is gone: the same copy resumes and completes.
      await copyBackup({ id, from: { provider: from }, to: { provider: to }, retry: context.retry });
    }
    const verified = await verifyBackup({ id, provider: to });
    assert.deepEqual(verified.problems, [], `the copy at the destination has problems`);
    assert.equal(verified.ok, true);
    assert.equal(await descriptorStatus(to, id), 'SUCCESS');
    assert.deepEqual(await inventory(from, id), sourceBefore, 'the copy changed its source');
  } finally {
    proxy.clear();
    await engine?.close().catch(() => {});
    for (const provider of [faulted, peer]) {
      await provider?.deletePrefix(`${id}/`).catch(() => {});
      await provider?.close().catch(() => {});
    }
    await proxy.close();
    await rm(root, { recursive: true, force: true });
  }
}
