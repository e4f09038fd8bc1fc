import type { BlockBlobClient } from '@azure/storage-blob';

/**
 * Makes `blob.uploadStream` stage its blocks with `signal`. The SDK hands its
 * `abortSignal` only to the final Put Block List, so an aborted or failed
 * write would otherwise keep its in-flight blocks uploading in the
 * background: slow to release, and landing as leftovers after a
 * `deletePrefix` already swept the prefix. `uploadStream` calls
 * `this.stageBlock`, so overriding it on this one instance is enough.
 */
export function stageBlocksWith(blob: BlockBlobClient, signal: AbortSignal): BlockBlobClient {
  const stageBlock = blob.stageBlock.bind(blob);
  blob.stageBlock = async (blockId, body, contentLength, options = {}) =>
    await stageBlock(blockId, body, contentLength, { ...options, abortSignal: signal });
  return blob;
}
