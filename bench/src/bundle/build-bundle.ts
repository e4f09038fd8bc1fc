/**
 * `npm run bench -- --bundle <dir>`: the bench as a folder that runs on a
 * machine with no network and nothing installed (a many-core machine to
 * measure scaling on). One JS file for the harness (`bench.mjs`), one for the
 * server (`app/server/server.mjs`) with every worker-thread entry of the
 * packages beside it, the server's `.proto` files, the Node binary running
 * this build, `pigz` and `zstd` with the libraries they need, a `run.sh` and
 * a README. See bench/README.md ("A bundle for many-core machines").
 */
import { spawnSync } from 'node:child_process';
import { promises as fsp, globSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectTools } from '../baselines.ts';
import { versions } from '../machine.ts';
import { bundleBinary } from './native-binaries.ts';
import { BUNDLED_HARNESS, BUNDLED_PROTO_DIR, BUNDLED_SERVER_DIR, BUNDLED_SERVER_PATH, BUNDLED_WORKER_PROVIDER } from './layout.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..', '..');
const require = createRequire(import.meta.url);

/** Worker-thread entries: each becomes `<basename>.mjs` beside the server, where the core starts it from. */
const SERVER_BIN = /[\\/]packages[\\/]server[\\/]src[\\/]bin\.ts$/;

export const WORKER_ENTRY_GLOB = 'packages/*/src/**/*-worker.ts';

/**
 * Packages loaded with `require()` at run time (`createRequire(import.meta.url)`),
 * which a bundler cannot follow: copied as they are into the bundle's
 * node_modules/, where Node finds them from both JS files. `from`: the
 * workspace package that depends on it.
 */
const RUNTIME_PACKAGES = [{ name: 'sorted-btree', from: '@backup/lsm' }] as const;

export interface BundleInfo {
  readonly builtAt: string;
  readonly commit: string;
  readonly node: string;
  /** Our packages' versions (the bundle has no package.json files to read them from). */
  readonly packages: Record<string, string>;
  readonly workers: string[];
  readonly binaries: { name: string; libraries: string[] }[];
  /** Baseline tools that were not installed where the bundle was built (the target machine's own are used, if any). */
  readonly missingTools: string[];
}

export async function buildBundle(outDir: string, log: (line: string) => void): Promise<BundleInfo> {
  const out = path.resolve(outDir);
  await fsp.mkdir(out, { recursive: true });
  // A previous bundle is rebuilt in place; anything else is never overwritten.
  const present = await fsp.readdir(out);
  if (present.length > 0 && !present.includes('bundle.json')) throw new Error(`${out} is neither empty nor a bench bundle: choose another folder`);
  for (const old of [BUNDLED_HARNESS, 'app', BUNDLED_PROTO_DIR, 'node_modules', 'bin', 'native'])
    await fsp.rm(path.join(out, old), { recursive: true, force: true });

  // Loaded here, not at the top: the bundle's own harness contains this module but never builds (rolldown is not in it).
  const { build } = await import('rolldown');
  const bundle = async (input: string, file: string, external: string[] = []): Promise<void> => {
    await build({
      input,
      platform: 'node',
      // The packages' TypeScript sources, as the harness runs them.
      resolve: { conditionNames: ['@backup/source', 'node', 'import', 'default'] },
      external,
      // The packages say `sideEffects: false`, but the server's bin is imported only to run it (server-entry.ts).
      treeshake: { moduleSideEffects: (id) => (SERVER_BIN.test(id) ? true : undefined) },
      logLevel: 'warn',
      output: { file: path.join(out, file), format: 'esm', codeSplitting: false },
    });
  };
  log(`bundling the harness into ${BUNDLED_HARNESS}`);
  await bundle(path.join(HERE, 'harness-entry.ts'), BUNDLED_HARNESS, ['rolldown']);
  log(`bundling the server into ${BUNDLED_SERVER_PATH}`);
  await bundle(path.join(HERE, 'server-entry.ts'), BUNDLED_SERVER_PATH);
  const workers = globSync(WORKER_ENTRY_GLOB, { cwd: REPO_ROOT }).sort();
  for (const worker of workers) {
    const file = `${BUNDLED_SERVER_DIR}/${path.basename(worker, '.ts')}.mjs`;
    log(`bundling ${worker} into ${file}`);
    await bundle(path.join(REPO_ROOT, worker), file);
  }
  if (workers.length === 0) log(`no worker-thread entries (${WORKER_ENTRY_GLOB})`);
  const workerProvider = `${BUNDLED_SERVER_DIR}/${BUNDLED_WORKER_PROVIDER}`;
  log(`bundling @backup/provider-filesystem into ${workerProvider} (the workers' own provider)`);
  await bundle(path.join(path.dirname(require.resolve('@backup/provider-filesystem/package.json')), 'src', 'index.ts'), workerProvider);

  await fsp.cp(path.join(path.dirname(require.resolve('@backup/server/package.json')), 'proto'), path.join(out, BUNDLED_PROTO_DIR), { recursive: true });
  for (const { name, from } of RUNTIME_PACKAGES) {
    const fromRequire = createRequire(require.resolve(`${from}/package.json`));
    await fsp.cp(path.dirname(fromRequire.resolve(`${name}/package.json`)), path.join(out, 'node_modules', name), { recursive: true, dereference: true });
  }

  const binaries = [await bundleBinary(out, 'node', process.execPath)];
  const missingTools: string[] = [];
  for (const tool of ['pigz', 'zstd']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found === '') {
      log(`${tool} is not installed here: the bundle uses the target machine's own, if any`);
      missingTools.push(tool);
      continue;
    }
    binaries.push(await bundleBinary(out, tool, found));
  }
  for (const binary of binaries) log(`${binary.name}${binary.libraries.length > 0 ? ` with ${binary.libraries.join(', ')}` : ''}`);

  for (const file of ['run.sh', 'README.md']) await fsp.copyFile(path.join(HERE, 'files', file), path.join(out, file));
  await fsp.chmod(path.join(out, 'run.sh'), 0o755);
  const git = (...args: string[]): string => spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = `${git('rev-parse', 'HEAD') || 'unknown'}${git('status', '--porcelain') === '' ? '' : ' (with uncommitted changes)'}`;
  const { packages } = versions(detectTools());
  const info: BundleInfo = { builtAt: new Date().toISOString(), commit, node: process.version, packages, workers, binaries, missingTools };
  await fsp.writeFile(path.join(out, 'bundle.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}
