/**
 * A collection: objects routed to shards (by a hash of the id, or by tenant),
 * tenant lifecycle (HOT / COLD / FROZEN) and the per-collection half of the
 * snapshot protocol.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import { type CollectionMetadata, type ShardInfo, type ShardSnapshotReport, type SkippedShard, type SnapshotFile, throwIfAborted } from '@backup/core';
import { freezeClosedShard } from './closed-shard.ts';
import { type CollectionDescriptor, type PlaceShard, TENANT_NAME, isMultiTenant, validateTenant, writeDescriptor } from './descriptor.ts';
import { alreadyExists, conflict, invalid, ioError, notFound } from './errors.ts';
import { exists, listDirectory, remove, syncDirectory } from './fs-util.ts';
import type { Layout } from './layout.ts';
import { COLLECTION_FILE } from './layout.ts';
import { EMPTY_MANIFEST, isSegmentFileName, writeManifest } from './manifest.ts';
import { compareKeys } from './entry.ts';
import { mergeEntries } from './merge.ts';
import { Mutex } from './mutex.ts';
import { OBJECTS_BUCKET, VECTORS_BUCKET, decodeObject, encodeObject, encodeVector, idKey } from './object-codec.ts';
import { Shard, type ShardOptions } from './shard.ts';
import type { ShardFreeze } from './shard-snapshot.ts';
import type { CollectionSchema, ObjectInput, PropertySchema, ScanOptions, StoredObject, Tenant, TenantOption, TenantStatus } from './types.ts';

/** What a collection needs from its store. @internal */
export interface StoreContext {
  readonly layout: Layout;
  readonly nodeName: string;
  readonly shardOptions: ShardOptions;
  /** See `StoreOptions.placeShard`. */
  readonly placeShard?: PlaceShard | undefined;
}

/** The part of a snapshot one collection contributes. @internal */
export interface CollectionFreeze {
  readonly metadata: CollectionMetadata;
  readonly files: SnapshotFile[];
  readonly shards: ShardSnapshotReport[];
  readonly skipped: SkippedShard[];
}

const DEFAULT_SCAN_LIMIT = 100;

/**
 * A handle on one collection of a {@link Store}. Obtain it from
 * `store.getCollection(name)` or `store.createCollection(schema)`.
 *
 * Errors (all `BackupError`):
 * - `NOT_FOUND`: the collection was deleted, or the tenant does not exist.
 * - `INVALID_ARGUMENT`: a bad id, object or tenant name; a tenant given on a
 *   single-tenant collection or missing on a multi-tenant one.
 * - `CONFLICT`: the tenant exists but is not HOT (COLD or FROZEN).
 */
export class Collection {
  readonly name: string;
  readonly #context: StoreContext;
  #descriptor: CollectionDescriptor;
  readonly #open = new Map<string, Shard>();
  readonly #lock = new Mutex();
  #dropped = false;

  private constructor(context: StoreContext, descriptor: CollectionDescriptor) {
    this.name = descriptor.schema.class;
    this.#context = context;
    this.#descriptor = descriptor;
  }

  /**
   * Opens a collection whose descriptor is already installed: moves tenant
   * folders to match their recorded status (finishing or undoing a move a
   * crash interrupted), removes folders of no shard, opens HOT shards.
   * @internal
   */
  static async load(context: StoreContext, descriptor: CollectionDescriptor): Promise<Collection> {
    const collection = new Collection(context, descriptor);
    await collection.#reconcile();
    try {
      for (const { name, status } of collection.#shardList()) {
        if (status === 'HOT') collection.#open.set(name, await Shard.open(collection.#shardDir(name), context.shardOptions));
      }
    } catch (error) {
      await collection.close().catch(() => undefined);
      throw error;
    }
    return collection;
  }

  /** The schema as stored (defaults filled in). */
  get schema(): CollectionSchema {
    return this.#descriptor.schema;
  }

