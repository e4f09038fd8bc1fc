import assert from 'node:assert/strict';
import { BackupError, ErrorCode } from '@backup/core';
import { listFolders, listKeys, providerTest } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** list(prefix): plain string prefixes, sizes, and paging past one backend page; listFolders(folder). */
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

  providerTest(options, 'listing folders: the next segment of the keys below a folder, each once; objects are not folders', async (provider) => {
    await provider.put('f/a/1', '1');
    await provider.put('f/a/2', '2');
    await provider.put('f/b/deeper/3', '3');
    await provider.put('f/c', 'an object, not a folder');
    await provider.put('f-sibling/x/y', 'y');
    await provider.put('top', 'an object at the root');
    assert.deepEqual(await listFolders(provider, 'f/'), ['a', 'b']);
    assert.deepEqual(await listFolders(provider, 'f/b/'), ['deeper']);
    assert.deepEqual(await listFolders(provider, 'f/a/'), []);
    assert.deepEqual(await listFolders(provider, ''), ['f', 'f-sibling']);
    assert.deepEqual(await listFolders(provider, 'absent/'), []);
  });

  providerTest(options, 'listing folders: returns every folder, across several pages', async (provider) => {
    const count = Math.min(provider.capabilities.listPageSize * 2 + 3, 2_503);
    const names = Array.from({ length: count }, (_, i) => `backup-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 32) {
      await Promise.all(names.slice(i, i + 32).map((name) => provider.put(`many/${name}/backup_config.json`, name)));
    }
    assert.deepEqual(await listFolders(provider, 'many/'), names);
  });

  providerTest(options, "listing folders: a folder is '' or ends with '/' (INVALID_ARGUMENT otherwise)", async (provider) => {
    await provider.put('f/a/1', '1');
    await assert.rejects(listFolders(provider, 'f'), (error) => BackupError.is(error, ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(listFolders(provider, '../'), (error) => BackupError.is(error, ErrorCode.INVALID_ARGUMENT));
  });
}
