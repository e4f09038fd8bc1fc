import assert from 'node:assert/strict';
import { listKeys, providerTest } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** list(prefix): plain string prefixes, sizes, and paging past one backend page. */
export function listingTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'listing: returns every object under a prefix, across several pages', async (provider) => {
    const count = Math.min(provider.capabilities.listPageSize * 2 + 3, 2_503);
    const keys = Array.from({ length: count }, (_, i) => `paged/node1/Collection/chunk-${i}`);
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(keys.slice(i, i + 32).map((key) => provider.put(key, key)));
    }
    await provider.put('paged-sibling/not-me', 'x');
    const listed = await listKeys(provider, 'paged/');
    assert.equal(listed.length, count, `expected ${count} keys across pages, got ${listed.length}`);
    assert.deepEqual(listed, [...keys].sort());
  });

  providerTest(options, 'listing: a prefix is a string prefix, not a directory', async (provider) => {
    await provider.put('backup-a/backup_config.json', '1');
    await provider.put('backup-ab/backup_config.json', '22');
    await provider.put('backup-b/backup_config.json', '333');
    assert.deepEqual(await listKeys(provider, 'backup-a'), ['backup-a/backup_config.json', 'backup-ab/backup_config.json']);
    assert.deepEqual(await listKeys(provider, 'backup-a/'), ['backup-a/backup_config.json']);
    assert.deepEqual(await listKeys(provider, 'backup-a/backup_'), ['backup-a/backup_config.json']);
  });

  providerTest(options, 'listing: reports sizes, and the empty prefix lists everything', async (provider) => {
    await provider.put('one', 'a');
    await provider.put('dir/two', 'bb');
    await provider.put('dir/deeper/three', 'ccc');
    const sizes = new Map<string, number>();
    for await (const info of provider.list('')) sizes.set(info.key, info.size);
    assert.deepEqual(Object.fromEntries([...sizes].sort()), { 'dir/deeper/three': 3, 'dir/two': 2, one: 1 });
  });

  providerTest(options, 'listing: an unknown prefix lists nothing', async (provider) => {
    await provider.put('present/x', 'x');
    assert.deepEqual(await listKeys(provider, 'absent/'), []);
    assert.deepEqual(await listKeys(provider, 'present/x/'), []);
  });
}
