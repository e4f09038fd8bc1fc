/** True when `pattern` uses the `*` or `?` wildcards. */
export function isWildcardPattern(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/**
 * Whether `name` matches `pattern`, where `*` is any run of characters (also
 * none) and `?` exactly one; every other character matches itself. Greedy
 * two-pointer matching that only ever backtracks to the last `*`: at most
 * O(pattern × name) steps, never the exponential blow-up of a backtracking
 * regex (`.*.*.*…b` against a long name froze the event loop for minutes).
 * Characters are compared by UTF-16 code unit, as the names are.
 */
export function wildcardMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1; // position in pattern after the last `*` seen
  let resume = 0; // position in name that star is currently matched up to
  while (n < name.length) {
    const c = pattern[p];
    if (c === '*') {
      star = ++p;
      resume = n;
    } else if (c !== undefined && (c === '?' || c === name[n])) {
      p++;
      n++;
    } else if (star >= 0) {
      // Let the last `*` swallow one more character and retry from there.
      p = star;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
