/**
 * The store: a folder of collections, each a set of LSM shards. Implements
 * `BackupSource`, so the backup engine can snapshot and restore collections
 * while the store keeps serving reads and writes.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type BackupSource, type CollectionMetadata, type CollectionSnapshot, type RestoreTarget, BackupError, ErrorCode, throwIfAborted } from '@backup/core';
import { Collection, type StoreContext } from './collection.ts';
import {
  type CollectionDescriptor,
  COLLECTION_NAME,
  newDescriptor,
  normalizeSchema,
  parseDescriptor,
  readDescriptor,
  remapPlacement,
  writeDescriptor,
} from './descriptor.ts';
import { alreadyExists, conflict, invalid, ioError, notFound } from './errors.ts';
import { exists, listDirectory, remove, syncDirectory, syncTree } from './fs-util.ts';
import { COLLECTION_FILE, Layout } from './layout.ts';
import { EMPTY_MANIFEST, writeManifest } from './manifest.ts';
import { Mutex } from './mutex.ts';
import { OBJECTS_BUCKET } from './object-codec.ts';
import type { MutableRecoveryStats } from './shard-recovery.ts';
import { Shard, type ShardOptions } from './shard.ts';
import { HeldSnapshot } from './snapshot.ts';
import { StagedRestore } from './restore-target.ts';
import { StoreLock } from './store-lock.ts';
import type { CollectionDescription, CollectionSchema, RecoveryStats, StoreOptions } from './types.ts';

/** Defaults of {@link StoreOptions}. */
export const STORE_DEFAULTS = {
  nodeName: 'node1',
  memtableBytes: 4 * 1024 * 1024,
  blockBytes: 16 * 1024,
  compactionTrigger: 4,
  bloomBitsPerKey: 10,
  syncWrites: true,
  autoCompact: true,
} as const;

/**
 * An LSM store of collections.
 *
 * ```ts
 * const store = await Store.open({ path: '/var/lib/mystore', nodeName: 'node1' });
 * const articles = await store.createCollection({ class: 'Article', properties: [{ name: 'title', dataType: ['text'] }] });
 * await articles.put('0b8f...', { properties: { title: 'Hello' }, vector: [0.1, 0.2] });
 * const snapshot = await store.snapshot('Article'); // BackupSource
 * ```
 *
 * One `Store` at a time may open a folder (a `LOCK` file enforces it).
 */
export class Store implements BackupSource {
  readonly nodeName: string;
  /** Absolute path of the store folder. */
  readonly path: string;
  readonly #layout: Layout;
  readonly #context: StoreContext;
  readonly #stats: MutableRecoveryStats;
  readonly #collections = new Map<string, Collection>();
  readonly #lock = new Mutex();
  readonly #folderLock: StoreLock;
  #closed = false;

  private constructor(layout: Layout, context: StoreContext, stats: MutableRecoveryStats, folderLock: StoreLock) {
    this.path = layout.root;
    this.nodeName = context.nodeName;
    this.#layout = layout;
    this.#context = context;
    this.#stats = stats;
    this.#folderLock = folderLock;
  }

  /**
   * Opens (creating if needed) the store at `options.path`: takes the
   * folder's lock (`<path>/LOCK`), removes scratch left by a crash
   * (half-created collections, unreleased snapshots, uncommitted restores),
   * then opens every collection, replaying WALs. Rejects with CONFLICT while
   * another live process, or another open `Store` of this process, holds the
   * folder; a lock left by a process that died is taken over.
   */
  static async open(options: StoreOptions): Promise<Store> {
    if (typeof options?.path !== 'string' || options.path === '') throw invalid('Store.open needs a path');
    const stats: MutableRecoveryStats = { walRecordsReplayed: 0, tornWalTails: 0, tornWalBytes: 0, leftoversRemoved: 0 };
    const shardOptions: ShardOptions = {
      memtableBytes: positive(options.memtableBytes ?? STORE_DEFAULTS.memtableBytes, 'memtableBytes'),
      blockBytes: positive(options.blockBytes ?? STORE_DEFAULTS.blockBytes, 'blockBytes'),
      compactionTrigger: Math.max(2, positive(options.compactionTrigger ?? STORE_DEFAULTS.compactionTrigger, 'compactionTrigger')),
      bloomBitsPerKey: positive(options.bloomBitsPerKey ?? STORE_DEFAULTS.bloomBitsPerKey, 'bloomBitsPerKey'),
      syncWrites: options.syncWrites ?? STORE_DEFAULTS.syncWrites,
      autoCompact: options.autoCompact ?? STORE_DEFAULTS.autoCompact,
      countedBucket: OBJECTS_BUCKET,
      log: options.log ?? (() => undefined),
      stats,
    };
    const layout = new Layout(options.path);
    let folderLock: StoreLock;
    try {
      await fsp.mkdir(layout.root, { recursive: true });
      folderLock = await StoreLock.acquire(layout.root);
    } catch (error) {
      throw ioError(error, `open store ${layout.root}`);
    }
    const context: StoreContext = {
      layout,
      nodeName: options.nodeName ?? STORE_DEFAULTS.nodeName,
      shardOptions,
      placeShard: options.placeShard,
    };
    const store = new Store(layout, context, stats, folderLock);
    try {
      await fsp.mkdir(layout.collections, { recursive: true });
      for (const dir of Object.values(layout.scratch)) {
        const leftovers = await listDirectory(dir);
        stats.leftoversRemoved += leftovers.length;
        await remove(dir);
        await fsp.mkdir(dir, { recursive: true });
      }
      for (const name of (await listDirectory(layout.collections)).sort()) {
        const dir = layout.collection(name);
        if (!(await exists(path.join(dir, COLLECTION_FILE)))) {
          // Only complete collections are ever renamed in, so this is not ours: leave it alone.
          shardOptions.log(`ignoring ${dir}: no ${COLLECTION_FILE}`);
          continue;
        }
        const descriptor = await readDescriptor(dir);
        if (descriptor.schema.class !== name) throw new BackupError(ErrorCode.CORRUPT, `${dir} holds collection '${descriptor.schema.class}'`);
        store.#collections.set(name, await Collection.load(store.#context, descriptor));
      }
    } catch (error) {
      await store.close().catch(() => undefined);
      throw ioError(error, `open store ${layout.root}`);
    }
    return store;
  }

