// Failures of a 3-process cluster backing up to MinIO: a participant killed
// (SIGKILL) in phase 1, during upload and during restore staging, the
// coordinator killed mid-backup, a participant unreachable behind a proxy
// that drops its traffic, and a cancel while every node uploads. Each ends
// FAILED (or CANCELED) with a reason naming the node, leaves no object under
// the backup id but its final global descriptor, no pending multipart upload,
// no snapshot held and no collection half-restored.
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { freePorts } from '@backup/test-emulators/free-ports';
import { killCluster, startCluster, type Answer, type ClusterNode } from '../src/cluster-processes.ts';
import { finalStatus, objectId, scratchRoot, sleep, statusWhere, uniqueId } from '../src/cluster-support.ts';
import { providerEnv } from '../src/providers.ts';
import { TcpProxy } from '../src/tcp-proxy.ts';

const NAMES = ['node1', 'node2', 'node3'];
/** How long a participant waits for its coordinator, and the coordinator for a silent participant. */
const TIMEOUT_MS = 4_000;
/** Slow enough that an upload or download of a node's ~10 MiB is surely in flight when it is killed. */
const SLOW = { kind: 'throttle', bytesPerSecond: 2 * 1024 * 1024 } as const;
const PASS = { kind: 'pass' } as const;
/** Uncompressed, so each node's chunk is larger than one S3 part (8 MiB) and is a multipart upload. */
const BACKUP_CONFIG = { CompressionLevel: 'NoCompression' };
const TRIALS = 3;

