import { BackupError, ErrorCode } from '../errors.ts';
import { isWildcardPattern as isPattern, wildcardMatch } from './wildcard.ts';

/** The names in `available` that `pattern` matches (a plain name matches itself). */
function matches(pattern: string, available: readonly string[]): string[] {
  if (!isPattern(pattern)) return available.includes(pattern) ? [pattern] : [];
  return available.filter((name) => wildcardMatch(pattern, name));
}

export interface SelectionOptions {
  /** How a name that matches nothing is reported, e.g. `class X doesn't exist`. */
  readonly unknown: (name: string) => string;
}

/**
 * Applies include/exclude (names or `*`/`?` patterns) to `available`, keeping
 * its order. A plain name that is not available is an error; a pattern that
 * matches nothing is not (it simply selects nothing). Include and exclude were
 * validated before (at most one has values).
 */
export function selectCollections(
  available: readonly string[],
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
  options: SelectionOptions,
): string[] {
  const check = (name: string): string[] => {
    const found = matches(name, available);
    if (found.length === 0 && !isPattern(name)) throw new BackupError(ErrorCode.INVALID_ARGUMENT, options.unknown(name));
    return found;
  };
  if (include !== undefined && include.length > 0) {
    const chosen = new Set(include.flatMap(check));
    return available.filter((name) => chosen.has(name));
  }
  const excluded = new Set((exclude ?? []).flatMap(check));
  return available.filter((name) => !excluded.has(name));
}
