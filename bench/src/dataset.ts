/**
 * The benchmark's data: objects with text properties and float32 vectors,
 * written through the reference store (`@backup/lsm`) so the files on disk
 * are real WAL-flushed, compacted segments. Seeded: the same seed and size
 * always produce the same objects in the same order.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Store, type CollectionSchema } from '@backup/lsm';
import { Prng } from './prng.ts';

/** One collection of the generated data set. */
interface CollectionPlan {
  readonly schema: CollectionSchema;
  /** Tenant names, for multi-tenant collections. */
  readonly tenants?: readonly string[];
  readonly dimensions: number;
  /** Words in the long text property: [min, max). */
  readonly bodyWords: readonly [number, number];
  /** Share of the data set's bytes. */
  readonly share: number;
}

const text = (name: string) => ({ name, dataType: ['text'] });

/** Several collections and shards, one multi-tenant, vectors of typical embedding sizes. */
export const COLLECTIONS: readonly CollectionPlan[] = [
  {
    schema: {
      class: 'Article',
      properties: [text('title'), text('body'), text('author'), { name: 'wordCount', dataType: ['int'] }],
      shardingConfig: { desiredCount: 3 },
    },
    dimensions: 1536,
    bodyWords: [80, 400],
    share: 0.5,
  },
  {
    schema: {
      class: 'Product',
      properties: [text('name'), text('description'), text('category'), { name: 'price', dataType: ['number'] }],
      shardingConfig: { desiredCount: 2 },
    },
    dimensions: 768,
    bodyWords: [20, 120],
    share: 0.3,
  },
  {
    schema: {
      class: 'Conversation',
      properties: [text('speaker'), text('message')],
      multiTenancyConfig: { enabled: true },
    },
    tenants: ['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d'],
    dimensions: 384,
    bodyWords: [10, 80],
    share: 0.2,
  },
];

/** The collections objects are written to, for the write load. */
export const COLLECTION_NAMES = COLLECTIONS.map((plan) => plan.schema.class);

export interface DatasetOptions {
  /** Store folder; must not hold a store yet, or hold one made by an earlier call with the same seed. */
  readonly dataPath: string;
  /** Bytes of object data to have in total (JSON plus vectors, before the store's own overhead). */
  readonly bytes: number;
  readonly seed: number;
  readonly log?: (message: string) => void;
}

export interface DatasetInfo {
  readonly seed: number;
  /** Object bytes written (JSON plus vectors). */
  readonly objectBytes: number;
  readonly objects: number;
  /** Bytes of the files in `collections/` (what a backup and tar read). */
  readonly diskBytes: number;
  readonly files: number;
  readonly collections: { name: string; shards: number; objects: number }[];
}

/** What a generated store remembers about itself, so it can be extended to a larger size. */
interface DatasetState {
  readonly seed: number;
  /** Per collection: objects and bytes written so far. */
  readonly written: Record<string, { objects: number; bytes: number }>;
}

const STATE_FILE = 'bench-dataset.json';
/** Concurrent puts in flight: enough to keep the store busy, few enough to bound memory. */
const IN_FLIGHT = 256;

/**
 * Generates (or extends) the data set in `dataPath` until it holds `bytes`
 * bytes of objects. Extending is deterministic too: a 4 GiB set grown from a
 * 1 GiB one is the same as one generated at 4 GiB straight away.
 */
export async function generateDataset(options: DatasetOptions): Promise<DatasetInfo> {
  const statePath = path.join(options.dataPath, STATE_FILE);
  const previous = await readState(statePath);
  if (previous !== undefined && previous.seed !== options.seed) {
    throw new Error(`${options.dataPath} holds a data set of seed ${previous.seed}, not ${options.seed}`);
  }
  const written: Record<string, { objects: number; bytes: number }> = { ...previous?.written };
  // Large memtables and no fsync: generation speed, not durability, matters here.
  const store = await Store.open({ path: options.dataPath, syncWrites: false, memtableBytes: 16 * 1024 * 1024 });
  try {
    for (const plan of COLLECTIONS) {
      const name = plan.schema.class;
      let collection = store.getCollection(name);
      if (collection === undefined) {
        collection = await store.createCollection(plan.schema);
        if (plan.tenants) await collection.addTenants(plan.tenants.map((tenant) => ({ name: tenant })));
      }
      // biome-ignore lint/suspicious/noAssignInExpressions: `??=` creates the entry and names it in one step
      const progress = (written[name] ??= { objects: 0, bytes: 0 });
      const target = Math.round(options.bytes * plan.share);
      if (progress.bytes >= target) continue;
      options.log?.(`generating ${name}: ${mib(progress.bytes)} → ${mib(target)} MiB`);
      await fillCollection(collection, plan, progress, target, options.seed);
      await writeState(statePath, { seed: options.seed, written });
    }
    // Fully compacted, so the server that opens it has no background compaction to do: nothing else
    // competes with the measured work, and the shard files tar reads do not change under it.
    await store.flush();
    await store.compact();
  } finally {
    await store.close();
  }
  await writeState(statePath, { seed: options.seed, written });
  const disk = await folderSize(path.join(options.dataPath, 'collections'));
  return {
    seed: options.seed,
    objectBytes: Object.values(written).reduce((sum, w) => sum + w.bytes, 0),
    objects: Object.values(written).reduce((sum, w) => sum + w.objects, 0),
    diskBytes: disk.bytes,
    files: disk.files,
    collections: COLLECTIONS.map((plan) => ({
      name: plan.schema.class,
      shards: plan.tenants?.length ?? (plan.schema.shardingConfig?.desiredCount as number),
      objects: written[plan.schema.class]?.objects ?? 0,
    })),
  };
}

