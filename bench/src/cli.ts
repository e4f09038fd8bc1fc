/**
 * `npm run bench` (through scripts/bench.sh): runs the benchmark, prints the
 * table and writes the JSON result. Exit code 0 when the run completed (a
 * missed target is a finding, not a failure), 1 when it could not complete,
 * 2 for bad arguments.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { USAGE, parseOptions, type BenchOptions } from './options.ts';
import { machineInfo } from './machine.ts';
import { formatClusterReport, formatReport, formatSpeedReport } from './report.ts';
import { clusterChecks, runBench, runClusterCase, runSpeedBench } from './run.ts';

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}

const started = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
};

if (options.bundle !== undefined) {
  try {
    // Loaded only here: it needs the bundler, which the bundle itself does not contain.
    const { buildBundle } = await import('./bundle/build-bundle.ts');
    await buildBundle(options.bundle, log);
    process.stdout.write(`\nBundle: ${options.bundle} (run ${path.join(options.bundle, 'run.sh')} there; see its README.md)\n`);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`bench: the bundle was not built: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

if (options.speedOnly) {
  try {
    const result = await runSpeedBench(options, log);
    await fsp.mkdir(path.dirname(options.output), { recursive: true });
    await fsp.writeFile(options.output, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\n${formatSpeedReport(result)}\n\nResults: ${path.relative(process.cwd(), options.output) || options.output}\n`);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`bench: the run did not complete: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

if (options.clusterOnly) {
  try {
    const cluster = await runClusterCase(options, log);
    await fsp.mkdir(path.dirname(options.output), { recursive: true });
    const finishedAt = new Date().toISOString();
    await fsp.writeFile(options.output, `${JSON.stringify({ finishedAt, machine: machineInfo(), cluster, targets: clusterChecks(cluster) }, null, 2)}\n`);
    process.stdout.write(`\n${formatClusterReport(cluster)}\n\nResults: ${path.relative(process.cwd(), options.output) || options.output}\n`);
    process.exit(cluster.available ? 0 : 1);
  } catch (error) {
    process.stderr.write(`bench: the run did not complete: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

try {
  const result = await runBench(options, log);
  await fsp.mkdir(path.dirname(options.output), { recursive: true });
  await fsp.writeFile(options.output, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n${formatReport(result)}\n\nResults: ${path.relative(process.cwd(), options.output) || options.output}\n`);
} catch (error) {
  process.stderr.write(`bench: the run did not complete: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
