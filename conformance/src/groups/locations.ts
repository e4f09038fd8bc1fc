import assert from 'node:assert/strict';
import { ErrorCode } from '@backup/core';
import { listKeys, providerTest, rejectsWithCode } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/** Per-call `location` overrides reach another root and isolate from the default one. */
export function locationTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);

  providerTest(options, 'locations: an override writes elsewhere, invisible from the default location', async (provider) => {
    const location = await options.alternateLocation();
    await provider.put('backup-1/backup_config.json', 'override', { location });
    await provider.write('backup-1/node1/chunk-1', [Buffer.from('chunk')], { location });
    assert.equal(await provider.exists('backup-1/backup_config.json'), false);
    assert.deepEqual(await listKeys(provider, ''), []);
    assert.deepEqual(await listKeys(provider, '', location), ['backup-1/backup_config.json', 'backup-1/node1/chunk-1']);
    assert.equal((await provider.get('backup-1/backup_config.json', { location })).toString(), 'override');
    assert.equal((await provider.stat('backup-1/node1/chunk-1', { location })).size, 5);
  });

  providerTest(options, 'locations: the default location is invisible from an override', async (provider) => {
    const location = await options.alternateLocation();
    await provider.put('backup-2/backup_config.json', 'default');
    await rejectsWithCode(provider.get('backup-2/backup_config.json', { location }), ErrorCode.NOT_FOUND, 'get via override');
    await provider.delete('backup-2/backup_config.json', { location });
    assert.equal((await provider.get('backup-2/backup_config.json')).toString(), 'default', 'delete via override touched the default');
  });

  providerTest(options, 'locations: homeDir names the backup and follows overrides', async (provider) => {
    const location = await options.alternateLocation();
    const home = provider.homeDir('my-backup');
    const overridden = provider.homeDir('my-backup', location);
    assert.ok(home.endsWith('/my-backup'), `homeDir should end with the id: ${home}`);
    assert.ok(overridden.endsWith('/my-backup'), `homeDir should end with the id: ${overridden}`);
    assert.notEqual(home, overridden, 'an override must change the home directory');
  });
}
