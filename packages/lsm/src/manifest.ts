/**
 * The manifest: the one file that says which segments of a shard are live and
 * which WAL files still matter. Replaced atomically (write, fsync, rename,
 * fsync directory); recovery trusts it and nothing else, so segment files it
 * does not name are crash leftovers.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { corrupt, ioError } from './errors.ts';
import { writeFileAtomic } from './fs-util.ts';

export const MANIFEST_FILE = 'MANIFEST';
const FORMAT_VERSION = 1;

export interface ManifestState {
  /** The next number for a segment file name. */
  readonly nextFileNumber: number;
  /** WAL files of this generation and later hold writes no segment has yet. */
  readonly walStart: number;
  /** Live segment file names per bucket, oldest first. */
  readonly buckets: Readonly<Record<string, readonly string[]>>;
  /**
   * Live (not deleted) keys in these segments, per counted bucket; a counted
   * bucket that is absent holds none. Absent as a whole in manifests written
   * before counts were kept: the shard then counts its segments once at open.
   */
  readonly liveKeys?: Readonly<Record<string, number>>;
}

export const EMPTY_MANIFEST: ManifestState = { nextFileNumber: 1, walStart: 1, buckets: {}, liveKeys: {} };

/** One JSON line `{"crc":…,"body":{…}}`; the checksum covers the body's exact text. */
export function encodeManifest(state: ManifestState): string {
  const body = JSON.stringify({ version: FORMAT_VERSION, ...state });
  return `{"crc":${crc32(body)},"body":${body}}\n`;
}

export function decodeManifest(text: string, where: string): ManifestState {
  const match = /^\{"crc":(\d+),"body":(.*)\}\n?$/s.exec(text);
  if (match === null || crc32(match[2]!) !== Number(match[1])) throw corrupt(`${where}: manifest checksum mismatch`);
  const body = JSON.parse(match[2]!) as { version?: unknown } & ManifestState;
  if (body.version !== FORMAT_VERSION) throw corrupt(`${where}: unknown manifest version ${String(body.version)}`);
  const state: ManifestState = { nextFileNumber: body.nextFileNumber, walStart: body.walStart, buckets: body.buckets };
  if (body.liveKeys === undefined) return state;
  if (typeof body.liveKeys !== 'object' || body.liveKeys === null || !Object.values(body.liveKeys).every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw corrupt(`${where}: bad live key counts`);
  }
  return { ...state, liveKeys: body.liveKeys };
}

/** Reads `<dir>/MANIFEST`; undefined when the shard has none yet. */
export async function readManifest(dir: string): Promise<ManifestState | undefined> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw ioError(error, `read ${file}`);
  }
  return decodeManifest(text, file);
}

export async function writeManifest(dir: string, state: ManifestState): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE);
  try {
    await writeFileAtomic(file, encodeManifest(state));
  } catch (error) {
    throw ioError(error, `write ${file}`);
  }
}

/** `000012.seg` */
export function segmentFileName(fileNumber: number): string {
  return `${String(fileNumber).padStart(6, '0')}.seg`;
}

/** Whether `name` (a file name, no folder) is a segment's: written once, never changed, only deleted. */
export function isSegmentFileName(name: string): boolean {
  return /^\d{6,}\.seg$/.test(name);
}