type Writable = NonNullable<ReturnType<Store['getCollection']>>;

async function fillCollection(
  collection: Writable,
  plan: CollectionPlan,
  progress: { objects: number; bytes: number },
  target: number,
  seed: number,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  while (progress.bytes < target && failure === undefined) {
    // Object n of a collection depends only on (seed, collection, n): extending a set continues it exactly.
    const object = makeObject(plan, new Prng(mix(seed, plan.schema.class, progress.objects)));
    progress.objects++;
    progress.bytes += object.bytes;
    const tenant = plan.tenants ? { tenant: plan.tenants[progress.objects % plan.tenants.length] } : {};
    const put = collection
      .put(object.id, { properties: object.properties, vector: object.vector, creationTimeUnix: object.time, lastUpdateTimeUnix: object.time }, tenant)
      .then(
        () => void inFlight.delete(put),
        (error: unknown) => {
          failure ??= error;
          inFlight.delete(put);
        },
      );
    inFlight.add(put);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
}

/** One generated object; `bytes` approximates what the store keeps for it. */
export interface GeneratedObject {
  readonly id: string;
  readonly properties: Record<string, string | number>;
  readonly vector: Float32Array;
  readonly time: number;
  readonly bytes: number;
}

/** A deterministic object of `plan`'s shape drawn from `rng`. */
export function makeObject(plan: CollectionPlan, rng: Prng): GeneratedObject {
  const id = rng.uuid();
  const [min, max] = plan.bodyWords;
  const words = min + rng.below(max - min);
  const body = sentence(rng, words);
  const properties: Record<string, string | number> = {};
  switch (plan.schema.class) {
    case 'Article':
      properties.title = sentence(rng, 4 + rng.below(8));
      properties.body = body;
      properties.author = `${pick(rng, NAMES)} ${pick(rng, NAMES)}`;
      properties.wordCount = words;
      break;
    case 'Product':
      properties.name = sentence(rng, 2 + rng.below(4));
      properties.description = body;
      properties.category = pick(rng, CATEGORIES);
      properties.price = Math.round(rng.float() * 100_000) / 100;
      break;
    default:
      properties.speaker = pick(rng, NAMES);
      properties.message = body;
  }
  // Embedding-like floats: random mantissas make them as poorly compressible as a real model's output.
  const vector = new Float32Array(plan.dimensions);
  rng.fillEmbedding(vector);
  const time = 1_700_000_000_000 + rng.below(31_536_000_000);
  let json = 80; // property names, quotes and timestamps
  for (const value of Object.values(properties)) json += typeof value === 'string' ? value.length + 16 : 24;
  return { id, properties, vector, time, bytes: json + vector.byteLength + 2 * id.length };
}

/** The plan of a collection by name (for the write load's objects). */
export function planOf(name: string): CollectionPlan {
  const plan = COLLECTIONS.find((candidate) => candidate.schema.class === name);
  if (plan === undefined) throw new Error(`no collection ${name} in the data set`);
  return plan;
}

/** Bytes and file count under `dir`. */
export async function folderSize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await fsp.stat(path.join(entry.parentPath, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

// A Zipf-like vocabulary: frequent short words, a long tail of longer ones, as in real text.
const VOCABULARY = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you ' +
  'were her she there one all we their been has when who will more no if out so said what up its about into than them ' +
  'can only other new some could time these two may then do first any my now such like our over man me even most made ' +
  'after also did many before must through back years where much your way well down should because each just those ' +
  'people how too little state good very make world still own see men work long get here between both life being under ' +
  'never day same another know while last might us great old year off come since against go came right used take three ' +
  'backup snapshot segment memtable compaction vector embedding tenant shard collection restore storage bucket container ' +
  'latency throughput consistency replication partition durability checksum manifest journal archive compression stream ' +
  'algorithm database semantic retrieval inference dimension cluster coordinator participant provider emulator benchmark'
).split(' ');
const NAMES = 'Ada Alan Barbara Claude Donald Edsger Frances Grace Ivan Jean John Ken Leslie Linus Margaret Niklaus Radia Tim'.split(' ');
const CATEGORIES = 'books electronics garden kitchen music outdoor sports tools toys travel'.split(' ');

function sentence(rng: Prng, words: number): string {
  const out = new Array<string>(words);
  for (let i = 0; i < words; i++) {
    // Squaring skews picks towards the front of the list (the frequent words).
    const r = rng.float();
    out[i] = VOCABULARY[Math.floor(r * r * VOCABULARY.length)]!;
  }
  return out.join(' ');
}

function pick<T>(rng: Prng, items: readonly T[]): T {
  return items[rng.below(items.length)]!;
}

/** A 32-bit seed from (seed, name, index). */
function mix(seed: number, name: string, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ index;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (index >>> 16), 0xc2b2ae35) >>> 0;
}

async function readState(file: string): Promise<DatasetState | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as DatasetState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeState(file: string, state: DatasetState): Promise<void> {
  await fsp.writeFile(`${file}.tmp`, JSON.stringify(state));
  await fsp.rename(`${file}.tmp`, file);
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}
