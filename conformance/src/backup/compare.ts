import assert from 'node:assert/strict';

/**
 * Asserts two dumps hold the same data, object by object. Fails with the
 * path of the first difference instead of a diff of the whole dump (which
 * for thousands of objects would bury the answer).
 */
export function assertSameData(actual: unknown, expected: unknown, what: string): void {
  const difference = firstDifference(actual, expected, '$');
  if (difference !== undefined) assert.fail(`${what}: ${difference}`);
}

/** Asserts the dumps differ: proves a host's `dump` does not return the same thing for any store. */
export function assertDifferentData(actual: unknown, expected: unknown, what: string): void {
  if (firstDifference(actual, expected, '$') === undefined) assert.fail(what);
}

function firstDifference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    return `at ${path}: got ${show(actual)}, expected ${show(expected)}`;
  }
  if (Array.isArray(actual) !== Array.isArray(expected)) return `at ${path}: an array on one side only`;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return `at ${path}: ${actual.length} entries, expected ${expected.length}`;
    for (let index = 0; index < actual.length; index++) {
      const found = firstDifference(actual[index], expected[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
  for (const key of [...keys].sort()) {
    if (!(key in a)) return `at ${path}.${key}: missing`;
    if (!(key in e)) return `at ${path}.${key}: unexpected ${show(a[key])}`;
    const found = firstDifference(a[key], e[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
