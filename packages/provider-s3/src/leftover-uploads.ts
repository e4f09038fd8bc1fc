import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Aborts every incomplete multipart upload whose key starts with `keyPrefix`:
 * the invisible, billed leftovers of writes whose process died mid-upload.
 * Lists all of the bucket's uploads and filters here, because MinIO treats
 * `Prefix` on ListMultipartUploads as an exact key.
 */
export async function abortLeftoverUploads(client: S3Client, bucket: string, keyPrefix: string, signal: AbortSignal | undefined): Promise<void> {
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  do {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }), {
      abortSignal: signal,
    });
    for (const upload of page.Uploads ?? []) {
      if (upload.Key === undefined || upload.UploadId === undefined || !upload.Key.startsWith(keyPrefix)) continue;
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }), {
        abortSignal: signal,
      });
    }
    const more = page.IsTruncated === true;
    KeyMarker = more ? page.NextKeyMarker : undefined;
    UploadIdMarker = more ? page.NextUploadIdMarker : undefined;
  } while (KeyMarker !== undefined);
}
