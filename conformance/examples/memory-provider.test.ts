import { test } from 'vitest';
import { runProviderConformance } from '@backup/conformance';
import { MemoryProvider } from './memory-provider.ts';

let run = 0;
runProviderConformance({
  test,
  factory: () => new MemoryProvider(),
  capabilities: new MemoryProvider().capabilities,
  alternateLocation: () => ({ path: `elsewhere-${++run}` }),
  largeObjectSize: 8 * 1024 * 1024,
});
