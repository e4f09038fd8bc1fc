/**
 * A steady write load on the server: object creates at a fixed rate
 * (open loop: requests start on schedule whether or not earlier ones have
 * answered, up to a cap in flight), bounded in count and time, to 127.0.0.1
 * only. Reports latency percentiles and errors, so the cost of a running
 * backup on writers can be read off against an idle server.
 */
import { COLLECTIONS, makeObject } from './dataset.ts';
import { Prng } from './prng.ts';

export interface WriteLoadOptions {
  /** Server base URL; must be on the loopback interface. */
  readonly url: string;
  /** Writes per second. */
  readonly rate: number;
  /** Stop scheduling after this long... */
  readonly maxMs: number;
  /** ...or after this many writes... */
  readonly maxRequests: number;
  /** ...or once this promise settles (e.g. a backup ended). */
  readonly until?: Promise<unknown>;
  /** Distinct per load run, so objects never collide. */
  readonly seed: number;
  /** Receives every successful write's latency (ms), to pool several runs into one set of percentiles. */
  readonly latenciesMs?: number[];
}

export interface LatencyStats {
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly seconds: number;
  /** Writes per second actually completed. */
  readonly rate: number;
  /** First few error messages, for the report. */
  readonly sampleErrors: string[];
}

/** Writes in flight at most; beyond it the schedule slips (and latency shows it). */
const MAX_IN_FLIGHT = 64;

export async function runWriteLoad(options: WriteLoadOptions): Promise<LatencyStats> {
  const host = new URL(options.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') throw new Error(`write load only targets the loopback interface, not ${host}`);
  let stop = false;
  void options.until?.finally(() => (stop = true)).catch(() => undefined);
  const latencies: number[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const interval = 1000 / options.rate;

  for (let i = 0; i < options.maxRequests && !stop; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (stop || performance.now() - started > options.maxMs) break;
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const request = writeOne(options.url, options.seed, i).then(
      (ms) => {
        latencies.push(ms);
        options.latenciesMs?.push(ms);
      },
      (error: unknown) => {
        errorCount++;
        if (errors.length < 5) errors.push(error instanceof Error ? error.message : String(error));
      },
    );
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  return latencyStats(latencies, errorCount, (performance.now() - started) / 1000, errors);
}

/** Percentiles of `latenciesMs` (sorted in place) with the errors and the time they took. */
export function latencyStats(latenciesMs: number[], errors: number, seconds: number, sampleErrors: string[]): LatencyStats {
  latenciesMs.sort((a, b) => a - b);
  return {
    requests: latenciesMs.length + errors,
    errors,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    maxMs: latenciesMs.at(-1) ?? 0,
    seconds,
    rate: latenciesMs.length / seconds,
    sampleErrors: sampleErrors.slice(0, 5),
  };
}

/** Creates object `index` of this load (rotating over the collections); resolves its latency in ms. */
async function writeOne(url: string, seed: number, index: number): Promise<number> {
  const plan = COLLECTIONS[index % COLLECTIONS.length]!;
  const object = makeObject(plan, new Prng((seed * 1_000_003 + index) >>> 0));
  const body = JSON.stringify({
    class: plan.schema.class,
    id: object.id,
    properties: object.properties,
    vector: Array.from(object.vector),
    ...(plan.tenants ? { tenant: plan.tenants[index % plan.tenants.length] } : {}),
  });
  const started = performance.now();
  const response = await fetch(`${url}/v1/objects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`POST /v1/objects answered ${response.status}: ${text.slice(0, 200)}`);
  return ms;
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
