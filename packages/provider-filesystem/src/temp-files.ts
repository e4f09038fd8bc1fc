import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

// A write goes to a hidden sibling first and is renamed into place when it is
// complete and synced, so readers never see a partial object.
const TEMP_NAME = /^\.(.+)\.~partial-[0-9a-f]{12}$/;

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.~partial-${randomBytes(6).toString('hex')}`);
}

export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** The key a temp file was going to become: `dir/.name.~partial-x` → `dir/name`. */
export function targetKeyOf(tempKey: string): string {
  const slash = tempKey.lastIndexOf('/');
  const name = tempKey.slice(slash + 1);
  const target = TEMP_NAME.exec(name)?.[1] ?? name;
  return tempKey.slice(0, slash + 1) + target;
}
