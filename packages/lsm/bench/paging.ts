/**
 * Cursor paging (`scan({ after, limit })`) through a whole collection, at
 * several store sizes and page sizes: the time per page must not grow with
 * the store.
 *
 *   node --conditions=@backup/source packages/lsm/bench/paging.ts [--objects 5000,20000] [--pages 100,1000] [--shards 1] [--dims 0]
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Store } from '../src/index.ts';

export interface PagingResult {
  readonly objects: number;
  readonly pageSize: number;
  readonly pages: number;
  readonly totalMs: number;
  readonly msPerPage: number;
}

/** Fills a fresh store with `objects` objects, then pages through it once per page size. */
export async function benchmarkPaging(options: { objects: number; pageSizes: readonly number[]; shards?: number; dims?: number }): Promise<PagingResult[]> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const path = mkdtempSync(join(base, 'lsm-paging-'));
  const store = await Store.open({ path, syncWrites: false });
  try {
    const collection = await store.createCollection({ class: 'Paged', shardingConfig: { desiredCount: options.shards ?? 1 } });
    const vector = options.dims ? Array.from({ length: options.dims }, (_, i) => i / options.dims!) : undefined;
    for (let written = 0; written < options.objects; ) {
      const batch = Math.min(500, options.objects - written);
      await Promise.all(
        Array.from({ length: batch }, () =>
          collection.put(randomUUID(), { properties: { title: 'x'.repeat(200), n: written }, ...(vector ? { vector } : {}) }),
        ),
      );
      written += batch;
    }
    const results: PagingResult[] = [];
    for (const pageSize of options.pageSizes) {
      const started = performance.now();
      let pages = 0;
      let seen = 0;
      // biome-ignore lint/suspicious/noAssignInExpressions: page through the collection in the loop header
      for (let after: string | undefined, page; (page = await collection.scan({ after, limit: pageSize })).length > 0; after = page.at(-1)!.id) {
        pages++;
        seen += page.length;
      }
      if (seen !== options.objects) throw new Error(`paged through ${seen} of ${options.objects} objects`);
      const totalMs = performance.now() - started;
      results.push({ objects: options.objects, pageSize, pages, totalMs: Math.round(totalMs), msPerPage: Number((totalMs / pages).toFixed(2)) });
    }
    return results;
  } finally {
    await store.close();
    await rm(path, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      objects: { type: 'string', default: '5000,20000' },
      pages: { type: 'string', default: '100,1000' },
      shards: { type: 'string', default: '1' },
      dims: { type: 'string', default: '0' },
    },
  });
  for (const objects of values.objects.split(',').map(Number)) {
    const results = await benchmarkPaging({
      objects,
      pageSizes: values.pages.split(',').map(Number),
      shards: Number(values.shards),
      dims: Number(values.dims),
    });
    for (const r of results) console.log(JSON.stringify(r));
  }
}
