import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';

/**
 * Makes `blob.uploadStream` stage its blocks with `signal` and a transactional
 * MD5. The SDK hands its `abortSignal` only to the final Put Block List, so an
 * aborted or failed write would otherwise keep its in-flight blocks uploading
 * in the background: slow to release, and landing as leftovers after a
 * `deletePrefix` already swept the prefix. And it sends blocks without a
 * checksum, so a byte damaged in transit would be stored as it arrived (TLS
 * guards the wire, not proxies and buggy middleboxes); with `Content-MD5`
 * Azure refuses the block (`Md5Mismatch`, 400), which maps to IO and is
 * retried. `uploadStream` calls `this.stageBlock`, so overriding it on this
 * one instance is enough.
 */
export function stageBlocksWith(blob: BlockBlobClient, signal: AbortSignal): BlockBlobClient {
  const stageBlock = blob.stageBlock.bind(blob);
  blob.stageBlock = async (blockId, body, contentLength, options = {}) => {
    const transactionalContentMD5 = options.transactionalContentMD5 ?? (await md5Of(body));
    return await stageBlock(blockId, body, contentLength, { ...options, abortSignal: signal, transactionalContentMD5 });
  };
  return blob;
}

/**
 * The MD5 of a block body as `uploadStream` hands it over: a function that
 * opens a new stream over its buffered bytes each time (no copy), or bytes.
 */
async function md5Of(body: Parameters<BlockBlobClient['stageBlock']>[1]): Promise<Uint8Array | undefined> {
  const hash = createHash('md5');
  if (typeof body === 'function') {
    for await (const bytes of (body as () => Readable)()) hash.update(bytes as Buffer);
  } else if (typeof body === 'string' || body instanceof Uint8Array) {
    hash.update(body);
  } else if (body instanceof ArrayBuffer) {
    hash.update(new Uint8Array(body));
  } else {
    return undefined; // a one-shot stream or a Blob: cannot be read twice, sent without a checksum
  }
  return hash.digest();
}
