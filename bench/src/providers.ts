/**
 * Provider overhead against the bare SDK upload, from each cloud provider's
 * own benchmark (`packages/provider-<name>/bench/upload-throughput.ts`, which
 * starts its emulator). A benchmark that is missing or fails is reported with
 * the reason, never dropped.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ProviderFigures {
  readonly available: boolean;
  /** Why there are no figures, when `available` is false. */
  readonly reason?: string;
  readonly providerMiBps?: number;
  readonly bareMiBps?: number;
  /** providerMiBps / bareMiBps */
  readonly ratio?: number;
  readonly bytes: number;
  readonly emulator: string;
}

type UploadBenchmark = (opts: { bytes: number }) => Promise<{ providerMiBps: number; bareMiBps: number; ratio: number }>;

const require = createRequire(import.meta.url);

export const PROVIDER_BENCHES = [
  { name: 's3', pkg: '@backup/provider-s3', exported: 'benchmarkS3Upload', emulator: 'MinIO' },
  { name: 'azure', pkg: '@backup/provider-azure', exported: 'benchmarkAzureUpload', emulator: 'Azurite' },
  { name: 'gcs', pkg: '@backup/provider-gcs', exported: 'benchmarkGcsUpload', emulator: 'fake-gcs-server' },
] as const;

export type ProviderName = (typeof PROVIDER_BENCHES)[number]['name'];

/** Runs every provider's upload benchmark with `bytes` bytes, one after the other. */
export async function benchmarkProviders(bytes: number, log: (line: string) => void): Promise<Record<ProviderName, ProviderFigures>> {
  const results = {} as Record<ProviderName, ProviderFigures>;
  for (const bench of PROVIDER_BENCHES) {
    log(`provider ${bench.name}: upload ${bytes / 1024 / 1024} MiB through the provider and the bare SDK (${bench.emulator})`);
    results[bench.name] = await runOne(bench, bytes);
  }
  return results;
}

async function runOne(bench: (typeof PROVIDER_BENCHES)[number], bytes: number): Promise<ProviderFigures> {
  const base = { bytes, emulator: bench.emulator };
  const file = path.join(path.dirname(require.resolve(`${bench.pkg}/package.json`)), 'bench', 'upload-throughput.ts');
  if (!existsSync(file)) return { ...base, available: false, reason: `${path.relative(process.cwd(), file)} does not exist yet` };
  try {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const run = module[bench.exported] as UploadBenchmark | undefined;
    if (typeof run !== 'function') return { ...base, available: false, reason: `${file} does not export ${bench.exported}` };
    const result = await run({ bytes });
    return { ...base, available: true, providerMiBps: result.providerMiBps, bareMiBps: result.bareMiBps, ratio: result.ratio };
  } catch (error) {
    return { ...base, available: false, reason: `failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
