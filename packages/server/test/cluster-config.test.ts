// The cluster's environment variables: what a node reads, and the start-up
// refusals (CONFIG, naming the variable) for a join list it cannot use.
import { BackupError } from '@backup/core';
import { expect, test } from 'vitest';
import { resolveClusterConfig } from '../src/cluster/cluster-config.ts';
import { placeShards } from '../src/cluster/placement.ts';
import { startTestServer } from './helpers.ts';

const JOIN = 'node1=http://10.0.0.1:8080,node2=http://10.0.0.2:8080/,node3=https://node3.internal';

test('CLUSTER_JOIN lists the other nodes (the entry naming this node is skipped); the secret falls back to the first API key', () => {
  const config = resolveClusterConfig({ CLUSTER_JOIN: JOIN, BACKUP_PARTICIPANT_TIMEOUT_MS: '5000' }, 'node2', ['key-a', 'key-b']);
  expect(config.peers).toEqual([
    { name: 'node1', url: 'http://10.0.0.1:8080' },
    { name: 'node3', url: 'https://node3.internal' },
  ]);
  expect(config.nodes).toEqual(['node1', 'node2', 'node3']);
  expect(config.secret).toBe('key-a');
  expect(config.participantTimeoutMs).toBe(5000);
  expect(resolveClusterConfig({ CLUSTER_JOIN: JOIN, CLUSTER_SECRET: 's' }, 'node1', ['key-a']).secret).toBe('s');
  // No join list: a single node, whatever else is set.
  expect(resolveClusterConfig({}, 'solo', []).peers).toEqual([]);
});

test('a join list it cannot use stops start-up with CONFIG naming the variable', async () => {
  const refused = (env: NodeJS.ProcessEnv, name: string) => {
    let error: unknown;
    try {
      resolveClusterConfig(env, 'node1', []);
    } catch (caught) {
      error = caught;
    }
    expect(BackupError.is(error, 'CONFIG'), JSON.stringify(env)).toBe(true);
    expect((error as Error).message).toContain(name);
  };
  refused({ CLUSTER_JOIN: JOIN }, 'CLUSTER_SECRET');
  refused({ CLUSTER_JOIN: 'node2', CLUSTER_SECRET: 's' }, 'CLUSTER_JOIN');
  refused({ CLUSTER_JOIN: 'node2=ftp://x', CLUSTER_SECRET: 's' }, 'CLUSTER_JOIN');
  refused({ CLUSTER_JOIN: 'node2=http://a:1,node2=http://b:1', CLUSTER_SECRET: 's' }, 'CLUSTER_JOIN');
  refused({ CLUSTER_JOIN: 'bad/name=http://a:1', CLUSTER_SECRET: 's' }, 'CLUSTER_JOIN');
  refused({ BACKUP_PARTICIPANT_TIMEOUT_MS: 'soon' }, 'BACKUP_PARTICIPANT_TIMEOUT_MS');
  await expect(startTestServer({ CLUSTER_JOIN: 'node2=http://127.0.0.1:1' })).rejects.toSatisfy((error) => BackupError.is(error, 'CONFIG'));
});

test('placement is the same whatever order the nodes are listed in: shard i on the i mod n-th node by name', () => {
  const place = placeShards(['c', 'a', 'b']);
  expect([0, 1, 2, 3].map((index) => place({ shard: `shard-${index}`, index }))).toEqual(['a', 'b', 'c', 'a']);
  expect(place({ shard: 'tenant-x' })).toBe(placeShards(['b', 'c', 'a'])({ shard: 'tenant-x' }));
});
