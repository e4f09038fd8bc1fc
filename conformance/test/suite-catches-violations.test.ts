// A conformance suite is only worth something if it fails broken providers.
// Each case runs one group against a provider that breaks exactly one
// obligation and asserts that the group's tests for it fail, while the
// correct provider passes the same group.
import { describe, expect, test } from 'vitest';
import type { BackupProvider } from '@backup/core';
import {
  abortTests,
  deletionTests,
  isolationTests,
  keyTests,
  listingTests,
  locationTests,
  manifestTests,
  rangeTests,
  streamingTests,
  workerEntryTests,
  type ProviderConformanceOptions,
} from '../src/index.ts';
import { MemoryProvider } from '../examples/memory-provider.ts';
import {
  DeepFoldersProvider,
  FirstPageOnlyProvider,
  LossyKeysProvider,
  MutableManifestProvider,
  OverrideIgnoringProvider,
  PartialWriteProvider,
  RangeIgnoringProvider,
  StrictDeleteProvider,
  sharedStateFactory,
} from './broken-providers.ts';

type Group = (options: ProviderConformanceOptions) => void;

/** Registers `group` on a private runner, runs every test, and returns the names of the failed ones. */
async function failuresOf(group: Group, factory: () => BackupProvider): Promise<{ ran: number; failed: string[] }> {
  const registered: Array<{ name: string; fn: () => Promise<void> }> = [];
  let run = 0;
  group({
    test: (name, fn) => registered.push({ name, fn }),
    factory,
    alternateLocation: () => ({ path: `alternate-${++run}` }),
    largeObjectSize: 2 * 1024 * 1024,
  });
  const failed: string[] = [];
  for (const { name, fn } of registered) {
    await fn().catch(() => failed.push(name));
  }
  return { ran: registered.length, failed };
}

const ranges: Group = (options) => rangeTests(options, { rangedReads: true });
const manifest: Group = (options) => manifestTests(options, new MemoryProvider().capabilities);
const aborts: Group = (options) => abortTests(options, { abortCleansUp: true, multipart: null });

const cases: Array<{ broken: string; group: Group; factory: () => BackupProvider; failing: RegExp }> = [
  {
    broken: 'a write that is not atomic',
    group: aborts,
    factory: () => new PartialWriteProvider(),
    failing: /^abort: a(n aborted overwrite| write aborted| write whose body is stuck)/,
  },
  { broken: 'a write that is not atomic', group: streamingTests, factory: () => new PartialWriteProvider(), failing: /^streaming: a body that (fails|yields)/ },
  { broken: 'ranges that are ignored', group: ranges, factory: () => new RangeIgnoringProvider(), failing: /^ranges: / },
  { broken: 'a listing that stops after one page', group: listingTests, factory: () => new FirstPageOnlyProvider(), failing: /across several pages/ },
  { broken: 'folders that are whole keys', group: listingTests, factory: () => new DeepFoldersProvider(), failing: /^listing folders: / },
  { broken: 'a delete that is not idempotent', group: deletionTests, factory: () => new StrictDeleteProvider(), failing: /deleting a missing object/ },
  { broken: 'location overrides that are ignored', group: locationTests, factory: () => new OverrideIgnoringProvider(), failing: /^locations: / },
  { broken: 'keys that lose characters', group: keyTests, factory: () => new LossyKeysProvider(), failing: /\+=&\?#%/ },
  { broken: 'a manifest that is not frozen', group: manifest, factory: () => new MutableManifestProvider(), failing: /^manifest: is frozen/ },
  { broken: 'instances that share storage', group: isolationTests, factory: sharedStateFactory, failing: /^isolation: / },
];

describe('the conformance suite fails providers that break the contract', () => {
  for (const { broken, group, factory, failing } of cases) {
    test(`${group.name}: catches ${broken}`, async () => {
      const correct = await failuresOf(group, () => new MemoryProvider());
      expect(correct.failed, 'the correct provider must pass this group').toEqual([]);

      const { ran, failed } = await failuresOf(group, factory);
      expect(ran).toBeGreaterThan(0);
      expect(failed.length, `expected failures matching ${failing}`).toBeGreaterThan(0);
      expect(
        failed.every((name) => failing.test(name)),
        `unexpected failures: ${failed.join('; ')}`,
      ).toBe(true);
    });
  }
});

test('workerEntry: a module whose provider keeps objects in its thread’s memory fails the group', { timeout: 60_000 }, async () => {
  const { backupModule } = await import('./memory-module.ts');
  const registered: Array<{ name: string; fn: () => Promise<void> }> = [];
  workerEntryTests({
    test: (name, fn) => registered.push({ name, fn }),
    factory: () => new MemoryProvider(),
    alternateLocation: () => ({ path: 'alternate' }),
    module: { backupModule, env: () => ({}) },
  });
  expect(registered.map(({ name }) => name)).toEqual([expect.stringMatching(/^workerEntry: /)]);
  // The worker's instance cannot find the object this thread's instance wrote.
  await expect((registered[0] as { fn: () => Promise<void> }).fn()).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
