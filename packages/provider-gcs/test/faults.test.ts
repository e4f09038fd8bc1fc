// The exported fault suite against fake-gcs-server: every request of the
// provider crosses the fault proxy, which resets, stalls, truncates, answers
// 503 or flips bytes at one stage of a backup or restore. Uploads name their
// object in the request that opens the resumable session; that request is the
// one the upload stages are matched by.
import { afterAll, test } from 'vitest';
import { runFaultConformance, type FaultOutcome } from '@backup/conformance';
import { GcsProvider } from '../src/index.ts';
import { connection, uniquePath } from './emulator.ts';

const outcomes: FaultOutcome[] = [];
afterAll(() => {
  if (outcomes.length === 0) return;
  const longest = Math.max(...outcomes.map((outcome) => outcome.elapsedMs));
  console.log(`gcs faults: ${outcomes.length} scenarios, ${outcomes.map((o) => o.status).join(' ')}; longest ${longest} ms`);
});

runFaultConformance({
  test,
  target: () => connection().endpoint,
  createProvider: ({ endpoint, progressTimeoutMs }) => {
    const gcs = connection();
    return new GcsProvider({
      bucket: gcs.bucket,
      path: uniquePath('faults'),
      apiEndpoint: endpoint,
      useAuth: false,
      projectId: gcs.projectId,
      // The SDK's own retries (3, from 1 s doubling) would hide what the engine must do; one stays.
      retryOptions: { maxRetries: 1, retryDelayMultiplier: 1.1, maxRetryDelay: 1 },
      progressTimeoutMs,
    });
  },
  requests: {
    // A resumable upload's bytes go to its session URI, which does not name the object.
    chunkUploadBody: { method: 'PUT', url: /[?&]upload_id=/ },
  },
  // A byte damaged on the way up is refused by the backend and the upload retried: never stored, never a failed backup.
  outcomes: { 'a chunk upload has a flipped byte': ['SUCCESS'] },
  onOutcome: (outcome) => outcomes.push(outcome),
});
