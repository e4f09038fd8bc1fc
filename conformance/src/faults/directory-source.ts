// The smallest honest BackupSource: each collection is a folder of files,
// snapshotted by hard links and restored by renaming a staged folder into
// place. The fault suite needs a real engine over real files, not a store.
import { randomBytes, createHash } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupSource, CollectionInfo, CollectionSnapshot, RestoreTarget, SnapshotFile } from '@backup/core';

export class DirectorySource implements BackupSource {
  readonly nodeName: string;
  readonly #root: string;

  constructor(root: string, nodeName = 'node1') {
    this.#root = root;
    this.nodeName = nodeName;
  }

  #collection(name: string): string {
    return join(this.#root, 'collections', name);
  }

  /** Creates collection `name` with `files` (relative path → bytes). */
  async create(name: string, files: Readonly<Record<string, Buffer>>): Promise<void> {
    for (const [path, bytes] of Object.entries(files)) {
      const target = join(this.#collection(name), 'shard0', path);
      await mkdir(join(target, '..'), { recursive: true });
      await writeFile(target, bytes);
    }
  }

  /** sha256 of every file of `name`, by path; undefined if the collection does not exist. */
  async digest(name: string): Promise<Record<string, string> | undefined> {
    if (!(await this.collectionExists(name))) return undefined;
    const out: Record<string, string> = {};
    for (const file of await listFiles(this.#collection(name))) {
      out[file.path] = createHash('sha256')
        .update(await readFile(join(this.#collection(name), file.path)))
        .digest('hex');
    }
    return out;
  }

  async drop(name: string): Promise<void> {
    await rm(this.#collection(name), { recursive: true, force: true });
  }

  async listCollections(): Promise<CollectionInfo[]> {
    const names = await readdir(join(this.#root, 'collections')).catch(() => [] as string[]);
    return names.map((name) => ({ name, multiTenant: false, shards: [{ name: 'shard0', status: 'HOT', node: this.nodeName }] }));
  }

  async collectionExists(name: string): Promise<boolean> {
    return (await stat(this.#collection(name)).catch(() => undefined))?.isDirectory() ?? false;
  }

  async snapshot(collection: string): Promise<CollectionSnapshot> {
    const root = join(this.#root, 'snapshots', `${collection}-${randomBytes(4).toString('hex')}`);
    const files = await listFiles(this.#collection(collection));
    for (const file of files) {
      await mkdir(join(root, file.path, '..'), { recursive: true });
      await link(join(this.#collection(collection), file.path), join(root, file.path));
    }
    let released = false;
    return {
      collection,
      metadata: { name: collection },
      root,
      files,
      shards: [{ shard: 'shard0', status: 'HOT', writerStallMs: 0 }],
      skipped: [],
      release: async () => {
        if (released) return;
        released = true;
        await rm(root, { recursive: true, force: true });
      },
    };
  }

  async prepareRestore(collection: string): Promise<RestoreTarget> {
    const directory = join(this.#root, 'staging', `${collection}-${randomBytes(4).toString('hex')}`);
    await mkdir(directory, { recursive: true });
    return {
      directory,
      commit: async () => {
        await mkdir(join(this.#root, 'collections'), { recursive: true });
        await rename(directory, this.#collection(collection));
      },
      abort: () => rm(directory, { recursive: true, force: true }),
    };
  }
}

async function listFiles(root: string, prefix = ''): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else if (entry.isFile()) out.push({ path, size: (await stat(join(root, path))).size, shard: path.split('/')[0] ?? 'shard0' });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
