import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, HttpParticipant, isFinalStatus, type BackupEngine } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { SECRET, WriteGate, startCluster, stopCluster, type ClusterOptions, type TestNode } from './fixtures/http-cluster.ts';
import { removeDir, sampleBytes, scratchDir, treeDigest, waitFor } from './fixtures/scratch.ts';

// Real HTTP between the nodes of a cluster, all in this process: each node's
// participant API on its own loopback server, the coordinator talking to the
// others through HttpParticipant, one shared storage directory.
let dir: string | undefined;
let nodes: TestNode[] = [];
afterEach(async () => {
  await stopCluster(nodes);
  nodes = [];
  if (dir) await removeDir(dir);
  dir = undefined;
});

async function cluster(names: readonly string[], options: ClusterOptions & { empty?: boolean } = {}): Promise<TestNode[]> {
  dir ??= await scratchDir('cluster-http');
  const started = await startCluster(dir, names, options);
  nodes.push(...started);
  if (options.empty) return started;
  // One collection with a shard on each node.
  for (const [index, node] of started.entries()) {
    await node.source.createCollection({ name: 'Spread', multiTenant: false, shards: [{ name: `shard${index}`, status: 'HOT' }] });
    await node.source.writeFile('Spread', `shard${index}/a.seg`, sampleBytes(60_000 + index));
    await node.source.writeFile('Spread', `shard${index}/b.seg`, sampleBytes(30_000 + index));
  }
  return started;
}

async function finalBackup(engine: BackupEngine, id: string) {
  await waitFor(`backup ${id}`, async () => isFinalStatus((await engine.backupStatus('shared', id)).status));
  return await engine.backupStatus('shared', id);
}

async function finalRestore(engine: BackupEngine, id: string) {
  await waitFor(`restore ${id}`, async () => isFinalStatus((await engine.restoreStatus('shared', id)).status));
  return await engine.restoreStatus('shared', id);
}

const stored = async (): Promise<string[]> => await listFiles(join(dir!, 'backups'));

