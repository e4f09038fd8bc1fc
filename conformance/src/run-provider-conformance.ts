import type { ProviderCapabilities } from '@backup/core';
import { abortTests } from './groups/abort.ts';
import { concurrencyTests } from './groups/concurrency.ts';
import { copyTests } from './groups/copy.ts';
import { deletionTests } from './groups/deletion.ts';
import { initializeTests } from './groups/initialize.ts';
import { isolationTests } from './groups/isolation.ts';
import { keyTests } from './groups/keys.ts';
import { listingTests } from './groups/listing.ts';
import { locationTests } from './groups/locations.ts';
import { manifestTests } from './groups/manifest.ts';
import { progressTests } from './groups/progress.ts';
import { rangeTests } from './groups/ranges.ts';
import { roundTripTests } from './groups/round-trip.ts';
import { streamingTests } from './groups/streaming.ts';
import { workerEntryTests } from './groups/worker-entry.ts';
import type { ProviderConformanceOptions } from './options.ts';

export interface RunProviderConformanceOptions extends ProviderConformanceOptions {
  /**
   * The manifest of the provider under test. Tests are registered before any
   * instance exists, so the manifest is passed here; the suite checks that
   * every instance from `factory()` declares the same.
   */
  readonly capabilities: ProviderCapabilities;
}

/**
 * Registers every test a provider must pass on the caller's runner. Only the
 * capability manifest decides which tests apply.
 */
export function runProviderConformance(options: RunProviderConformanceOptions): void {
  const { capabilities } = options;
  const checked: ProviderConformanceOptions = {
    ...options,
    factory: async () => {
      const provider = await options.factory();
      if (provider.capabilities.rangedReads !== capabilities.rangedReads || provider.capabilities.abortCleansUp !== capabilities.abortCleansUp) {
        // The manifest group names any other difference; these two decide which tests were registered.
        await provider.close();
        throw new Error('runProviderConformance: factory() returned a provider whose capabilities differ from options.capabilities');
      }
      return provider;
    },
  };
  manifestTests(checked, capabilities);
  roundTripTests(checked);
  streamingTests(checked);
  rangeTests(checked, capabilities);
  listingTests(checked);
  deletionTests(checked);
  abortTests(checked, capabilities);
  concurrencyTests(checked);
  keyTests(checked);
  locationTests(checked);
  copyTests(checked, capabilities);
  isolationTests(checked);
  progressTests(checked);
  initializeTests(checked);
  workerEntryTests(checked);
}
