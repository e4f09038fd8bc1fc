import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Location } from '../provider.ts';
import type { OperationKind } from './scheduler.ts';

/** What survives a crash about an operation that was running. */
export interface JournalEntry {
  readonly kind: OperationKind;
  readonly id: string;
  readonly backend: string;
  readonly location: Location;
  readonly node: string;
  readonly startedAt: string;
  /** Restore only: the phase reached; from FINALIZING on, staged files may be live and are left alone. */
  readonly phase: string;
  /** Restore only: staging directories to remove if the restore did not reach FINALIZING. */
  readonly stagingDirectories: readonly string[];
  /** Backup only: every node of the request, whose `<id>/<node>/` folders a recovery clears. Absent in older entries. */
  readonly nodes?: readonly string[] | undefined;
}

/**
 * A small local record of operations in flight, one JSON file each, written
 * before the operation touches storage and removed after its final status is
 * stored. Whatever is left at start-up was interrupted (see recovery).
 */
export class Journal {
  readonly directory: string;
  /** Writes of one entry run in order: the last one wins, never a stale one. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(directory: string) {
    this.directory = directory;
  }

  async record(entry: JournalEntry): Promise<void> {
    const path = this.#path(entry.kind, entry.backend, entry.id);
    await this.#serialized(path, async () => {
      await mkdir(this.directory, { recursive: true });
      const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temp, JSON.stringify(entry));
      await rename(temp, path);
    });
  }

  async remove(kind: OperationKind, backend: string, id: string): Promise<void> {
    const path = this.#path(kind, backend, id);
    await this.#serialized(path, () => rm(path, { force: true }));
  }

  async #serialized(path: string, write: () => Promise<void>): Promise<void> {
    const previous = this.#writes.get(path) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(write);
    this.#writes.set(path, next);
    try {
      await next;
    } finally {
      if (this.#writes.get(path) === next) this.#writes.delete(path);
    }
  }

  async entries(): Promise<JournalEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: JournalEntry[] = [];
    for (const name of names) {
      const path = join(this.directory, name);
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        entries.push(JSON.parse(await readFile(path, 'utf8')) as JournalEntry);
      } catch {
        await rm(path, { force: true }); // unreadable: written by a crash mid-rename, never happened
      }
    }
    return entries;
  }

  #path(kind: OperationKind, backend: string, id: string): string {
    return join(this.directory, `${kind}--${backend}--${id}.json`);
  }
}
