// The exported fault suite against MinIO: every request of the provider
// crosses the fault proxy, which resets, stalls, truncates, answers 503 or
// flips bytes at one stage of a backup or restore. Chunks of ~6 MiB over
// 5 MiB parts, so multipart completion is one of the stages.
import { afterAll, test } from 'vitest';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { runFaultConformance, type FaultOutcome } from '@backup/conformance';
import { S3Provider } from '../src/index.ts';
import { connection, uniquePath } from './minio.ts';

const outcomes: FaultOutcome[] = [];
afterAll(() => {
  if (outcomes.length === 0) return;
  const longest = Math.max(...outcomes.map((outcome) => outcome.elapsedMs));
  console.log(`s3 faults: ${outcomes.length} scenarios, ${outcomes.map((o) => `${o.status}`).join(' ')}; longest ${longest} ms`);
});

runFaultConformance({
  test,
  target: () => `http://${connection().endpoint}`,
  createProvider: ({ host, progressTimeoutMs }) => {
    const s3 = connection();
    return new S3Provider({
      bucket: s3.bucket,
      path: uniquePath('faults'),
      endpoint: host,
      useSSL: false,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      partSize: 5 * 1024 * 1024,
      // The SDK's own retries would hide what the engine must do.
      maxAttempts: 2,
      progressTimeoutMs,
    });
  },
  chunkSizeMb: 8,
  largeFileBytes: 6 * 1024 * 1024 + 12_345,
  requests: {
    multipartCompletion: { method: 'POST', url: /[?&]uploadId=/ },
  },
  leftovers: async (provider, prefix) => {
    const s3 = provider as S3Provider;
    const answer = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.options.bucket, Prefix: `${s3.options.path}/${prefix}` }));
    return (answer.Uploads ?? []).map((upload) => upload.Key ?? '');
  },
  // A byte damaged on the way up is refused by the backend and the upload retried: never stored, never a failed backup.
  outcomes: { 'a chunk upload has a flipped byte': ['SUCCESS'] },
  onOutcome: (outcome) => outcomes.push(outcome),
});
