// The Node floor the packages declare is the one `npm test` proves: it runs the
// unit tests of @backup/core and @backup/lsm again on the first version of
// core's `engines.node` range (scripts/test.sh). That holds for every package
// only if every published package declares the same range.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly engines?: { readonly node?: string };
}

function manifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(repoRoot, folder, 'package.json'), 'utf8')) as Manifest;
}

const published = [...readdirSync(join(repoRoot, 'packages')).map((name) => `packages/${name}`), 'conformance']
  .map((folder) => manifest(folder))
  .filter((pkg) => pkg.private !== true);

test('every published package declares the same Node range as @backup/core, starting at a release with zstd in node:zlib', () => {
  const range = manifest('packages/core').engines?.node;
  // zstd arrived in node:zlib in 22.15.0 and 23.8.0; core imports it at load time.
  expect(range).toBe('^22.15.0 || >=23.8.0');
  expect(published.length).toBeGreaterThanOrEqual(9);
  expect(Object.fromEntries(published.map((pkg) => [pkg.name, pkg.engines?.node]))).toEqual(Object.fromEntries(published.map((pkg) => [pkg.name, range])));
});
