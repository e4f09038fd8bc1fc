/**
 * What a chunk worker loads: its own modules and its provider's, which build
 * on `@backup/core/provider`. Neither may pull in the engine, HTTP API or
 * cluster code: a worker that loaded them spent 1.3–2.4 CPU s per GiB in
 * V8's collector marking that code (docs/DESIGN.md, "A lean provider entry").
 * `@backup/core/provider` must also stay the same API as `@backup/core`'s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');
const PACKAGES = path.resolve(import.meta.dirname, '../..');
/** Relative imports and re-exports that load a module at run time (`import type` does not). */
const RUNTIME_IMPORT = /^(?:import|export)\s+(?!type\s)[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gms;

/** Directories of src/ a worker must never load: the engine's orchestration lives there and in index.ts. */
const NOT_FOR_WORKERS = /^(http|cluster|transfer|config)\/|^index\.ts$|^engine\/engine\.ts$/;

/** Every source file `entry` loads at run time, itself included. */
function runtimeModuleGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(RUNTIME_IMPORT)) visit(path.resolve(path.dirname(file), match[1]!));
  };
  visit(entry);
  return seen;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('@backup/core/provider', () => {
  it('exports the same bindings as @backup/core', async () => {
    const core: Record<string, unknown> = await import('@backup/core');
    const providerApi: Record<string, unknown> = await import('@backup/core/provider');
    const names = Object.keys(providerApi);
    expect(names).toEqual(expect.arrayContaining(['AbstractBackupProvider', 'BackupError', 'ErrorCode', 'defineCapabilities', 'progressTimeoutFromEnv']));
    for (const name of names) expect(core[name], name).toBe(providerApi[name]);
  });

  it('loads only leaf modules of src/, none of the engine, HTTP, cluster, transfer or config code', () => {
    const loaded = [...runtimeModuleGraph(path.join(SRC, 'provider-api.ts'))].map((file) => path.relative(SRC, file)).sort();
    expect(loaded.filter((file) => file.includes('/') || file === 'index.ts')).toEqual([]);
    expect(loaded.length).toBeLessThanOrEqual(10);
  });

  it('is what every provider package imports (never the whole of @backup/core)', () => {
    const providers = readdirSync(PACKAGES).filter((name) => name.startsWith('provider-'));
    expect(providers.length).toBeGreaterThanOrEqual(5);
    const offenders = providers.flatMap((name) =>
      sourceFiles(path.join(PACKAGES, name, 'src')).filter((file) => /from\s+['"]@backup\/core['"]/.test(readFileSync(file, 'utf8'))),
    );
    expect(offenders.map((file) => path.relative(PACKAGES, file))).toEqual([]);
  });
});

describe('the chunk worker', () => {
  it('loads the per-byte modules of engine/ and none of the orchestration, HTTP, cluster, transfer or config code', () => {
    const loaded = [...runtimeModuleGraph(path.join(SRC, 'engine', 'chunk-worker.ts'))].map((file) => path.relative(SRC, file)).sort();
    expect(loaded).toEqual(expect.arrayContaining(['engine/chunk-encoder.ts', 'engine/chunk-decoder.ts']));
    expect(loaded.filter((file) => NOT_FOR_WORKERS.test(file))).toEqual([]);
  });
});
