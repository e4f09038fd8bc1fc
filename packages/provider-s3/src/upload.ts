import { PassThrough, type Readable } from 'node:stream';
import { AbortMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3_LIMITS } from './options.ts';

export interface StreamUploadOptions {
  readonly bucket: string;
  readonly key: string;
  readonly body: Readable;
  readonly partSize: number;
  readonly queueSize: number;
  /** Expected size, if known: grows the part size so the object fits in 10 000 parts. */
  readonly sizeHint: number | undefined;
  /** Fires when the caller aborts or the body fails: in-flight part uploads stop at once. */
  readonly signal: AbortSignal;
}

/**
 * Streams `body` of unknown length into one object with lib-storage's
 * `Upload`: PutObject when it fits in one part, else a multipart upload of
 * `partSize` parts, `queueSize` at a time. A failed or aborted upload is
 * aborted on the server (no parts left behind) before this rejects, and it
 * rejects with the upload's own error, never with a cleanup error.
 */
export async function uploadStream(client: S3Client, options: StreamUploadOptions): Promise<void> {
  const { partSize, queueSize } = partPlan(options);
  const body = untilAborted(options.body, options.signal);
  const upload = new Upload({
    client: withSignal(client, options.signal),
    params: { Bucket: options.bucket, Key: options.key, Body: body },
    partSize,
    queueSize,
    // We abort the multipart upload ourselves, once every part request has
    // settled: lib-storage would let a failing cleanup replace the real error.
    leavePartsOnError: true,
  });
  try {
    await upload.done();
  } catch (error) {
    if (upload.uploadId !== undefined) {
      const abort = new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: upload.uploadId });
      // Best effort: if this fails too, a lifecycle rule (AbortIncompleteMultipartUpload) is the backstop.
      await client.send(abort).catch(() => {});
    }
    throw error;
  } finally {
    // Upload stops reading early when a part fails: let go of the source.
    if (!body.destroyed) body.destroy();
  }
}

/**
 * The part size and queue for one write. With a size hint too large for
 * 10 000 parts of the configured size, parts grow (whole MiB) and the queue
 * shrinks so the bytes held in memory stay near `partSize × queueSize`.
 */
export function partPlan(options: { partSize: number; queueSize: number; sizeHint: number | undefined }): {
  partSize: number;
  queueSize: number;
} {
  const hint = options.sizeHint;
  if (hint === undefined || !Number.isFinite(hint) || hint <= options.partSize * S3_LIMITS.maxParts) {
    return { partSize: options.partSize, queueSize: options.queueSize };
  }
  const MiB = 1024 * 1024;
  const needed = Math.ceil(hint / S3_LIMITS.maxParts / MiB) * MiB;
  const partSize = Math.min(needed, S3_LIMITS.maxPartSize);
  const queueSize = Math.max(1, Math.floor((options.partSize * options.queueSize) / partSize));
  return { partSize, queueSize };
}

/**
 * `body` relayed through a stream that fails with the signal's reason the
 * moment it fires. Destroying `body` itself is not enough: a Readable over an
 * async generator reports its destruction only once the generator resumes,
 * and a stalled source may never resume, so `Upload` would wait forever.
 */
function untilAborted(body: Readable, signal: AbortSignal): Readable {
  const relay = new PassThrough({ highWaterMark: 256 * 1024 });
  const onAbort = (): void => {
    relay.destroy(signal.reason instanceof Error ? signal.reason : new Error('write aborted', { cause: signal.reason }));
  };
  body.once('error', (error) => relay.destroy(error));
  relay.once('close', () => signal.removeEventListener('abort', onAbort));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  body.pipe(relay);
  return relay;
}

/**
 * The client as `Upload` sees it, with `signal` on the requests that move
 * data. `Upload` sends its requests without a signal, so on abort it would
 * finish every part already in flight before giving up. Creating, completing
 * and aborting the multipart upload stay unsignalled: cutting those short
 * could leave an upload the server knows of but we do not.
 */
function withSignal(client: S3Client, signal: AbortSignal): S3Client {
  const scoped = Object.create(client) as S3Client;
  const send = client.send.bind(client) as (command: unknown, options?: object) => Promise<unknown>;
  Object.defineProperty(scoped, 'send', {
    value: (command: unknown, options?: object) => send(command, isTransfer(command) ? { ...options, abortSignal: signal } : options),
  });
  return scoped;
}

function isTransfer(command: unknown): boolean {
  return command instanceof UploadPartCommand || command instanceof PutObjectCommand;
}
