/** The `CollectionSnapshot` a store hands out: frozen files in a staging folder until released. */
import type { CollectionMetadata, CollectionSnapshot, ShardSnapshotReport, SkippedShard, SnapshotFile } from '@backup/core';
import { ioError } from './errors.ts';
import { remove } from './fs-util.ts';

export class HeldSnapshot implements CollectionSnapshot {
  readonly collection: string;
  readonly metadata: CollectionMetadata;
  readonly root: string;
  readonly files: readonly SnapshotFile[];
  readonly shards: readonly ShardSnapshotReport[];
  readonly skipped: readonly SkippedShard[];
  #released: Promise<void> | undefined;

  constructor(init: Omit<CollectionSnapshot, 'release'>) {
    this.collection = init.collection;
    this.metadata = init.metadata;
    this.root = init.root;
    this.files = init.files;
    this.shards = init.shards;
    this.skipped = init.skipped;
  }

  /** Removes the staging folder and its hard links. Idempotent. */
  release(): Promise<void> {
    this.#released ??= remove(this.root).catch((error: unknown) => {
      this.#released = undefined;
      throw ioError(error, `release snapshot ${this.root}`);
    });
    return this.#released;
  }
}