  get multiTenant(): boolean {
    return isMultiTenant(this.#descriptor);
  }

  /**
   * The node that holds the object `id` (of `tenant`): the recorded placement
   * of its shard, else this node. A cluster routes requests with it.
   */
  nodeFor(id: string, options: TenantOption = {}): string {
    if (this.multiTenant) return this.#nodeOf(options.tenant ?? '');
    const shards = this.#descriptor.shards;
    return this.#nodeOf(shards[crc32(idKey(id)) % shards.length]!);
  }

  #nodeOf(shard: string): string {
    return this.#descriptor.placement?.[shard] ?? this.#context.nodeName;
  }

  #isLocal(shard: string): boolean {
    return this.#nodeOf(shard) === this.#context.nodeName;
  }

  /** Stores `object` under `id`, replacing any earlier version. Resolves once durable. */
  put(id: string, object: ObjectInput, options: TenantOption = {}): Promise<void> {
    try {
      const key = idKey(id);
      const shard = this.#shardFor(key, options.tenant);
      return shard.write([
        { bucket: OBJECTS_BUCKET, key, value: encodeObject(object, Date.now()) },
        { bucket: VECTORS_BUCKET, key, value: encodeVector(object.vector) },
      ]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The object stored under `id`, or undefined. */
  async get(id: string, options: TenantOption = {}): Promise<StoredObject | undefined> {
    const key = idKey(id);
    const shard = this.#shardFor(key, options.tenant);
    const [data, vector] = await Promise.all([shard.get(OBJECTS_BUCKET, key), shard.get(VECTORS_BUCKET, key)]);
    return data === undefined ? undefined : decodeObject(id, data, vector, options.tenant);
  }

  /** True when an object is stored under `id`. */
  async exists(id: string, options: TenantOption = {}): Promise<boolean> {
    const key = idKey(id);
    return (await this.#shardFor(key, options.tenant).get(OBJECTS_BUCKET, key)) !== undefined;
  }

  /**
   * Deletes `id`; resolves (once durable) to whether it existed just before,
   * in the order of calls (a put called earlier counts, a later one not).
   */
  async delete(id: string, options: TenantOption = {}): Promise<boolean> {
    const key = idKey(id);
    return this.#shardFor(key, options.tenant).writeReporting([
      { bucket: OBJECTS_BUCKET, key, value: null },
      { bucket: VECTORS_BUCKET, key, value: null },
    ]);
  }

  /** Up to `limit` objects with ids after `after`, in id order (UTF-8 bytes), across all shards. */
  async scan(options: ScanOptions = {}): Promise<StoredObject[]> {
    const limit = options.limit ?? DEFAULT_SCAN_LIMIT;
    if (!Number.isInteger(limit) || limit < 0) throw invalid('limit must be a non-negative integer');
    const after = options.after === undefined ? undefined : idKey(options.after);
    const shards = this.#readableShards(options.tenant);
    if (limit === 0) return [];
    const found: FoundObject[] = [];
    const merged = mergeEntries(shards.map((shard, index) => tagged(index, shard.entries(OBJECTS_BUCKET, after))));
    try {
      for await (const entry of merged) {
        found.push(entry as FoundObject);
        if (found.length >= limit) break;
      }
    } finally {
      await merged.return(undefined);
    }
    const vectors = options.vectors === false ? [] : await vectorsOf(shards, found, after);
    return found.map(({ key, value }, i) => decodeObject(key.toString('utf8'), value, vectors[i], options.tenant));
  }

  /**
   * Number of objects (of the tenant, for multi-tenant collections). Exact,
   * and never a scan: shards keep their counts as they are written.
   */
  async count(options: TenantOption = {}): Promise<number> {
    const counts = await Promise.all(this.#readableShards(options.tenant).map((shard) => shard.liveKeys()));
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Number of objects per shard, by shard name: every shard of a
   * single-tenant collection; every HOT tenant of a multi-tenant one (only
   * `tenant` when given). COLD and FROZEN tenants are not opened to count
   * them and are left out. Never a scan.
   */
  async shardCounts(options: TenantOption = {}): Promise<Record<string, number>> {
    this.#assertLive();
    const names =
      this.multiTenant && options.tenant === undefined
        ? this.#shardList().flatMap(({ name, status }) => (status === 'HOT' ? [name] : []))
        : this.#readableShardNames(options.tenant);
    const shards = names.map((name) => this.#openShard(name));
    const counts = await Promise.all(shards.map((shard) => shard.liveKeys()));
    return Object.fromEntries(names.map((name, i) => [name, counts[i]!]));
  }

  /** Adds a property to the schema. Rejects with ALREADY_EXISTS if one has that name. */
  addProperty(property: PropertySchema): Promise<void> {
    return this.#lock.run(async () => {
      this.#assertLive();
      if (typeof property?.name !== 'string' || !Array.isArray(property.dataType)) throw invalid('a property needs a name and a dataType array');
      const properties = this.schema.properties ?? [];
      if (properties.some((p) => p.name.toLowerCase() === property.name.toLowerCase())) {
        throw alreadyExists(`property '${property.name}' of ${this.name} exists`);
      }
      await this.#saveDescriptor({ ...this.#descriptor, schema: { ...this.schema, properties: [...properties, property] } });
    });
  }

  /** The tenants and their statuses (empty for single-tenant collections). */
  listTenants(): Tenant[] {
    this.#assertLive();
    return this.#descriptor.tenants.map((t) => ({ ...t }));
  }

  /**
   * Adds tenants (status defaults to HOT). Tenants that already exist are
   * left as they are, as Weaviate does.
   */
  addTenants(tenants: readonly Partial<Tenant>[]): Promise<void> {
    return this.#lock.run(async () => {
      this.#assertMultiTenant();
      const wanted = uniqueTenants(tenants);
      const known = new Set(this.#descriptor.tenants.map((t) => t.name));
      const added = wanted.filter((t) => !known.has(t.name));
      const created: string[] = [];
      const place = this.#context.placeShard;
      const placement =
        place === undefined
          ? this.#descriptor.placement
          : { ...this.#descriptor.placement, ...Object.fromEntries(added.map((t) => [t.name, place({ collection: this.name, shard: t.name })])) };
      const withTenants: CollectionDescriptor = {
        ...this.#descriptor,
        tenants: [...this.#descriptor.tenants, ...added],
        ...(placement !== undefined ? { placement } : {}),
      };
      const local = (name: string): boolean => (withTenants.placement?.[name] ?? this.#context.nodeName) === this.#context.nodeName;
      try {
        // Folders first, descriptor last: a crash in between leaves folders the next open removes.
        for (const tenant of added) {
          if (!local(tenant.name)) continue;
          const dir = tenant.activityStatus === 'FROZEN' ? this.#context.layout.offloaded(this.name, tenant.name) : this.#shardDir(tenant.name);
          await remove(dir);
          created.push(dir);
          await fsp.mkdir(dir, { recursive: true });
          await writeManifest(dir, EMPTY_MANIFEST);
          await syncDirectory(path.dirname(dir));
        }
        await this.#saveDescriptor(withTenants);
      } catch (error) {
        for (const dir of created) await remove(dir);
        throw ioError(error, `add tenants to ${this.name}`);
      }
      for (const tenant of added) {
        if (tenant.activityStatus === 'HOT' && local(tenant.name))
          this.#open.set(tenant.name, await Shard.open(this.#shardDir(tenant.name), this.#context.shardOptions));
      }
    });
  }

  /**
   * Changes tenant statuses. COLD closes the shard (flushing it; files stay);
   * FROZEN also moves its folder to the store's offloaded area; HOT brings it
   * back and opens it. Rejects with NOT_FOUND for an unknown tenant.
   */
  updateTenants(tenants: readonly Tenant[]): Promise<void> {
    return this.#lock.run(async () => {
      this.#assertMultiTenant();
      const wanted = uniqueTenants(tenants);
      const known = new Map(this.#descriptor.tenants.map((t) => [t.name, t.activityStatus]));
      for (const tenant of wanted) if (!known.has(tenant.name)) throw notFound(`tenant '${tenant.name}' of ${this.name} does not exist`);
      for (const tenant of wanted) await this.#changeStatus(tenant.name, known.get(tenant.name)!, tenant.activityStatus);
    });
  }

  /** Deletes tenants and their data. Unknown names are ignored. */
  deleteTenants(names: readonly string[]): Promise<void> {
    return this.#lock.run(async () => {
      this.#assertMultiTenant();
      const doomed = new Set(names);
      const closing = [...doomed].flatMap((name) => this.#open.get(name) ?? []);
      for (const name of doomed) this.#open.delete(name);
      await this.#saveDescriptor({ ...this.#descriptor, tenants: this.#descriptor.tenants.filter((t) => !doomed.has(t.name)) });
      await Promise.all(closing.map((shard) => shard.close().catch(() => undefined)));
      for (const name of doomed) {
        if (!TENANT_NAME.test(name)) continue;
        await remove(this.#shardDir(name));
        await remove(this.#context.layout.offloaded(this.name, name));
      }
    });
  }

  /** Flushes every open shard's memtables to segments. */
  async flush(): Promise<void> {
    await Promise.all([...this.#open.values()].map((shard) => shard.flush()));
  }

  /** Compacts every open shard fully (each bucket down to one segment). */
  async compact(): Promise<void> {
    await Promise.all([...this.#open.values()].map((shard) => shard.compact({ full: true })));
  }

  /** Shards and their statuses, for `BackupSource.listCollections`. @internal */
  shardInfo(): ShardInfo[] {
    return this.#allShards().map(({ name, status }) => ({ name, status, node: this.#nodeOf(name) }));
  }

  /**
   * Freezes every shard into `stageDir/<shard>/`: HOT shards through their
   * snapshot hook, COLD ones as they are on disk; FROZEN ones are skipped.
   * Tenant changes wait meanwhile. @internal
   */
  freeze(stageDir: string, signal?: AbortSignal): Promise<CollectionFreeze> {
    return this.#lock.run(async () => {
      this.#assertLive();
      const files: SnapshotFile[] = [];
      const shards: ShardSnapshotReport[] = [];
      const skipped: SkippedShard[] = [];
      const list = this.#shardList();
      const freezes = new Map<string, ShardFreeze>();
      try {
        for (const { name, status } of list) {
          if (status === 'HOT') freezes.set(name, await this.#openShard(name).beginFreeze());
        }
        throwIfAborted(signal, 'snapshot');
        // One synchronous loop: every HOT shard gets the same flush point, and
        // writers (of any shard) wait exactly this long.
        const started = performance.now();
        for (const freeze of freezes.values()) freeze.cut();
        const writerStallMs = performance.now() - started;
        for (const { name, status } of list) {
          if (status === 'FROZEN') {
            skipped.push({ shard: name, reason: 'tenant is FROZEN (offloaded): it has no local files' });
            continue;
          }
          throwIfAborted(signal, 'snapshot');
          const target = path.join(stageDir, name);
          const freeze = freezes.get(name);
          const shardFiles = freeze !== undefined ? await freeze.finish(target) : await freezeClosedShard(this.#shardDir(name), target);
          freeze?.resume();
          for (const file of shardFiles) {
            files.push({ path: `${name}/${file.path}`, size: file.size, shard: name, immutable: isSegmentFileName(path.posix.basename(file.path)) });
          }
          shards.push({ shard: name, status, writerStallMs: freeze !== undefined ? writerStallMs : 0 });
        }
      } finally {
        for (const freeze of freezes.values()) freeze.resume();
      }
      const metadata: CollectionMetadata = {
        ...this.#descriptor,
        tenants: this.#descriptor.tenants.filter((t) => t.activityStatus !== 'FROZEN'),
      };
      return { metadata, files, shards, skipped };
    });
  }

  /** Closes every shard; the handle stays usable for nothing. @internal */
  close(): Promise<void> {
    return this.#lock.run(async () => {
      this.#dropped = true;
      const shards = [...this.#open.values()];
      this.#open.clear();
      const results = await Promise.allSettled(shards.map((shard) => shard.close()));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw ioError((failed as PromiseRejectedResult).reason, `close collection ${this.name}`);
    });
  }

  #assertLive(): void {
    if (this.#dropped) throw notFound(`collection ${this.name} does not exist`);
  }

  #assertMultiTenant(): void {
    this.#assertLive();
    if (!this.multiTenant) throw invalid(`multi-tenancy is not enabled for ${this.name}`);
  }

  #shardDir(shard: string): string {
    return this.#context.layout.shard(this.name, shard);
  }

  /** Every shard of the collection, wherever it is placed. */
  #allShards(): { name: string; status: TenantStatus }[] {
    if (this.multiTenant) return this.#descriptor.tenants.map((t) => ({ name: t.name, status: t.activityStatus }));
    return this.#descriptor.shards.map((name) => ({ name, status: 'HOT' as const }));
  }

  /** The shards this node holds: the only ones opened, read, counted and snapshotted here. */
  #shardList(): { name: string; status: TenantStatus }[] {
    return this.#allShards().filter(({ name }) => this.#isLocal(name));
  }

  /** The open shard for `tenant` (multi-tenant) or every shard; throws the documented codes. */
  #readableShards(tenant: string | undefined): Shard[] {
    return this.#readableShardNames(tenant).map((name) => this.#openShard(name));
  }

  #readableShardNames(tenant: string | undefined): readonly string[] {
    this.#assertLive();
    if (this.multiTenant) {
      this.#tenantShard(tenant); // throws for a missing, unknown or inactive tenant
      return [tenant!];
    }
    if (tenant !== undefined) throw invalid(`${this.name} is not multi-tenant; no tenant may be given`);
    return this.#descriptor.shards.filter((name) => this.#isLocal(name));
  }

  #shardFor(key: Buffer, tenant: string | undefined): Shard {
    this.#assertLive();
    if (this.multiTenant) return this.#tenantShard(tenant);
    if (tenant !== undefined) throw invalid(`${this.name} is not multi-tenant; no tenant may be given`);
    const shards = this.#descriptor.shards;
    return this.#openShard(this.#local(shards[crc32(key) % shards.length]!));
  }

  /** `shard`, if this node holds it; objects of another node's shard are the caller's to route there. */
  #local(shard: string): string {
    const node = this.#nodeOf(shard);
    if (node !== this.#context.nodeName) throw conflict(`shard ${shard} of ${this.name} is on node ${node}, not on ${this.#context.nodeName}`);
    return shard;
  }

  #tenantShard(tenant: string | undefined): Shard {
    if (tenant === undefined || tenant === '') throw invalid(`${this.name} is multi-tenant; a tenant is required`);
    const record = this.#descriptor.tenants.find((t) => t.name === tenant);
    if (record === undefined) throw notFound(`tenant '${tenant}' of ${this.name} does not exist`);
    if (record.activityStatus !== 'HOT') throw conflict(`tenant '${tenant}' of ${this.name} is not active (${record.activityStatus})`);
    return this.#openShard(this.#local(tenant));
  }

  #openShard(name: string): Shard {
    const shard = this.#open.get(name);
    if (shard === undefined || shard.closed) throw conflict(`shard ${name} of ${this.name} is not open`);
    return shard;
  }

  async #changeStatus(name: string, from: TenantStatus, to: TenantStatus): Promise<void> {
    if (from === to) return;
    const layout = this.#context.layout;
    const withStatus = (status: TenantStatus): CollectionDescriptor => ({
      ...this.#descriptor,
      tenants: this.#descriptor.tenants.map((t) => (t.name === name ? { name, activityStatus: status } : t)),
    });
    // Another node's tenant: only its recorded status changes here.
    if (!this.#isLocal(name)) return this.#saveDescriptor(withStatus(to));
    if (from === 'HOT') {
      // New reads and writes fail from here on; the close flushes what was acknowledged.
      this.#descriptor = withStatus(to);
      const shard = this.#open.get(name);
      this.#open.delete(name);
      await shard?.close();
    }
    if (to === 'FROZEN') await moveDirectory(this.#shardDir(name), layout.offloaded(this.name, name));
    if (from === 'FROZEN') await moveDirectory(layout.offloaded(this.name, name), this.#shardDir(name));
    if (to === 'HOT') this.#open.set(name, await Shard.open(this.#shardDir(name), this.#context.shardOptions));
    await this.#saveDescriptor(withStatus(to));
  }

  async #saveDescriptor(descriptor: CollectionDescriptor): Promise<void> {
    await writeDescriptor(this.#context.layout.collection(this.name), descriptor);
    this.#descriptor = descriptor;
  }

  /** Makes the folders match the descriptor (see {@link load}). */
  async #reconcile(): Promise<void> {
    const layout = this.#context.layout;
    const dir = layout.collection(this.name);
    const statuses = new Map(this.#shardList().map((s) => [s.name, s.status]));
    for (const [name, status] of statuses) {
      const local = this.#shardDir(name);
      const offloaded = layout.offloaded(this.name, name);
      if (status === 'FROZEN' && (await exists(local))) await moveDirectory(local, offloaded);
      if (status !== 'FROZEN' && !(await exists(local)) && (await exists(offloaded))) await moveDirectory(offloaded, local);
    }
    for (const entry of await listDirectory(dir)) {
      if (entry === COLLECTION_FILE || entry === `${COLLECTION_FILE}.tmp`) continue;
      const status = statuses.get(entry);
      if (status === undefined || status === 'FROZEN') {
        await remove(path.join(dir, entry));
        this.#context.shardOptions.stats.leftoversRemoved++;
      }
    }
    for (const entry of await listDirectory(layout.offloaded(this.name))) {
      if (statuses.get(entry) !== 'FROZEN') await remove(layout.offloaded(this.name, entry));
    }
  }
}

/** Validates tenants and rejects duplicates within one request. */
function uniqueTenants(tenants: readonly Partial<Tenant>[]): Tenant[] {
  if (!Array.isArray(tenants)) throw invalid('tenants must be an array');
  const seen = new Set<string>();
  return tenants.map((raw) => {
    const tenant = validateTenant(raw);
    if (seen.has(tenant.name)) throw invalid(`tenant '${tenant.name}' given twice`);
    seen.add(tenant.name);
    return tenant;
  });
}

/** Renames a folder (same file system), creating the target's parent and syncing both parents. */
async function moveDirectory(from: string, to: string): Promise<void> {
  try {
    await fsp.mkdir(path.dirname(to), { recursive: true });
    await remove(to);
    await fsp.rename(from, to);
    await syncDirectory(path.dirname(from));
    await syncDirectory(path.dirname(to));
  } catch (error) {
    throw ioError(error, `move ${from} to ${to}`);
  }
}

/** An object a scan found, and the index of the shard it came from. */
interface FoundObject {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly shard: number;
}

/** Marks each entry with its shard, for reading the vectors after a merged scan. */
async function* tagged(shard: number, entries: AsyncIterable<{ key: Buffer; value: Buffer }>): AsyncGenerator<FoundObject> {
  for await (const { key, value } of entries) yield { key, value, shard };
}

/**
 * The vectors of `found` (in id order), by one pass per shard over its
 * vectors bucket from `after` on, merged with the found ids. A point lookup
 * per object would read and decode a whole block per object.
 */
async function vectorsOf(shards: readonly Shard[], found: readonly FoundObject[], after: Buffer | undefined): Promise<(Buffer | undefined)[]> {
  const vectors: (Buffer | undefined)[] = new Array(found.length);
  await Promise.all(
    shards.map(async (shard, index) => {
      const wanted = found.flatMap((object, i) => (object.shard === index ? [i] : []));
      let next = 0;
      if (wanted.length === 0) return;
      // Tombstones included: the first entry of any kind past the last wanted id ends the pass.
      for await (const entry of shard.newestEntries(VECTORS_BUCKET, after)) {
        while (next < wanted.length && compareKeys(found[wanted[next]!]!.key, entry.key) < 0) next++;
        if (next === wanted.length) break;
        if (compareKeys(found[wanted[next]!]!.key, entry.key) === 0) vectors[wanted[next++]!] = entry.value ?? undefined;
      }
    }),
  );
  return vectors;
}
