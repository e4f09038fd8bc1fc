import { describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { BackupEngine, BackupError, ErrorCode, ProviderRegistry, candidatePackages, providersFromEnv } from '../src/index.ts';
import { DirectoryBackupSource } from './fixtures/directory-source.ts';

/** Resolves the workspace's packages the way an installed host would, and anything else for real. */
const importModule = async (specifier: string): Promise<unknown> => {
  if (specifier === '@backup/provider-filesystem') return await import('../../provider-filesystem/src/index.ts');
  if (specifier === 'backup-provider-acme') return await import('./fixtures/acme-provider.ts');
  if (specifier === '@acme/not-a-provider') return { something: 'else' };
  return await import(specifier);
};

async function configError(promise: Promise<unknown>): Promise<BackupError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(BackupError.is(error, ErrorCode.CONFIG), String(error)).toBe(true);
  return error as BackupError;
}

describe('providersFromEnv', () => {
  test('enables each backup-* module and ignores the others', async () => {
    const registry = await providersFromEnv(
      { ENABLE_MODULES: 'text2vec-transformers, backup-filesystem,backup-acme', BACKUP_FILESYSTEM_PATH: '/tmp/fs', ACME_ROOT: '/tmp/acme' },
      { importModule },
    );
    expect(registry.names()).toEqual(['filesystem', 'acme']);
    expect(registry.moduleNames()).toEqual(['backup-filesystem', 'backup-acme']);
    expect(registry.get('backup-filesystem')).toBeInstanceOf(FilesystemProvider);
  });

  test('no ENABLE_MODULES means no providers', async () => {
    expect((await providersFromEnv({}, { importModule })).names()).toEqual([]);
  });

  test('a missing required variable stops start-up with CONFIG naming it', async () => {
    const error = await configError(providersFromEnv({ ENABLE_MODULES: 'backup-filesystem' }, { importModule }));
    expect(error.message).toContain('BACKUP_FILESYSTEM_PATH');
  });

  test('a module no installed package provides is CONFIG, naming the packages tried', async () => {
    const error = await configError(providersFromEnv({ ENABLE_MODULES: 'backup-nowhere' }));
    expect(error.message).toContain('@backup/provider-nowhere');
    expect(error.message).toContain('backup-provider-nowhere');
  });

  test('a package without backupModule is CONFIG', async () => {
    await configError(providersFromEnv({ ENABLE_MODULES: '@acme/not-a-provider' }, { importModule }));
  });

  test('modules can be handed in directly (bundled hosts)', async () => {
    const { backupModule } = await import('./fixtures/acme-provider.ts');
    const registry = await providersFromEnv({ ENABLE_MODULES: 'backup-acme', ACME_ROOT: '/tmp/a' }, { modules: { 'backup-acme': backupModule } });
    expect(registry.names()).toEqual(['acme']);
  });

  test('the resolution rule', () => {
    expect(candidatePackages('backup-s3')).toEqual(['@backup/provider-s3', 'backup-provider-s3']);
    expect(candidatePackages('@acme/backup-thing')).toEqual(['@acme/backup-thing']);
    expect(candidatePackages('text2vec-openai')).toEqual([]);
    expect(candidatePackages('backup-')).toEqual([]);
  });
});

describe('plain objects for library use', () => {
  test('the engine takes { name: provider } or a list', () => {
    const source = new DirectoryBackupSource('/tmp/none');
    const provider = new FilesystemProvider({ path: '/tmp/backups' });
    const fromObject = new BackupEngine({ source, providers: { filesystem: provider }, stateDir: '/tmp/state' });
    expect(fromObject.providers.names()).toEqual(['filesystem']);
    const fromList = new BackupEngine({ source, providers: [provider], stateDir: '/tmp/state' });
    expect(fromList.providers.get('backup-filesystem')).toBe(provider);
    expect(
      () =>
        new ProviderRegistry([
          ['filesystem', provider],
          ['backup-filesystem', provider],
        ]),
    ).toThrow(BackupError);
  });
});
