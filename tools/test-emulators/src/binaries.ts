import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const versionsFile = fileURLToPath(new URL('../../../scripts/emulators/versions.sh', import.meta.url));

function pinned(variable: string): string {
  const match = new RegExp(`^${variable}=(\\S+)`, 'm').exec(readFileSync(versionsFile, 'utf8'));
  if (!match?.[1]) throw new Error(`${variable} is not pinned in ${versionsFile}`);
  return match[1];
}

/** The cache scripts/emulators/install.sh builds into. */
export function emulatorCache(): string {
  return process.env.BACKUP_EMULATORS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'backup-emulators');
}

/**
 * Path of a pinned, built emulator binary. Throws (so the tests fail, never
 * skip) with the command that builds it when it is missing.
 */
export function emulatorBinary(name: 'minio' | 'fake-gcs-server'): string {
  const variable = name === 'minio' ? 'MINIO_VERSION' : 'FAKE_GCS_SERVER_VERSION';
  const path = join(emulatorCache(), `${name}-${pinned(variable)}`, name);
  if (!existsSync(path)) {
    throw new Error(`${name} is not built: run "bash scripts/emulators/install.sh" (npm test does it) and try again`);
  }
  return path;
}
