/**
 * Tells the harness it runs from a bench bundle, and where that is
 * (`BACKUP_BENCH_BUNDLE`): it then starts the bundle's server
 * (server-process.ts) and reports the bundle's commit and package versions
 * (machine.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.BACKUP_BENCH_BUNDLE ??= path.dirname(fileURLToPath(import.meta.url));
