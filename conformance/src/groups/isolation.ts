import assert from 'node:assert/strict';
import { listKeys } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** Instances from `factory()` do not see each other's objects: the premise of every other test. */
export function isolationTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  options.test(
    'isolation: two factory() instances do not see each other',
    async () => {
      const first = await options.factory();
      const second = await options.factory();
      try {
        await first.put('shared-name', 'first');
        assert.equal(await second.exists('shared-name'), false);
        assert.deepEqual(await listKeys(second, ''), []);
        await second.put('shared-name', 'second');
        assert.equal((await first.get('shared-name')).toString(), 'first');
      } finally {
        await first.close();
        await second.close();
      }
    },
    options.timeoutMs,
  );
}
