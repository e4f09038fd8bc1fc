/** A PATH for tests that must not find some commands. */
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * A folder of links to every command in `dirs` (default: the current PATH)
 * except `hidden`, to use as PATH: the commands a test hides usually share
 * /usr/bin with bash and tar. The first folder with a name wins, as for the shell.
 */
export function pathWithout(folder: string, hidden: readonly string[], dirs: readonly string[] = (process.env.PATH ?? '').split(path.delimiter)): string {
  mkdirSync(folder, { recursive: true });
  const linked = new Set<string>(hidden);
  for (const dir of dirs) {
    if (dir === '' || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (linked.has(name)) continue;
      linked.add(name);
      symlinkSync(path.join(dir, name), path.join(folder, name));
    }
  }
  return folder;
}
