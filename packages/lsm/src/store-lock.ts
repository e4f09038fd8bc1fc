/**
 * The store folder's exclusive lock: `<store>/LOCK`, a small JSON file naming
 * the process that holds it. Two processes (or two `Store.open` calls in one
 * process) writing the same folder would corrupt it, so a second open fails
 * with CONFLICT naming the holder.
 *
 * - Creation is atomic with its content: a temporary file is written, then
 *   hard-linked to `LOCK` (`link` fails if it exists, like O_EXCL), so a
 *   reader never sees a half-written lock.
 * - A lock whose holder is gone is stale and is taken over at once: the pid
 *   no longer runs (or is a zombie), or now belongs to another process (its
 *   start time differs: a restarted container gets pid 1 again), or the lock
 *   was written for another folder (the store was copied, e.g. a crash image,
 *   so the inode differs).
 * - Taking over is serialized by a guard lock named after the stale content
 *   (`LOCK.takeover-<crc>`), acquired the same way. The guard holder checks
 *   that `LOCK` still holds that stale content before unlinking it, so two
 *   processes taking over at once never remove each other's fresh lock.
 *
 * Not chosen: `proper-lockfile` judges staleness by an mtime it refreshes on
 * a timer (default 10 s), so a SIGKILLed server could not reopen its store
 * for seconds and a blocked event loop "compromises" a live lock. flock(2)
 * would be ideal but Node has no binding without a native add-on.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { conflict, ioError } from './errors.ts';

export const LOCK_FILE = 'LOCK';
/** Rounds of "create, or take over a stale lock" before giving up. */
const MAX_ATTEMPTS = 8;

/** Who holds a lock, as written into the file. */
interface Holder {
  readonly pid: number;
  /** The process start time (clock ticks since boot, Linux); tells a reused pid apart. */
  readonly start?: string;
  /** `dev:ino` of the store folder; a copied folder carries a lock for another one. */
  readonly folder: string;
  /** Unique per acquisition, so that two locks never read the same. */
  readonly nonce: string;
}

/** A held lock; {@link release} removes it if it is still ours. */
export class StoreLock {
  readonly file: string;
  readonly #content: string;
  #released = false;

  private constructor(file: string, content: string) {
    this.file = file;
    this.#content = content;
  }

  /**
   * Takes `<dir>/LOCK`. Rejects with CONFLICT when a live process holds it
   * (this one included); takes over a stale lock.
   */
  static async acquire(dir: string): Promise<StoreLock> {
    const file = path.join(dir, LOCK_FILE);
    try {
      const holder: Holder = { pid: process.pid, start: await startTimeOf(process.pid), folder: await folderId(dir), nonce: randomUUID() };
      const content = JSON.stringify(holder);
      await acquireFile(file, content, holder.folder);
      await removeStaleLeftovers(dir, holder.folder);
      return new StoreLock(file, content);
    } catch (error) {
      throw ioError(error, `lock ${dir}`);
    }
  }

  /** Removes the lock file if it still holds our content. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await releaseFile(this.file, this.#content);
  }
}

/** Creates `file` with `content`, taking over a stale holder's file. */
async function acquireFile(file: string, content: string, folder: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createExclusive(file, content)) return;
    const current = await readText(file);
    if (current === undefined) continue; // released meanwhile: try again
    const holder = parseHolder(current);
    if (holder !== undefined && (await holds(holder, folder))) {
      throw conflict(`store ${path.dirname(file)} is in use by process ${holder.pid}${holder.pid === process.pid ? ' (this process)' : ''} (${file})`);
    }
    // Stale. Only the holder of this guard may remove exactly this content.
    const guard = `${file}.takeover-${crc32(current).toString(16)}`;
    try {
      await acquireFile(guard, content, folder);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'CONFLICT') throw error;
      await new Promise((resolve) => setTimeout(resolve, 10)); // a live process is taking over right now
      continue;
    }
    try {
      if ((await readText(file)) === current) await fsp.rm(file, { force: true });
    } finally {
      await releaseFile(guard, content);
    }
  }
  throw conflict(`could not lock ${path.dirname(file)}: ${file} keeps changing hands`);
}

/** Writes a temporary sibling and hard-links it to `file`; false when `file` exists. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await fsp.writeFile(temp, content, { flag: 'wx' });
  try {
    await fsp.link(temp, file);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fsp.rm(temp, { force: true });
  }
}

async function releaseFile(file: string, content: string): Promise<void> {
  try {
    // Never remove a lock that is not ours (after a forced takeover, say).
    if ((await readText(file)) === content) await fsp.rm(file, { force: true });
  } catch (error) {
    throw ioError(error, `unlock ${file}`);
  }
}

/**
 * Guards and temporary files left by a process that died mid-takeover. Safe
 * once we hold `LOCK`: a guard only ever removes the stale content it names.
 */
async function removeStaleLeftovers(dir: string, folder: string): Promise<void> {
  for (const name of await fsp.readdir(dir)) {
    if (!name.startsWith(`${LOCK_FILE}.`)) continue;
    const file = path.join(dir, name);
    if (name.endsWith('.tmp')) {
      // A temporary file may be empty while its (live) writer is still filling it, so it is
      // judged by the pid in its name, not by its content.
      if (!isRunning(tempFileOwner(name))) await fsp.rm(file, { force: true });
      continue;
    }
    // Guards are created by link(), so their content is always whole.
    const holder = parseHolder((await readText(file)) ?? '');
    if (holder === undefined || !(await holds(holder, folder))) await fsp.rm(file, { force: true });
  }
}

/** The pid in `<name>.<pid>.<uuid>.tmp` (see {@link createExclusive}); 0 when there is none. */
function tempFileOwner(name: string): number {
  const pid = Number(name.split('.').at(-3));
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

/** Whether a process with this pid exists (of any user); false for pid 0. */
function isRunning(pid: number): boolean {
  if (pid <= 0) return false; // kill() with pid <= 0 would address process groups
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'; // exists, but belongs to another user
  }
}

/** True when `holder` is a running process holding a lock on this folder. */
async function holds(holder: Holder, folder: string): Promise<boolean> {
  if (holder.folder !== folder || !isRunning(holder.pid)) return false;
  const stat = await procStat(holder.pid);
  if (stat === undefined) return true; // no /proc: the pid check is all we have
  return stat.state !== 'Z' && (holder.start === undefined || stat.start === holder.start);
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    // kill() with pid <= 0 would address process groups: never accept one.
    if (!Number.isSafeInteger(value.pid) || value.pid! <= 0 || typeof value.folder !== 'string') return undefined;
    return value as Holder;
  } catch {
    return undefined;
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function folderId(dir: string): Promise<string> {
  const { dev, ino } = await fsp.stat(dir, { bigint: true });
  return `${dev}:${ino}`;
}

async function startTimeOf(pid: number): Promise<string | undefined> {
  return (await procStat(pid))?.start;
}

/** State and start time from `/proc/<pid>/stat` (Linux); undefined elsewhere or when gone. */
async function procStat(pid: number): Promise<{ state: string; start: string } | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Field 3 is the state, field 22 the start time; `fields` starts at field 3.
  const state = fields[0];
  const start = fields[19];
  return state === undefined || start === undefined ? undefined : { state, start };
}
