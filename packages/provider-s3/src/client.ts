import { S3Client } from '@aws-sdk/client-s3';
import type { ResolvedS3Options } from './options.ts';

/** Builds the SDK client for resolved options. */
export function createS3Client(options: ResolvedS3Options, progressTimeoutMs = 0): S3Client {
  return new S3Client({
    // The socket-level twin of the provider's progress deadline: the SDK gives up a silent
    // connection itself, so requests the provider does not sign (multipart completion and
    // abort) cannot hang either.
    ...(progressTimeoutMs > 0 ? { requestHandler: { connectionTimeout: progressTimeoutMs, requestTimeout: progressTimeoutMs } } : {}),
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
