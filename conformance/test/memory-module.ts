// A provider module that breaks the promise of `workerEntry`: its objects live
// in the memory of the thread that built the provider, so a worker thread's
// instance never sees this thread's objects (suite-catches-violations.test.ts).
import type { ProviderModule } from '@backup/core';
import { MemoryProvider } from '../examples/memory-provider.ts';

export const backupModule: ProviderModule = {
  name: 'memory',
  fromEnv: () => new MemoryProvider(),
  workerEntry: import.meta.url,
};
