import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Builds (or, on a warm cache, only checks) the Python, Go and Java programs; npm test runs the
// same script in its setup. A missing toolchain fails the run naming it.
export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/clients/install.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
}
