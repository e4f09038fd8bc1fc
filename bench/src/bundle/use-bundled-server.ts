/** Points the harness at the bundle's server (see server-process.ts, `BACKUP_BENCH_SERVER`). */
import { fileURLToPath } from 'node:url';
import { BUNDLED_SERVER_PATH } from './layout.ts';

process.env.BACKUP_BENCH_SERVER ??= fileURLToPath(new URL(`./${BUNDLED_SERVER_PATH}`, import.meta.url));
