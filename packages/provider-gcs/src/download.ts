import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RETRYABLE_ERR_FN_DEFAULT, type CreateReadStreamOptions, type File } from '@google-cloud/storage';
import { abortError } from '@backup/core/provider';

type RequestOptions = ReturnType<File['interceptors'][number]['request']>;

/**
 * Opens a download of `file` and resolves once GCS has answered with a
 * success, so a missing object (or a denied one) rejects here instead of
 * failing the stream later, as SDK download streams do.
 *
 * Failed attempts are retried with the client's retry settings, by us rather
 * than by the SDK: each retry the SDK makes inside a download stream leaves an
 * unhandled promise rejection behind (ERR_STREAM_UNABLE_TO_PIPE, from
 * teeny-request), which ends a Node process that runs with the default
 * `--unhandled-rejections=throw`.
 */
export async function openDownload(file: File, options: CreateReadStreamOptions, signal: AbortSignal | undefined): Promise<Readable> {
  // Interceptors may set per-request fields; `maxRetries` is one the SDK reads.
  file.interceptors.push({ request: (requestOptions) => ({ ...requestOptions, maxRetries: 0 }) as unknown as RequestOptions });
  const retry = file.storage.retryOptions;
  const maxRetries = retry.autoRetry === false ? 0 : (retry.maxRetries ?? 3);
  const isRetryable = retry.retryableErrorFn ?? RETRYABLE_ERR_FN_DEFAULT;
  const deadline = Date.now() + (retry.totalTimeout ?? 600) * 1000;
  for (let attempt = 0; ; attempt++) {
    const stream = file.createReadStream(options);
    let responded = false;
    stream.once('response', () => (responded = true));
    try {
      await answered(stream, signal);
      return stream;
    } catch (error) {
      discard(stream, responded);
      if (signal?.aborted || attempt >= maxRetries || Date.now() >= deadline || !isRetryable(error as never)) throw error;
      // The SDK's backoff: multiplier^attempt seconds plus up to 1 s of jitter, capped.
      const delay = Math.min((retry.retryDelayMultiplier ?? 2) ** attempt * 1000 + Math.random() * 1000, (retry.maxRetryDelay ?? 64) * 1000);
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), undefined, signal ? { signal } : {}).catch(() => {
        throw abortError(signal, 'read');
      });
    }
  }
}

/**
 * Ends a download the caller gave up on. Until GCS has answered, the SDK still
 * means to pipe the answer into this stream: destroying it first turns that
 * pipe into an unhandled rejection (ERR_STREAM_UNABLE_TO_PIPE), and destroying
 * it just after the answer left keep-alive connections that reset the next
 * downloads (measured: 2-7 of 100 unrelated reads). So an unanswered download
 * is drained once its answer arrives: it costs one object's bytes per read
 * cancelled this early, at most one per pipeline when a restore is cancelled.
 */
function discard(stream: Readable, responded: boolean): void {
  stream.on('error', () => {});
  if (responded) {
    stream.destroy();
    return;
  }
  stream.once('response', () => stream.resume());
}

/** Resolves when `stream` got a successful response, rejects with its error otherwise. */
async function answered(stream: Readable, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('response', onResponse);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onResponse = (response: { statusCode?: number }): void => {
      // An error answer is followed by an 'error' event carrying the ApiError.
      if ((response.statusCode ?? 0) < 300) {
        cleanup();
        resolve();
      }
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(error);
    };
    const onAbort = (): void => {
      cleanup();
      reject(abortError(signal, 'read'));
    };
    if (signal?.aborted) return onAbort();
    stream.on('response', onResponse);
    stream.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    // The SDK sends the request when the stream is first read from.
    stream.read(0);
  });
}

/** Reads a download whole, for small objects. */
export async function readWhole(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
