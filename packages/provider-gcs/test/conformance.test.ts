// The whole exported conformance suite, against fake-gcs-server.
import { test } from 'vitest';
import { runProviderConformance } from '@backup/conformance';
import { backupModule, type GcsProvider } from '../src/index.ts';
import { connection, emulatorEnv, emulatorProvider, rawObjects, uniquePath } from './emulator.ts';

// A small page size, so that listing crosses pages with a handful of objects.
const factory = () => emulatorProvider({ listPageSize: 7 });

runProviderConformance({
  test,
  factory,
  capabilities: factory().capabilities,
  alternateLocation: () => ({ bucket: connection().alternateBucket, path: uniquePath('override') }),
  module: { backupModule, env: () => emulatorEnv() },
  // Every object under the instance's root. Resumable sessions are not objects
  // and fake-gcs-server cannot list them: test/uploads.test.ts proves that an
  // aborted write cancels its session.
  inspect: async (provider) => {
    const gcs = provider as GcsProvider;
    return await rawObjects(gcs.bucket, gcs.root);
  },
});