describe('failures of a 3-process cluster', { timeout: 180_000 }, () => {
  const emulators = inject('emulators');
  const root = scratchRoot('failures');
  const env = providerEnv(emulators, join(root, 'filesystem'));
  const s3 = new S3Client({
    endpoint: `http://${emulators.s3.endpoint}`,
    region: emulators.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: emulators.s3.accessKeyId, secretAccessKey: emulators.s3.secretAccessKey },
  });
  /** Each node's way to MinIO, and the others' way to each node. */
  const storage = new Map<string, TcpProxy>();
  const links = new Map<string, TcpProxy>();
  let nodes: ClusterNode[] = [];
  const node = (name: string): ClusterNode => nodes.find((candidate) => candidate.name === name)!;

  beforeAll(async () => {
    const [minioHost, minioPort] = emulators.s3.endpoint.split(':') as [string, string];
    const ports = await freePorts(NAMES.length);
    for (const [i, name] of NAMES.entries()) {
      storage.set(name, await TcpProxy.start(minioHost, Number(minioPort)));
      links.set(name, await TcpProxy.start('127.0.0.1', ports[i]!));
    }
    nodes = await startCluster({
      names: NAMES,
      root: join(root, 'cluster'),
      env,
      ports: Object.fromEntries(NAMES.map((name, i) => [name, ports[i]!])),
      envOf: (name) => ({ BACKUP_S3_ENDPOINT: storage.get(name)!.hostPort }),
      joinUrl: (name) => `http://${links.get(name)!.hostPort}`,
      participantTimeoutMs: TIMEOUT_MS,
    });
    expect((await nodes[0]!.call('POST', '/schema', { class: 'Heavy' })).status).toBe(200);
    // ~10 MiB per node, in batches well below the request size limit.
    for (let batch = 0; batch < 10; batch++) {
      const objects = Array.from({ length: 15 }, (_, i) => ({
        class: 'Heavy',
        id: objectId(9, batch * 15 + i),
        properties: { body: randomBytes(150_000).toString('base64') },
      }));
      const answer = await nodes[batch % 3]!.call('POST', '/batch/objects', { objects });
      expect(answer.body.every((entry: { result: object }) => Object.keys(entry.result).length === 0)).toBe(true);
    }
  });

  afterAll(async () => {
    await killCluster(nodes);
    for (const proxy of [...storage.values(), ...links.values()]) await proxy.close();
    s3.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  /** Every key of the backup in the bucket, relative to its folder. */
  async function keysOf(id: string): Promise<string[]> {
    const prefix = `${env.BACKUP_S3_PATH}/${id}/`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: emulators.s3.bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((object) => object.Key!.slice(prefix.length));
  }

  async function pendingUploads(id: string): Promise<number> {
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: emulators.s3.bucket, Prefix: `${env.BACKUP_S3_PATH}/${id}/` }));
    return (listed.Uploads ?? []).length;
  }

  function held(name: string, scratch: 'snapshots' | 'restoring'): string[] {
    try {
      return readdirSync(join(node(name).dataPath, scratch));
    } catch {
      return [];
    }
  }

  /**
   * Waits (each node may still be finishing its own abort) until only the
   * final global descriptor is left of backup `id`, no multipart upload is
   * pending and no running node holds a snapshot or staged files.
   */
  async function expectClean(id: string, options: { backupKept?: boolean } = {}, deadlineMs = 30_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const keys = options.backupKept ? [] : await keysOf(id);
      const uploads = await pendingUploads(id);
      const scratch = NAMES.flatMap((name) => [...held(name, 'snapshots'), ...held(name, 'restoring')].map((entry) => `${name}:${entry}`));
      const leftovers = keys.filter((key) => key !== 'backup_config.json' && key !== 'restore_config.json');
      if (leftovers.length === 0 && uploads === 0 && scratch.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`backup ${id} not cleaned up: keys ${leftovers.join(', ')}; ${uploads} multipart uploads; held ${scratch.join(', ')}`);
      }
      await sleep(100);
    }
  }

  /** Waits until `proxy` has passed at least `bytes` more bytes than `from`. */
  async function flowed(proxy: TcpProxy, from: number, bytes: number, deadlineMs = 30_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (proxy.bytes - from < bytes) {
      if (Date.now() > deadline) throw new Error(`only ${proxy.bytes - from} bytes went through`);
      await sleep(10);
    }
  }

  function setStorage(mode: typeof SLOW | typeof PASS, ...names: string[]): void {
    for (const name of names) storage.get(name)!.mode = mode;
  }

  async function startBackup(coordinator: ClusterNode, id: string): Promise<Answer> {
    return coordinator.call('POST', '/backups/s3', { id, include: ['Heavy'], config: BACKUP_CONFIG });
  }

  test('a participant killed in phase 1: the backup is refused or FAILED naming it, nothing is left', async () => {
    const victim = node('node3');
    const id = uniqueId('phase1');
    // Frozen, so the can-commit reaches it and waits; killed once it has arrived.
    victim.child.kill('SIGSTOP');
    const link = links.get('node3')!;
    const before = link.bytes;
    const pending = startBackup(node('node1'), id);
    await flowed(link, before, 1);
    await victim.kill();
    const answer = await pending;
    if (answer.status === 200) {
      const done = await finalStatus(node('node1'), `/backups/s3/${id}`);
      expect(done.body.status).toBe('FAILED');
      expect(done.body.error).toMatch(/node3/);
    } else {
      expect(answer.status).toBeGreaterThanOrEqual(422);
      expect(answer.body.error[0].message).toMatch(/node3/);
      expect([404, 200]).toContain((await node('node1').call('GET', `/backups/s3/${id}`)).status);
    }
    await victim.restart();
    await expectClean(id);
    const status = await node('node1').call('GET', `/backups/s3/${id}`);
    if (status.status === 200) expect(status.body.status).toBe('FAILED');
  });

  test('a participant killed while it uploads: FAILED naming it, chunks and multipart uploads removed, snapshots released', async () => {
    for (let trial = 1; ; trial++) {
      const id = uniqueId('upload');
      const proxy = storage.get('node3')!;
      setStorage(SLOW, 'node3');
      const from = proxy.bytes;
      expect((await startBackup(node('node1'), id)).status).toBe(200);
      await statusWhere(node('node1'), `/backups/s3/${id}`, (status) => status !== 'STARTED');
      await flowed(proxy, from, 1024 * 1024);
      const status = (await node('node1').call('GET', `/backups/s3/${id}`)).body.status;
      await node('node3').kill();
      setStorage(PASS, 'node3');
      const done = await finalStatus(node('node1'), `/backups/s3/${id}`);
      await node('node3').restart();
      if (done.body.status === 'SUCCESS' && trial < TRIALS) continue; // the window was missed: another trial
      expect(status).toBe('TRANSFERRING');
      expect(done.body.status).toBe('FAILED');
      expect(done.body.error).toMatch(/node3/);
      await expectClean(id);
      return;
    }
  });

  test('the coordinator killed mid-backup: the participants abort on their own; restarted, it records FAILED', async () => {
    const id = uniqueId('coordinator');
    // Every node uploads slowly, so node2 and node3 are mid-upload when node1 dies.
    setStorage(SLOW, ...NAMES);
    try {
      const from = NAMES.map((name) => storage.get(name)!.bytes);
      expect((await startBackup(node('node1'), id)).status).toBe(200);
      await statusWhere(node('node1'), `/backups/s3/${id}`, (status) => status === 'TRANSFERRING');
      await Promise.all(NAMES.map((name, i) => flowed(storage.get(name)!, from[i]!, 512 * 1024)));
      await node('node1').kill();
      expect(held('node2', 'snapshots').length + held('node3', 'snapshots').length).toBeGreaterThan(0);
      // Nobody tells node2 and node3: they hear nothing for TIMEOUT_MS, abort, release and remove their part.
      const deadline = Date.now() + 30_000;
      while (held('node2', 'snapshots').length + held('node3', 'snapshots').length > 0) {
        if (Date.now() > deadline) throw new Error('the participants still hold snapshots of a backup whose coordinator died');
        await sleep(50);
      }
    } finally {
      setStorage(PASS, ...NAMES);
    }
    await node('node1').restart();
    const done = await finalStatus(node('node1'), `/backups/s3/${id}`);
    expect(done.body.status).toBe('FAILED');
    expect(done.body.error).toMatch(/node1/);
    await expectClean(id);
  });

  test('a participant unreachable (its traffic dropped) longer than the timeout: FAILED naming it; it aborts on its own', async () => {
    const id = uniqueId('unreachable');
    setStorage(SLOW, 'node3');
    expect((await startBackup(node('node2'), id)).status).toBe(200);
    await statusWhere(node('node2'), `/backups/s3/${id}`, (status) => status === 'TRANSFERRING');
    links.get('node3')!.mode = { kind: 'drop' };
    try {
      const done = await finalStatus(node('node2'), `/backups/s3/${id}`);
      expect(done.body.status).toBe('FAILED');
      expect(done.body.error).toMatch(/node3/);
      setStorage(PASS, 'node3');
      await expectClean(id);
    } finally {
      links.get('node3')!.mode = PASS;
      setStorage(PASS, 'node3');
    }
  });

  test('a cancel sent to the coordinator while every node uploads: CANCELED, nothing left', async () => {
    const id = uniqueId('cancel');
    setStorage(SLOW, ...NAMES);
    const from = NAMES.map((name) => storage.get(name)!.bytes);
    try {
      const started = await startBackup(node('node2'), id);
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      await statusWhere(node('node2'), `/backups/s3/${id}`, (status) => status === 'TRANSFERRING');
      await Promise.all(NAMES.map((name, i) => flowed(storage.get(name)!, from[i]!, 512 * 1024)));
      expect((await node('node2').call('DELETE', `/backups/s3/${id}`)).status).toBe(204);
      const done = await finalStatus(node('node2'), `/backups/s3/${id}`);
      expect(done.body.status).toBe('CANCELED');
    } finally {
      setStorage(PASS, ...NAMES);
    }
    await expectClean(id);
  });

  test('a participant killed while it stages a restore: FAILED naming it, the class restored on no node', async () => {
    const id = uniqueId('restore');
    expect((await startBackup(node('node1'), id)).status).toBe(200);
    expect((await finalStatus(node('node1'), `/backups/s3/${id}`)).body.status).toBe('SUCCESS');
    for (let trial = 1; ; trial++) {
      expect((await node('node2').call('DELETE', '/schema/Heavy')).status).toBe(200);
      const proxy = storage.get('node3')!;
      setStorage(SLOW, 'node3');
      const from = proxy.bytes;
      expect((await node('node1').call('POST', `/backups/s3/${id}/restore`, {})).status).toBe(200);
      await statusWhere(node('node1'), `/backups/s3/${id}/restore`, (status) => status === 'TRANSFERRING');
      await flowed(proxy, from, 1024 * 1024);
      const status = (await node('node1').call('GET', `/backups/s3/${id}/restore`)).body.status;
      await node('node3').kill();
      setStorage(PASS, 'node3');
      const done = await finalStatus(node('node1'), `/backups/s3/${id}/restore`);
      await node('node3').restart();
      if (done.body.status === 'SUCCESS' && trial < TRIALS) continue;
      expect(status).toBe('TRANSFERRING');
      expect(done.body.status).toBe('FAILED');
      expect(done.body.error).toMatch(/node3/);
      for (const name of NAMES) expect((await node(name).local('GET', '/schema/Heavy')).status, name).toBe(404);
      await expectClean(id, { backupKept: true });
      return;
    }
  });
});
