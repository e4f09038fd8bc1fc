// The README promises that its example is the type-checked, executed file.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

test('the README example is examples/memory-provider.test.ts, verbatim', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const example = readFileSync(new URL('../examples/memory-provider.test.ts', import.meta.url), 'utf8');
  const firstTsBlock = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(firstTsBlock).toBe(example);
  expect(example.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
});
