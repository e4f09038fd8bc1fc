import { abortError } from '../errors.ts';

/**
 * Runs `worker` over `items` with at most `concurrency` at once. On the first
 * failure (or when `signal` fires) no new item starts, the running ones are
 * aborted through the signal they got, and once all have settled the first
 * error is thrown. Never leaves work running behind the caller's back.
 */
export async function forEachParallel<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  worker: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const forward = (): void => controller.abort(signal.reason);
  if (signal.aborted) forward();
  signal.addEventListener('abort', forward, { once: true });
  let next = 0;
  let failure: { error: unknown } | undefined;

  const lane = async (): Promise<void> => {
    while (!controller.signal.aborted && next < items.length) {
      const item = items[next++] as T;
      try {
        await worker(item, controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  } finally {
    signal.removeEventListener('abort', forward);
  }
  if (signal.aborted) throw abortError(signal);
  if (failure) throw failure.error;
}
