import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CreateWriteStreamOptions, File, Storage } from '@google-cloud/storage';
import nodeFetch, { type RequestInit, type Response } from 'node-fetch';

type RequestOptions = ReturnType<File['interceptors'][number]['request']>;

/** How long cancelling an abandoned upload session may take before we give up on it. */
const CANCEL_TIMEOUT_MS = 10_000;

export interface ResumableUploadOptions {
  /** Stops the upload: its in-flight request is aborted and its session cancelled. */
  readonly signal: AbortSignal;
  /** Bytes per request; 0 for one streaming request. */
  readonly chunkSize: number;
}

/** Options of every upload, resumable or not, so the benchmark can measure the same thing bare. */
export function uploadStreamOptions(chunkSize: number, resumable = true): CreateWriteStreamOptions {
  return {
    resumable,
    ...(resumable && chunkSize > 0 ? { chunkSize } : {}),
    // A fixed type: the SDK would otherwise guess one from the name, and
    // gzip-transcode "compressible" guesses.
    contentType: 'application/octet-stream',
    // The SDK sends the CRC32C of what it read, GCS refuses a mismatch.
    validation: 'crc32c',
  };
}

/**
 * Streams `body` into `file` through a resumable upload session. GCS makes
 * the object visible only when the session is finalised, so a failed or
 * aborted upload leaves the previous object as it was.
 *
 * On failure the session is cancelled (DELETE on its URI) instead of being
 * left to expire after a week, and the promise rejects with the pipeline's
 * error: the signal's reason or the body's error, never a follow-up error.
 */
export async function resumableUpload(file: File, body: Readable, options: ResumableUploadOptions): Promise<void> {
  const { signal } = options;
  abortRequestsWith(file, signal);
  const sink = file.createWriteStream(uploadStreamOptions(options.chunkSize));
  let sessionUri: string | undefined;
  sink.once('uri', (uri: string) => (sessionUri = uri));
  try {
    await pipeline(body, sink, { signal });
  } catch (error) {
    if (sessionUri !== undefined) await cancelSession(file.storage, sessionUri);
    throw error;
  }
}

/**
 * Makes every HTTP request `file` sends (session start, chunk uploads) end
 * when `signal` fires. The SDK cannot do this by itself: destroying its write
 * stream leaves the current upload request open, waiting for bytes that never
 * come, until the process exits. Interceptors are how the SDK lets callers
 * shape the request options it hands to gaxios.
 */
function abortRequestsWith(file: File, signal: AbortSignal): void {
  // node-fetch, as gaxios uses by default in Node: the global fetch would
  // copy every chunk through web streams (2 to 3 times the CPU per upload).
  const fetchImplementation = (input: string | URL, init?: RequestInit): Promise<Response> => {
    const combined = init?.signal ? AbortSignal.any([init.signal as AbortSignal, signal]) : signal;
    // node-fetch, handed a signal that already fired, destroys the request
    // body with an error nobody listens to yet: an uncaught exception.
    if (combined.aborted) return Promise.reject(combined.reason);
    // node-fetch types its own AbortSignal; it accepts the platform's.
    return nodeFetch(input, { ...init, signal: combined as RequestInit['signal'] });
  };
  file.interceptors.push({
    request: (requestOptions) => ({ ...requestOptions, fetchImplementation }) as unknown as RequestOptions,
  });
}

/** Best effort: DELETE on a session URI cancels the session (GCS answers 499). */
async function cancelSession(storage: Storage, uri: string): Promise<void> {
  const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
  try {
    if (storage.customEndpoint && storage.useAuthWithCustomEndpoint !== true) {
      // The SDK sends no credentials to custom endpoints (emulators); neither do we.
      const response = await fetch(uri, { method: 'DELETE', signal });
      await response.body?.cancel();
    } else {
      await storage.authClient.request({ url: uri, method: 'DELETE', signal, validateStatus: () => true });
    }
  } catch {
    // The session stays behind, invisible, and GCS drops it after a week.
  }
}
