/** The `RestoreTarget` a store hands out: a staging folder plus the install step. */
import type { CollectionMetadata, RestoreTarget } from '@backup/core';
import { conflict } from './errors.ts';
import { remove } from './fs-util.ts';

export class StagedRestore implements RestoreTarget {
  readonly directory: string;
  readonly #install: (metadata: CollectionMetadata) => Promise<void>;
  #state: 'staging' | 'committing' | 'committed' | 'aborted' = 'staging';

  constructor(directory: string, install: (metadata: CollectionMetadata) => Promise<void>) {
    this.directory = directory;
    this.#install = install;
  }

  /** Installs the staged collection in one rename; see `Store.prepareRestore`. */
  async commit(metadata: CollectionMetadata): Promise<void> {
    if (this.#state !== 'staging') throw conflict(`restore staged in ${this.directory} is already ${this.#state}`);
    this.#state = 'committing';
    try {
      await this.#install(metadata);
      this.#state = 'committed';
    } catch (error) {
      this.#state = 'staging';
      throw error;
    }
  }

  /** Removes the staged files. Idempotent; a no-op after commit. */
  async abort(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'committing') return;
    this.#state = 'aborted';
    await remove(this.directory);
  }
}
