/**
 * Crash safety: a child process writes and reports each acknowledged write
 * on stdout; it is killed with SIGKILL at a random moment (mid-flush,
 * mid-compaction, mid-fsync...). Reopening must then find every acknowledged
 * write, no acknowledged delete, and nothing corrupt. Repeated on the same
 * store, so each trial also recovers on top of earlier recoveries.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { prng, scratchDir } from './scratch.ts';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
const TRIALS = 16;
/** How long one writer process may take, start to kill to exit, before its trial fails (a loaded machine is slow, not stuck). */
const TRIAL_DEADLINE_MS = 60_000;

interface TrialLog {
  acknowledgedPuts: Set<string>;
  acknowledgedDeletes: Set<string>;
  /** Deletes started but not acknowledged: either outcome is right. */
  startedDeletes: Set<string>;
}

/**
 * Runs the writer until `killAfterMs` past its first acknowledgement, then SIGKILLs it.
 * Rejects, after killing it, if that has not happened within {@link TRIAL_DEADLINE_MS}.
 */
function runAndKill(storePath: string, trial: number, killAfterMs: number): Promise<TrialLog> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@backup/source', WRITER, storePath, String(trial)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: TrialLog = { acknowledgedPuts: new Set(), acknowledgedDeletes: new Set(), startedDeletes: new Set() };
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let overdue = false;
    const deadline = setTimeout(() => {
      overdue = true;
      child.kill('SIGKILL');
    }, TRIAL_DEADLINE_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!; // a line cut by the kill was never fully reported
      for (const line of lines) {
        const [kind, id] = line.split(' ');
        if (kind === 'put') log.acknowledgedPuts.add(id!);
        else if (kind === 'del') log.acknowledgedDeletes.add(id!);
        else if (kind === 'deleting') log.startedDeletes.add(id!);
        if (kind === 'put' && timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      clearTimeout(deadline);
      if (overdue) reject(new Error(`trial ${trial}: the writer was not killed within ${TRIAL_DEADLINE_MS} ms:\n${stderr}`));
      else if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code ?? signal} before it was killed:\n${stderr}`));
      else resolve(log);
    });
  });
}

describe('crash recovery', () => {
  // A fixed number of trials, each bounded by its own deadline: a loaded machine makes the
  // test slower, never shorter, and never fails it for being slow.
  test(`every acknowledged write survives SIGKILL (${TRIALS} trials)`, { timeout: (TRIALS + 1) * TRIAL_DEADLINE_MS }, async () => {
    const storePath = scratchDir('crash');
    const random = prng(42);
    const started = Date.now();
    let trials = 0;
    let totalAcknowledged = 0;
    let tornTails = 0;
    let totalObjects = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const log = await runAndKill(storePath, trial, 30 + Math.floor(random() * 400));
      expect(log.acknowledgedPuts.size, `trial ${trial} acknowledged something`).toBeGreaterThan(0);

      const store = await Store.open({ path: storePath });
      const collection = store.getCollection('Crash')!;
      for (const id of log.acknowledgedPuts) {
        const object = await collection.get(id);
        if (log.acknowledgedDeletes.has(id)) {
          expect(object, `${id} was deleted`).toBeUndefined();
        } else if (!(log.startedDeletes.has(id) && object === undefined)) {
          expect(object?.properties.value, `${id} acknowledged in trial ${trial}`).toBe(`${id}|${'x'.repeat(200 + (id.length % 50))}`);
        }
      }
      // Writers are sequential, so what survived of each loop is a gap-free prefix (deletes aside).
      const prefix = `t${trial}-`;
      const bySeq = new Map<string, number[]>();
      let survivors = 0;
      for (let after: string | undefined = prefix; after !== undefined; ) {
        const page = await collection.scan({ after, limit: 1000 });
        after = undefined;
        for (const object of page) {
          if (!object.id.startsWith(prefix)) break;
          const match = /^t\d+-w(\d+)-(\d+)$/.exec(object.id);
          expect(match, `unexpected id ${object.id}`).not.toBeNull();
          bySeq.set(match![1]!, [...(bySeq.get(match![1]!) ?? []), Number(match![2])]);
          expect(object.properties.value).toBe(`${object.id}|${'x'.repeat(200 + (object.id.length % 50))}`);
          survivors++;
          after = object.id;
        }
        if (page.length < 1000) after = undefined;
      }
      for (const [loop, seqs] of bySeq) {
        if (loop === '0') continue; // loop 0 deletes some of its own writes
        expect(seqs, `loop ${loop} of trial ${trial} has no gaps`).toEqual(seqs.map((_, i) => i));
      }
      expect(survivors).toBeGreaterThanOrEqual(log.acknowledgedPuts.size - log.acknowledgedDeletes.size - log.startedDeletes.size);
      tornTails += store.recovery.tornWalTails;
      totalObjects = await collection.count();
      if (trial % 5 === 4) {
        // The kept count (manifest plus WAL replay) agrees with the objects actually there.
        let scanned = 0;
        // biome-ignore lint/suspicious/noAssignInExpressions: page through the collection in the loop header
        for (let after: string | undefined, page; (page = await collection.scan({ after, limit: 1000 })).length > 0; after = page.at(-1)!.id)
          scanned += page.length;
        expect(totalObjects, `count after trial ${trial}`).toBe(scanned);
      }
      await store.close();
      totalAcknowledged += log.acknowledgedPuts.size;
      trials++;
    }
    console.info(
      `crash test: ${trials} trials, ${totalAcknowledged} acknowledged puts, ${totalObjects} objects, ${tornTails} torn WAL tails tolerated, ${Date.now() - started} ms`,
    );
    expect(trials).toBe(TRIALS);
    expect(totalAcknowledged).toBeGreaterThan(trials);
  });
});
