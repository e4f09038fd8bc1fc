// The whole exported conformance suite, against MinIO: each instance gets its
// own prefix in the test bucket, a page size of 7 so listing pages, and S3's
// smallest part size so the suite's 6 MiB aborts happen mid-multipart-upload.
import { afterAll, test } from 'vitest';
import { runProviderConformance } from '@backup/conformance';
import { backupModule, type S3Provider } from '../src/index.ts';
import { connection, minioEnv, minioProvider, rawClient, rawEntries, uniquePath } from './minio.ts';

const client = rawClient();
afterAll(() => client.destroy());

const factory = () => minioProvider({ listPageSize: 7, partSize: 5 * 1024 * 1024 });

runProviderConformance({
  test,
  factory,
  capabilities: factory().capabilities,
  alternateLocation: () => ({ bucket: connection().alternateBucket, path: uniquePath('override') }),
  module: { backupModule, env: () => minioEnv() },
  // Objects and unfinished multipart uploads under the instance's prefix.
  inspect: async (provider) => {
    const { bucket, path } = (provider as S3Provider).options;
    return await rawEntries(client, bucket, `${path}/`);
  },
});
