import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { BackupEngine, BackupError, ErrorCode, LocalParticipant, ProviderRegistry, isFinalStatus, type BackupProvider, type Cluster } from '../src/index.ts';
import { DirectoryBackupSource, listFiles } from './fixtures/directory-source.ts';
import { removeDir, sampleBytes, scratchDir, treeDigest, waitFor } from './fixtures/scratch.ts';

// The multi-node seam: a coordinator over two participants, each with its own
// store, sharing one storage backend (a real directory, presented under another
// name because the filesystem provider is refused for clusters).
let dir: string;
afterEach(async () => {
  await removeDir(dir);
});

function shared(provider: FilesystemProvider): BackupProvider {
  return new Proxy(provider, { get: (target, key) => (key === 'name' ? 'shared' : Reflect.get(target, key, target)) });
}

async function twoNodes() {
  dir = await scratchDir('cluster');
  const fsProvider = new FilesystemProvider({ path: join(dir, 'backups') });
  const providers = new ProviderRegistry([
    ['shared', shared(fsProvider)],
    ['filesystem', fsProvider],
  ]);
  const sources = [new DirectoryBackupSource(join(dir, 'node1'), 'node1'), new DirectoryBackupSource(join(dir, 'node2'), 'node2')];
  const participants = sources.map((source) => new LocalParticipant({ source, providers, node: source.nodeName, cpuCount: 2 }));
  const cluster: Cluster = {
    nodes: ['node1', 'node2'],
    participant: (node) => participants.find((participant) => participant.node === node),
  };
  // One collection with a shard on each node.
  for (const [index, source] of sources.entries()) {
    await source.createCollection({ name: 'Spread', multiTenant: false, shards: [{ name: `shard${index}`, status: 'HOT' }] });
    await source.writeFile('Spread', `shard${index}/data.seg`, sampleBytes(50_000 + index));
  }
  const engine = new BackupEngine({ source: sources[0]!, providers, stateDir: join(dir, 'state'), cluster });
  await engine.start();
  return { engine, sources, backups: join(dir, 'backups') };
}

describe('a cluster of two', { timeout: 120_000 }, () => {
  test('each node uploads its own shards under <id>/<node>/; restore puts them back on each node', async () => {
    const { engine, sources, backups } = await twoNodes();
    const before = await Promise.all(sources.map((source) => treeDigest(source.collectionDir('Spread'))));
    await engine.createBackup({ backend: 'shared', id: 'two' });
    await waitFor('backup', async () => isFinalStatus((await engine.backupStatus('shared', 'two')).status));
    expect(await engine.backupStatus('shared', 'two')).toMatchObject({ status: 'SUCCESS', error: '' });
    const stored = await listFiles(backups);
    expect(stored).toContain('two/node1/backup.json');
    expect(stored).toContain('two/node2/backup.json');
    expect(stored.filter((path) => path.startsWith('two/node2/Spread/chunk-'))).toHaveLength(1);

    for (const source of sources) await source.dropCollection('Spread');
    await engine.restore({ backend: 'shared', id: 'two' });
    await waitFor('restore', async () => isFinalStatus((await engine.restoreStatus('shared', 'two')).status));
    expect(await engine.restoreStatus('shared', 'two')).toMatchObject({ status: 'SUCCESS', error: '' });
    const after = await Promise.all(sources.map((source) => treeDigest(source.collectionDir('Spread'))));
    expect(after).toEqual(before);
    await engine.close();
  });

  test('the filesystem backend is refused on a cluster of more than one node', async () => {
    const { engine } = await twoNodes();
    const error = await engine.createBackup({ backend: 'filesystem', id: 'x' }).catch((caught: unknown) => caught);
    expect(BackupError.is(error, ErrorCode.NOT_SUPPORTED)).toBe(true);
    await engine.close();
  });

  test('a node that refuses in phase 1 fails the request and nothing is written', async () => {
    const { engine, sources, backups } = await twoNodes();
    await sources[1]!.dropCollection('Spread');
    const error = await engine.createBackup({ backend: 'shared', id: 'refused' }).catch((caught: unknown) => caught);
    expect(BackupError.is(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect(await listFiles(backups)).toEqual([]);
    await engine.close();
  });
});
