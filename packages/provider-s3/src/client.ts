import { S3Client } from '@aws-sdk/client-s3';
import type { ResolvedS3Options } from './options.ts';

/** Builds the SDK client for resolved options. */
export function createS3Client(options: ResolvedS3Options): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: describeEndpoint(options) }),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    retryMode: options.retryMode,
    maxAttempts: options.maxAttempts,
    // Checksums only where S3 demands them: by default the SDK sends stream
    // bodies with aws-chunked framing and trailing checksums, which several
    // S3-compatible servers store verbatim inside the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The URL of a custom endpoint (`https://host[:port]`), or `AWS S3 (<region>)`, for messages. */
export function describeEndpoint(options: ResolvedS3Options): string {
  if (options.endpoint === undefined) return `AWS S3 (${options.region})`;
  return `${options.useSSL ? 'https' : 'http'}://${options.endpoint}`;
}