  /** What recovery found when the store was opened (torn WAL tails, removed leftovers). */
  get recovery(): RecoveryStats {
    return { ...this.#stats };
  }

  /** This store as the engine's `BackupSource` (the store implements it itself). */
  backupSource(): BackupSource {
    return this;
  }

  /** Every collection with its schema, shards and their statuses, by name. */
  async listCollections(): Promise<CollectionDescription[]> {
    this.#assertOpen();
    return [...this.#collections.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((collection) => ({ name: collection.name, multiTenant: collection.multiTenant, shards: collection.shardInfo(), schema: collection.schema }));
  }

  async collectionExists(name: string): Promise<boolean> {
    this.#assertOpen();
    return this.#collections.has(name);
  }

  /** The collection called `name` (exact spelling), or undefined. */
  getCollection(name: string): Collection | undefined {
    this.#assertOpen();
    return this.#collections.get(name);
  }

  /**
   * Creates a collection from a Weaviate-style class definition. Atomic: the
   * collection folder is built aside and renamed into place. Rejects with
   * ALREADY_EXISTS when a collection of that name (in any letter case) exists,
   * INVALID_ARGUMENT for a bad schema.
   */
  createCollection(schema: CollectionSchema): Promise<Collection> {
    return this.#lock.run(async () => {
      this.#assertOpen();
      const normalized = normalizeSchema(schema);
      this.#assertNameFree(normalized.class);
      const descriptor = newDescriptor(normalized, this.#context.placeShard);
      const staging = path.join(this.#layout.scratch.tmp, randomUUID());
      try {
        await fsp.mkdir(staging, { recursive: true });
        for (const shard of localShards(descriptor, this.nodeName)) {
          await fsp.mkdir(path.join(staging, shard));
          await writeManifest(path.join(staging, shard), EMPTY_MANIFEST);
        }
        await this.#installFolder(staging, descriptor);
      } catch (error) {
        await remove(staging);
        throw ioError(error, `create collection ${normalized.class}`);
      }
      const collection = await Collection.load(this.#context, descriptor);
      this.#collections.set(collection.name, collection);
      return collection;
    });
  }

  /** Deletes a collection with all its data (offloaded tenants too). Rejects with NOT_FOUND if absent. */
  deleteCollection(name: string): Promise<void> {
    return this.#lock.run(async () => {
      this.#assertOpen();
      const collection = this.#collections.get(name);
      if (collection === undefined) throw notFound(`collection ${name} does not exist`);
      this.#collections.delete(name);
      await collection.close().catch(() => undefined);
      const trash = path.join(this.#layout.scratch.trash, randomUUID());
      try {
        // One rename takes it out of sight; the slow delete happens in the trash.
        await fsp.rename(this.#layout.collection(name), trash);
        await syncDirectory(this.#layout.collections);
        await remove(this.#layout.offloaded(name));
        await remove(trash);
      } catch (error) {
        throw ioError(error, `delete collection ${name}`);
      }
    });
  }

  /**
   * `BackupSource.snapshot`: freezes every local shard of `collection` into
   * `<store>/snapshots/<id>/<shard>/...` (hard links; HOT shards are flushed
   * first, COLD ones taken as they are, FROZEN ones skipped). The snapshot's
   * `metadata` is the collection descriptor (schema, shard names, tenant
   * statuses without the FROZEN tenants).
   */
  async snapshot(collection: string, options: { signal?: AbortSignal } = {}): Promise<CollectionSnapshot> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'snapshot');
    const target = this.#collections.get(collection);
    if (target === undefined) throw notFound(`collection ${collection} does not exist`);
    const root = path.join(this.#layout.scratch.snapshots, randomUUID());
    try {
      await fsp.mkdir(root, { recursive: true });
      const frozen = await target.freeze(root, options.signal);
      return new HeldSnapshot({ collection, root, ...frozen });
    } catch (error) {
      await remove(root);
      throw ioError(error, `snapshot ${collection}`);
    }
  }

  /**
   * `BackupSource.prepareRestore`: a staging folder inside the store (same
   * file system). `commit(metadata)` checks the staged shards, writes the
   * descriptor next to them, fsyncs everything, then renames the folder into
   * `collections/` in one step and opens it. A crash before the rename leaves
   * only scratch, removed at the next open. Rejects with ALREADY_EXISTS if the
   * collection exists.
   */
  async prepareRestore(
    collection: string,
    options: { signal?: AbortSignal; nodeMapping?: Readonly<Record<string, string>> | undefined } = {},
  ): Promise<RestoreTarget> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'prepare restore');
    if (!COLLECTION_NAME.test(collection)) throw invalid(`invalid collection name '${collection}'`);
    this.#assertNameFree(collection);
    const directory = path.join(this.#layout.scratch.restoring, randomUUID());
    await fsp.mkdir(directory, { recursive: true });
    return new StagedRestore(directory, (metadata) => this.#commitRestore(collection, directory, metadata, options.nodeMapping));
  }

  /** Flushes every open shard of every collection. */
  async flush(): Promise<void> {
    this.#assertOpen();
    await Promise.all([...this.#collections.values()].map((c) => c.flush()));
  }

  /** Fully compacts every open shard. */
  async compact(): Promise<void> {
    this.#assertOpen();
    await Promise.all([...this.#collections.values()].map((c) => c.compact()));
  }

  /**
   * Flushes and closes everything, then releases the folder's lock.
   * Unreleased snapshots are removed at the next open.
   */
  close(): Promise<void> {
    return this.#lock.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      const results = await Promise.allSettled([...this.#collections.values()].map((c) => c.close()));
      this.#collections.clear();
      // Released even when a shard failed to close: its files are as consistent as a crash would leave them.
      results.push(...(await Promise.allSettled([this.#folderLock.release()])));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw ioError((failed as PromiseRejectedResult).reason, `close store ${this.path}`);
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw conflict(`store ${this.path} is closed`);
  }

  #assertNameFree(name: string): void {
    const lower = name.toLowerCase();
    for (const existing of this.#collections.keys()) {
      if (existing.toLowerCase() === lower) throw alreadyExists(`collection ${existing} already exists`);
    }
  }

  /** Writes the descriptor into a complete staged folder, fsyncs it, and renames it into place. */
  async #installFolder(staging: string, descriptor: CollectionDescriptor): Promise<void> {
    const target = this.#layout.collection(descriptor.schema.class);
    if (await exists(target)) throw alreadyExists(`collection folder ${target} exists`);
    await writeDescriptor(staging, descriptor);
    await syncTree(staging);
    await fsp.rename(staging, target);
    await syncDirectory(this.#layout.collections);
  }

  #commitRestore(name: string, directory: string, metadata: CollectionMetadata, nodeMapping: Readonly<Record<string, string>> | undefined): Promise<void> {
    return this.#lock.run(async () => {
      this.#assertOpen();
      this.#assertNameFree(name);
      if (!(await exists(directory))) throw notFound(`restore staging ${directory} is gone`);
      const raw = metadata as { schema?: CollectionSchema; tenants?: unknown };
      // Shards recorded on a node of the backup's cluster are now on the node it maps to.
      let descriptor = remapPlacement(parseDescriptor({ ...metadata, schema: { ...raw.schema, class: name } }, `metadata of ${name}`), nodeMapping);
      // FROZEN tenants have no files in a backup; they are not recreated.
      descriptor = { ...descriptor, tenants: descriptor.tenants.filter((t) => t.activityStatus !== 'FROZEN') };
      const shards = localShards(descriptor, this.nodeName);
      try {
        for (const shard of shards) {
          // Opening verifies manifest and segments (and replays WAL files of COLD shards), closing flushes.
          const probe = await Shard.open(path.join(directory, shard), { ...this.#context.shardOptions, autoCompact: false });
          await probe.close();
        }
        await this.#installFolder(directory, descriptor);
      } catch (error) {
        throw ioError(error, `restore ${name}`);
      }
      const collection = await Collection.load(this.#context, descriptor);
      this.#collections.set(name, collection);
    });
  }
}

/** The shards (or tenants) of `descriptor` placed on `node`: the ones with folders here. */
function localShards(descriptor: CollectionDescriptor, node: string): string[] {
  const all = descriptor.schema.multiTenancyConfig?.enabled === true ? descriptor.tenants.map((t) => t.name) : descriptor.shards;
  return all.filter((shard) => (descriptor.placement?.[shard] ?? node) === node);
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw invalid(`${name} must be a positive number`);
  return value;
}
