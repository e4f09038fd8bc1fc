// Counts every test of the run and writes the totals for scripts/test.sh, which
// prints the closing `N passed, N failed` line (after the type check, which can
// fail too). A file that could not even be collected counts as one failure.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[], unhandledErrors: readonly unknown[]): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of modules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests; it still failed.
      if (tests === 0 && !module.ok()) failed++;
    }
    const target = process.env.BACKUP_TEST_SUMMARY_FILE;
    if (target) writeFileSync(target, JSON.stringify({ passed, failed, skipped }));
  }
}