describe('a cluster over HTTP', { timeout: 120_000 }, () => {
  test('backs up every node under <id>/<node>/ and restores each node its own shards', async () => {
    const [node1, node2, node3] = await cluster(['node1', 'node2', 'node3']);
    const before = await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))));
    await node1!.engine.createBackup({ backend: 'shared', id: 'three' });
    const report = await finalBackup(node1!.engine, 'three');
    expect(report).toMatchObject({ status: 'SUCCESS', error: '' });
    expect(report.sizeBytes).toBe(3 * 90_000 + 3 * 2);
    // The coordinator's progress counts every node's files, chunks and bytes (theirs came back in the polls).
    expect(report.progress).toMatchObject({
      bytesDone: report.sizeBytes,
      bytesTotal: report.sizeBytes,
      filesDone: 6,
      filesTotal: 6,
      chunksDone: 3,
      chunksTotal: 3,
    });
    const files = await stored();
    for (const node of ['node1', 'node2', 'node3']) {
      expect(files).toContain(`three/${node}/backup.json`);
      expect(files.some((path) => path.startsWith(`three/${node}/Spread/chunk-`))).toBe(true);
    }
    expect(node2!.received).toContain('POST /internal/backups/three/commit');
    for (const node of nodes) expect(node.source.heldSnapshots.size).toBe(0);

    for (const node of nodes) await node.source.dropCollection('Spread');
    // Any node can coordinate the restore.
    await node3!.engine.restore({ backend: 'shared', id: 'three' });
    const restored = await finalRestore(node3!.engine, 'three');
    expect(restored).toMatchObject({ status: 'SUCCESS', error: '' });
    expect(restored.progress).toMatchObject({ bytesDone: report.sizeBytes, bytesTotal: report.sizeBytes, filesDone: 6, filesTotal: 6, chunksDone: 3 });
    const after = await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))));
    expect(after).toEqual(before);
    expect(node1!.received).toContain('POST /internal/restores/three/finalize');
  });

  test('an incremental backup across nodes: each node reuses its own files from the base, and the backup restores on its own', async () => {
    const [node1, node2] = await cluster(['node1', 'node2', 'node3']);
    await node1!.engine.createBackup({ backend: 'shared', id: 'base' });
    expect((await finalBackup(node1!.engine, 'base')).status).toBe('SUCCESS');
    await nodes[1]!.source.writeFile('Spread', 'shard1/c.seg', sampleBytes(5_000));
    await node2!.engine.createBackup({ backend: 'shared', id: 'next', incrementalBaseBackupId: 'base' });
    const report = await finalBackup(node2!.engine, 'next');
    expect(report).toMatchObject({ status: 'SUCCESS', incrementalBaseBackupId: 'base' });
    expect(report.bytesReused).toBeGreaterThan(0);
    for (const node of ['node1', 'node2', 'node3']) {
      const descriptor = JSON.parse(await readFile(join(dir!, 'backups', 'next', node, 'backup.json'), 'utf8')) as {
        collections: { chunks: { key: string }[] }[];
      };
      const keys = descriptor.collections.flatMap((collection) => collection.chunks.map((chunk) => chunk.key));
      // A node references only its own folder of the base.
      expect(keys.filter((key) => key.startsWith('base/')).every((key) => key.startsWith(`base/${node}/`))).toBe(true);
      expect(keys.some((key) => key.startsWith(`base/${node}/`))).toBe(true);
    }
    const before = await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))));
    await node1!.engine.deleteBackup('shared', 'base');
    for (const node of nodes) await node.source.dropCollection('Spread');
    await node1!.engine.restore({ backend: 'shared', id: 'next' });
    expect((await finalRestore(node1!.engine, 'next')).status).toBe('SUCCESS');
    expect(await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))))).toEqual(before);
  });

  test('a request without the cluster secret, or with a wrong one, is refused with 401 and not processed', async () => {
    const [, node2] = await cluster(['node1', 'node2']);
    const body = JSON.stringify({ id: 'x', backend: 'shared', sourceNode: 'node2', collections: ['Spread'], cpuPercentage: 50 });
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${SECRET}`, `Bearer ${SECRET}x`, 'Bearer ']) {
      const response = await fetch(`${node2!.url}/internal/restores/x/can-restore`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });
      expect(response.status).toBe(401);
    }
    // Nothing was accepted: the node does not know restore x.
    const status = await fetch(`${node2!.url}/internal/restores/x/status`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(status.status).toBe(404);
    // A participant with the wrong secret gets ACCESS_DENIED, which the coordinator reports naming the node.
    const wrong = new HttpParticipant({ node: 'node2', url: node2!.url, secret: 'nope' });
    const error = await wrong.abortBackup('x').catch((caught: unknown) => caught);
    expect(BackupError.is(error, ErrorCode.ACCESS_DENIED)).toBe(true);
    expect((error as Error).message).toMatch(/^node node2: /);
  });

  test('abort of an id the node never heard of succeeds, for backups and restores', async () => {
    const [, node2] = await cluster(['node1', 'node2']);
    const participant = new HttpParticipant({ node: 'node2', url: node2!.url, secret: SECRET });
    await expect(participant.abortBackup('never-heard')).resolves.toBeUndefined();
    await expect(participant.abortRestore('never-heard')).resolves.toBeUndefined();
    await expect(participant.abortBackup('never-heard')).resolves.toBeUndefined();
  });

  test('a node that refuses phase 1 fails the request naming it; the nodes that accepted get an abort and hold nothing', async () => {
    const [node1, node2, node3] = await cluster(['node1', 'node2', 'node3']);
    await node3!.source.dropCollection('Spread');
    const error = await node1!.engine.createBackup({ backend: 'shared', id: 'refused' }).catch((caught: unknown) => caught);
    expect(BackupError.is(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((error as Error).message).toMatch(/^node node3: /);
    expect(node2!.received).toContain('POST /internal/backups/refused/can-commit');
    expect(node2!.received).toContain('POST /internal/backups/refused/abort');
    expect(node2!.received).not.toContain('POST /internal/backups/refused/commit');
    // node2 forgot the backup: a status poll finds nothing.
    const status = await fetch(`${node2!.url}/internal/backups/refused/status`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(status.status).toBe(404);
    for (const node of nodes) expect(node.source.heldSnapshots.size).toBe(0);
    expect(await stored()).toEqual([]);
  });

  test('a node whose server goes away mid-upload: FAILED naming it, and the storage ends up clean', async () => {
    const gate = new WriteGate((key) => key.startsWith('cut/node2/'));
    const [node1, node2, node3] = await cluster(['node1', 'node2', 'node3'], {
      gates: { node2: gate },
      unreachableAfterMs: 300,
      abortAfterMs: 1_000,
    });
    await node1!.engine.createBackup({ backend: 'shared', id: 'cut' });
    await waitFor('node2 uploading', () => gate.arrived.length > 0);
    await node2!.stop();
    const report = await finalBackup(node1!.engine, 'cut');
    expect(report.status).toBe('FAILED');
    expect(report.error).toMatch(/node node2: unreachable/);
    expect(node3!.received).toContain('POST /internal/backups/cut/abort');
    // node2 still runs, cut off: its watchdog aborts the upload, releases the snapshot and removes its chunks.
    await waitFor('node2 aborts on its own', () => node2!.warnings.some((warning) => warning.includes('heard nothing')));
    await waitFor('snapshots released', () => nodes.every((node) => node.source.heldSnapshots.size === 0));
    await waitFor('storage clean', async () => (await stored()).every((path) => path === 'cut/backup_config.json'));
  });

  test('a coordinator that stops polling: the node aborts on its own within abortAfterMs, in every phase', async () => {
    const abortAfterMs = 600;
    const gate = new WriteGate((key) => key.startsWith('quiet/node2/'));
    const [, node2] = await cluster(['node1', 'node2'], { gates: { node2: gate }, abortAfterMs });
    const post = async (path: string, body?: unknown) =>
      await fetch(`${node2!.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const request = (id: string) => ({
      id,
      backend: 'shared',
      location: {},
      collections: ['Spread'],
      chunkSizeBytes: 16 * 1024 * 1024,
      compression: { codec: 'gzip', level: 1, name: 'BestSpeed' },
      cpuPercentage: 50,
      startedAt: new Date().toISOString(),
    });

    // Accepted, then nothing.
    expect((await post('/internal/backups/accepted/can-commit', request('accepted'))).status).toBe(200);
    let since = Date.now();
    await waitFor('abort of the accepted backup', () => node2!.warnings.some((warning) => warning.startsWith('backup accepted:')));
    let waited = Date.now() - since;
    expect(waited).toBeGreaterThanOrEqual(abortAfterMs - 50);
    expect(waited).toBeLessThan(abortAfterMs + 5_000);

    // Committed and uploading (held at the gate), then nothing.
    expect((await post('/internal/backups/quiet/can-commit', request('quiet'))).status).toBe(200);
    expect((await post('/internal/backups/quiet/commit')).status).toBe(202);
    since = Date.now();
    await waitFor('node2 uploading', () => gate.arrived.length > 0 || node2!.warnings.some((warning) => warning.startsWith('backup quiet:')));
    await waitFor('abort of the running backup', () => node2!.warnings.some((warning) => warning.startsWith('backup quiet:')));
    waited = Date.now() - since;
    expect(waited).toBeGreaterThanOrEqual(abortAfterMs - 50);
    expect(waited).toBeLessThan(abortAfterMs + 5_000);
    await waitFor('snapshot released', () => node2!.source.heldSnapshots.size === 0);
    await waitFor('chunks removed', async () => (await stored()).length === 0);
    const status = await fetch(`${node2!.url}/internal/backups/quiet/status`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(status.status).toBe(404);
  });

  test('a coordinator that keeps polling is never given up on, however long the upload takes', async () => {
    const abortAfterMs = 300;
    const gate = new WriteGate((key) => key.startsWith('slow/node2/'));
    const [node1, node2] = await cluster(['node1', 'node2'], { gates: { node2: gate }, abortAfterMs });
    await node1!.engine.createBackup({ backend: 'shared', id: 'slow' });
    await waitFor('node2 uploading', () => gate.arrived.length > 0);
    const since = Date.now();
    const polls = () => node2!.received.filter((line) => line === 'GET /internal/backups/slow/status').length;
    const before = polls();
    // Held well past abortAfterMs while the coordinator polls.
    await waitFor('three abort periods of polling', () => Date.now() - since > 3 * abortAfterMs && polls() > before + 3);
    gate.open();
    expect(await finalBackup(node1!.engine, 'slow')).toMatchObject({ status: 'SUCCESS', error: '' });
    expect(node2!.warnings).toEqual([]);
  });

  test('a cancel on the coordinator aborts every node; the backup ends CANCELED with nothing left behind', async () => {
    const gate = new WriteGate((key) => /^stop\/node[23]\//.test(key));
    const [node1, node2, node3] = await cluster(['node1', 'node2', 'node3'], { gates: { node2: gate, node3: gate } });
    await node1!.engine.createBackup({ backend: 'shared', id: 'stop' });
    await waitFor(
      'both uploading',
      () => gate.arrived.some((key) => key.startsWith('stop/node2/')) && gate.arrived.some((key) => key.startsWith('stop/node3/')),
    );
    await node1!.engine.cancelBackup('shared', 'stop');
    expect(await node1!.engine.backupStatus('shared', 'stop')).toMatchObject({ status: 'CANCELED' });
    for (const node of [node2!, node3!]) expect(node.received).toContain('POST /internal/backups/stop/abort');
    await waitFor('snapshots released', () => nodes.every((node) => node.source.heldSnapshots.size === 0));
    expect(await stored()).toEqual(['stop/backup_config.json']);
  });

  test('restore refuses a cluster with another node count, and an incomplete node_mapping, with 422 before any download', async () => {
    const [node1] = await cluster(['node1', 'node2']);
    await node1!.engine.createBackup({ backend: 'shared', id: 'pair' });
    expect(await finalBackup(node1!.engine, 'pair')).toMatchObject({ status: 'SUCCESS' });

    const restore = async (target: TestNode, body: unknown) =>
      await target.publicApi.handle({ method: 'POST', path: '/backups/shared/pair/restore', query: new URLSearchParams(), body });
    const three = await cluster(['x1', 'x2', 'x3'], { empty: true });
    const count = await restore(three[0]!, {});
    expect(count?.status).toBe(422);
    expect(JSON.stringify(count?.body)).toMatch(/2 node\(s\) \(node1, node2\).*has 3 \(x1, x2, x3\)/);

    const two = await cluster(['y1', 'y2'], { empty: true });
    const unmapped = await restore(two[0]!, {});
    expect(unmapped?.status).toBe(422);
    expect(JSON.stringify(unmapped?.body)).toMatch(/node\(s\) node1, node2, not in this cluster/);
    const incomplete = await restore(two[0]!, { node_mapping: { node1: 'y1' } });
    expect(incomplete?.status).toBe(422);
    expect(JSON.stringify(incomplete?.body)).toMatch(/node\(s\) node2, not in this cluster.*onto y2/);
    const twice = await restore(two[0]!, { node_mapping: { node1: 'y1', node2: 'y1' } });
    expect(twice?.status).toBe(422);
    const stranger = await restore(two[0]!, { node_mapping: { node1: 'y1', node2: 'y2', node9: 'y2' } });
    expect(stranger?.status).toBe(422);
    expect(JSON.stringify(stranger?.body)).toMatch(/node9/);
    // Refused before any node was asked anything, so nothing was downloaded.
    for (const node of [...three, ...two]) expect(node.received.filter((line) => line.includes('/internal/restores/'))).toEqual([]);

    // The complete mapping restores node1's shard on y1 and node2's on y2.
    const mapped = await restore(two[1]!, { node_mapping: { node1: 'y1', node2: 'y2' } });
    expect(mapped?.status).toBe(200);
    expect(await finalRestore(two[1]!.engine, 'pair')).toMatchObject({ status: 'SUCCESS', error: '' });
    expect(await treeDigest(two[0]!.source.collectionDir('Spread'))).toEqual(await treeDigest(nodes[0]!.source.collectionDir('Spread')));
    expect(await treeDigest(two[1]!.source.collectionDir('Spread'))).toEqual(await treeDigest(nodes[1]!.source.collectionDir('Spread')));
  });

  test('backup-filesystem on a cluster of more than one node is refused with 422', async () => {
    const [node1] = await cluster(['node1', 'node2'], { empty: true });
    node1!.providers.add(new FilesystemProvider({ path: join(dir!, 'local') }));
    for (const [path, body] of [
      ['/backups/filesystem', { id: 'x' }],
      ['/backups/filesystem/x/restore', {}],
    ] as const) {
      const response = await node1!.publicApi.handle({ method: 'POST', path, query: new URLSearchParams(), body });
      expect(response?.status).toBe(422);
      expect(JSON.stringify(response?.body)).toMatch(/single node only/);
    }
  });

  test("a coordinator restarted mid-backup records it FAILED, clears every node's folder and tells the nodes to abort", async () => {
    const gate = new WriteGate((key) => key.startsWith('crash/'));
    // The nodes' own watchdog is far away: the abort must come from the restarted coordinator.
    const [node1, node2, node3] = await cluster(['node1', 'node2', 'node3'], { gates: { node2: gate, node3: gate }, abortAfterMs: 60_000 });
    const request = {
      id: 'crash',
      backend: 'shared',
      location: {},
      collections: ['Spread'],
      chunkSizeBytes: 16 * 1024 * 1024,
      compression: { codec: 'gzip', level: 1, name: 'BestSpeed' },
      cpuPercentage: 50,
      startedAt: new Date().toISOString(),
    } as const;
    // What the coordinator had done when it died: phase 1 and commit on the nodes, its journal entry, STARTED stored.
    for (const node of [node2!, node3!]) {
      const participant = new HttpParticipant({ node: node.name, url: node.url, secret: SECRET });
      await participant.canCommitBackup(request, { signal: new AbortController().signal });
      // Commit, then silence: nobody polls, nobody aborts (a dead coordinator).
      const commit = await fetch(`${node.url}/internal/backups/crash/commit`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` } });
      expect(commit.status).toBe(202);
    }
    await waitFor(
      'both uploading',
      () => gate.arrived.some((key) => key.startsWith('crash/node2/')) && gate.arrived.some((key) => key.startsWith('crash/node3/')),
    );
    await node1!.engine.close();
    await mkdir(join(node1!.stateDir, 'journal'), { recursive: true });
    await writeFile(
      join(node1!.stateDir, 'journal', 'backup--shared--crash.json'),
      JSON.stringify({
        kind: 'backup',
        id: 'crash',
        backend: 'shared',
        location: {},
        node: 'node1',
        startedAt: request.startedAt,
        phase: 'backup',
        stagingDirectories: [],
        nodes: ['node1', 'node2', 'node3'],
      }),
    );
    await mkdir(join(dir!, 'backups', 'crash', 'node2', 'Spread'), { recursive: true });
    await writeFile(join(dir!, 'backups', 'crash', 'node2', 'Spread', 'chunk-9'), 'left by an upload');

    const restarted = await node1!.restart();
    const report = await restarted.backupStatus('shared', 'crash');
    expect(report.status).toBe('FAILED');
    expect(report.error).toMatch(/interrupted/);
    await waitFor('abort reached both nodes', () => [node2!, node3!].every((node) => node.received.includes('POST /internal/backups/crash/abort')));
    await waitFor('snapshots released', () => nodes.every((node) => node.source.heldSnapshots.size === 0));
    await waitFor('storage clean', async () => (await stored()).every((path) => path === 'crash/backup_config.json'));
    expect(node2!.warnings).toEqual([]);
  });

  test('a node that staged its part keeps hearing from the coordinator while a slow node stages, and installs with it', async () => {
    const abortAfterMs = 300;
    // Backups never read chunks; node3's restore downloads wait here.
    const held = new WriteGate((key) => key.startsWith('wait/node3/'));
    const [node1, node2, node3] = await cluster(['node1', 'node2', 'node3'], { abortAfterMs, readGates: { node3: held } });
    await node1!.engine.createBackup({ backend: 'shared', id: 'wait' });
    expect(await finalBackup(node1!.engine, 'wait')).toMatchObject({ status: 'SUCCESS' });
    const before = await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))));
    for (const node of nodes) await node.source.dropCollection('Spread');

    await node1!.engine.restore({ backend: 'shared', id: 'wait' });
    await waitFor('node3 downloading', () => held.arrived.length > 0);
    const polls = () => node2!.received.filter((line) => line === 'GET /internal/restores/wait/status').length;
    const staged = async () => {
      const response = await fetch(`${node2!.url}/internal/restores/wait/status`, { headers: { authorization: `Bearer ${SECRET}` } });
      return ((await response.json()) as { phase: string }).phase === 'TRANSFERRED';
    };
    await waitFor('node2 staged', staged);
    const since = Date.now();
    const seen = polls();
    // node2 waits three abort periods, kept alive by the coordinator's polls alone.
    await waitFor('three abort periods with node2 staged', () => Date.now() - since > 3 * abortAfterMs && polls() > seen + 3);
    held.open();
    expect(await finalRestore(node1!.engine, 'wait')).toMatchObject({ status: 'SUCCESS', error: '' });
    expect(await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))))).toEqual(before);
    expect([...node2!.warnings, ...node3!.warnings]).toEqual([]);
  });
});
