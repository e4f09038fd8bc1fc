import { expect, test } from 'vitest';
import { wildcardMatch } from '../src/engine/wildcard.ts';

/** The reference semantics (exponential on hostile input, fine on short strings). */
function byRegExp(pattern: string, name: string): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's').test(name);
}

test('agrees with the regex semantics on every short pattern and name over a small alphabet', () => {
  let seed = 7;
  // biome-ignore lint/complexity/noCommaOperator lint/suspicious/noAssignInExpressions: a one-line seeded generator
  const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pick = (alphabet: string, length: number): string => Array.from({ length }, () => alphabet[next(alphabet.length)]).join('');
  for (let i = 0; i < 20_000; i++) {
    const pattern = pick('ab*?.', next(8));
    const name = pick('ab.', next(10));
    expect(wildcardMatch(pattern, name), `${pattern} ~ ${name}`).toBe(byRegExp(pattern, name));
  }
  expect(wildcardMatch('', '')).toBe(true);
  expect(wildcardMatch('*', '')).toBe(true);
  expect(wildcardMatch('?', '')).toBe(false);
  expect(wildcardMatch('Art*', 'Article')).toBe(true);
  expect(wildcardMatch('art*', 'Article')).toBe(false);
});

test('50 stars against a 10,000-character name finish within milliseconds', () => {
  const started = performance.now();
  expect(wildcardMatch(`${'*'.repeat(50)}b`, 'a'.repeat(10_000))).toBe(false);
  expect(wildcardMatch(`${'*a'.repeat(50)}b`, 'a'.repeat(10_000))).toBe(false);
  expect(wildcardMatch(`${'*a'.repeat(50)}`, 'a'.repeat(10_000))).toBe(true);
  expect(performance.now() - started).toBeLessThan(200);
});
