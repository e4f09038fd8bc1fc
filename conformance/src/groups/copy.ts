import assert from 'node:assert/strict';
import { ErrorCode, type BackupProvider, type ProviderCapabilities } from '@backup/core';
import { assertSameBytes, listKeys, providerTest, readAll, rejectsWithCode } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/**
 * Server-side copy between two locations of one provider, for providers whose
 * manifest declares `serverSideCopy`; without it, `copy` must be absent or
 * refuse with NOT_SUPPORTED, which `copyBackup` answers by streaming.
 */
export function copyTests(input: ProviderConformanceOptions, capabilities: Pick<ProviderCapabilities, 'serverSideCopy'>): void {
  const options = resolveOptions(input);
  // 300 KiB + 7: more than one stream buffer, not a round size.
  const data = Buffer.alloc(300 * 1024 + 7);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 9)) & 0xff;

  const bytesAt = async (provider: BackupProvider, key: string, location?: { bucket?: string; path?: string }): Promise<Buffer> =>
    await readAll(await provider.read(key, { location }));

  if (capabilities.serverSideCopy !== true) {
    providerTest(options, 'copy: without serverSideCopy, copy is absent or NOT_SUPPORTED', async (provider) => {
      await provider.put('c/a', 'x');
      if (provider.copy !== undefined) {
        await rejectsWithCode(provider.copy('c/a', { location: await options.alternateLocation() }), ErrorCode.NOT_SUPPORTED, 'copy');
      }
    });
    return;
  }

  providerTest(options, 'copy: an object reaches another location whole, and the source stays', async (provider) => {
    const location = await options.alternateLocation();
    await provider.write('backup-1/node1/Article/chunk-1', [data]);
    await provider.copy?.('backup-1/node1/Article/chunk-1', { location });
    assertSameBytes(await bytesAt(provider, 'backup-1/node1/Article/chunk-1', location), data, 'the copy');
    assertSameBytes(await bytesAt(provider, 'backup-1/node1/Article/chunk-1'), data, 'the source after the copy');
    assert.deepEqual(await listKeys(provider, '', location), ['backup-1/node1/Article/chunk-1']);
    assert.equal((await provider.stat('backup-1/node1/Article/chunk-1', { location })).size, data.length);
  });

  providerTest(options, 'copy: from an override to the default location, replacing the object there', async (provider) => {
    const location = await options.alternateLocation();
    await provider.put('backup-2/backup_config.json', 'old');
    await provider.put('backup-2/backup_config.json', 'new', { location });
    await provider.copy?.('backup-2/backup_config.json', { from: location });
    assert.equal((await provider.get('backup-2/backup_config.json')).toString(), 'new');
  });

  providerTest(options, 'copy: a missing source is NOT_FOUND and creates nothing', async (provider) => {
    const location = await options.alternateLocation();
    await rejectsWithCode(provider.copy?.('backup-3/missing', { location }) ?? Promise.resolve(), ErrorCode.NOT_FOUND, 'copy of a missing object');
    assert.equal(await provider.exists('backup-3/missing', { location }), false);
  });

  providerTest(options, 'copy: an empty object copies as empty', async (provider) => {
    const location = await options.alternateLocation();
    await provider.write('backup-4/empty', []);
    await provider.copy?.('backup-4/empty', { location });
    assert.equal((await provider.stat('backup-4/empty', { location })).size, 0);
  });
}
