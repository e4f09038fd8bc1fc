/**
 * Which packages `ENABLE_MODULES` entries name. The rule:
 * - `backup-<name>` (no '/' and no '@') tries `@backup/provider-<name>`, then
 *   `backup-provider-<name>`: first-party and unscoped third-party packages
 *   need no further configuration.
 * - An entry that is itself a package name (`@acme/backup-thing`, or anything
 *   containing '/') is imported as it is, for scoped third-party packages.
 * - Anything else (`text2vec-transformers`, ...) is not a backup module and is
 *   ignored.
 * The package must export `backupModule: ProviderModule`.
 */
export function candidatePackages(moduleName: string): string[] {
  const entry = moduleName.trim();
  if (entry.startsWith('@') || entry.includes('/')) return [entry];
  if (!entry.startsWith('backup-') || entry.length === 'backup-'.length) return [];
  const name = entry.slice('backup-'.length);
  return [`@backup/provider-${name}`, `backup-provider-${name}`];
}

/** The entries of a comma-separated `ENABLE_MODULES`, trimmed, without empties or repeats. */
export function parseModuleList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    ),
  ];
}
