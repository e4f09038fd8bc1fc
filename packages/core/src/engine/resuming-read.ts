/**
 * Reading a whole stored object so that a connection that breaks midway
 * costs only the bytes it lost. When the provider declares `rangedReads`, a
 * transient failure (a reset, a stall past the progress deadline, a 5xx)
 * after some bytes arrived is answered by reading the rest, from the first
 * byte not yet seen (`range.offset`), after the retry policy's delay. The
 * consumer (restore's decoder, copy, verify) sees one uninterrupted stream: a chunk of several GiB that breaks
 * at 90 % is not read again from its first byte, and whatever checks the
 * bytes (a sha256, a decompressor) keeps its state.
 *
 * Without `rangedReads`, or when a failure comes before any byte arrived, the
 * error goes to the caller, whose own retry starts the object over. Each
 * resumption must bring new bytes: `policy.attempts` failures in a row
 * without progress end it.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortError } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { isTransient, retryDelay, type RetryPolicy } from './retry.ts';

export interface ResumingReadOptions {
  readonly location?: Location | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Delays between resumptions, and how many in a row may bring nothing. */
  readonly retry: RetryPolicy;
}

/**
 * Opens `key` (at once, so that a missing object or a refusal rejects here)
 * and returns its bytes as one iterable that resumes as described above.
 */
export async function openResumingRead(provider: BackupProvider, key: string, options: ResumingReadOptions): Promise<AsyncIterable<Buffer>> {
  const first = await provider.read(key, { location: options.location, signal: options.signal });
  // Read errors surface through the iterator below, never as an uncaught 'error' event.
  first.on('error', () => {});
  return resume(provider, key, first, options);
}

async function* resume(provider: BackupProvider, key: string, first: Readable, options: ResumingReadOptions): AsyncGenerator<Buffer> {
  const { signal, retry } = options;
  const resumable = provider.capabilities.rangedReads;
  let stream: Readable | undefined = first;
  let offset = 0;
  let fruitless = 0;
  try {
    for (;;) {
      const before = offset;
      try {
        if (stream === undefined) {
          stream = await provider.read(key, { location: options.location, signal, range: { offset } });
          stream.on('error', () => {});
        }
        for await (const bytes of stream as AsyncIterable<Buffer>) {
          offset += bytes.byteLength;
          yield bytes;
        }
        return;
      } catch (error) {
        if (signal?.aborted) throw abortError(signal, `read of ${key}`);
        if (!resumable || !isTransient(error) || offset === 0) throw error;
        fruitless = offset > before ? 1 : fruitless + 1;
        if (fruitless >= retry.attempts) throw error;
        try {
          await sleep(retryDelay(retry, fruitless), undefined, signal ? { signal } : undefined);
        } catch {
          throw abortError(signal, `read of ${key}`);
        }
      } finally {
        stream?.destroy();
        stream = undefined;
      }
    }
  } finally {
    first.destroy();
  }
}
