/**
 * Prints one plain closing line after vitest's own summary, e.g.
 * "Tests: 120 passed, 0 failed, 3 skipped", so CI and people read the outcome from the
 * last line whatever the runner's formatting. Skipped suites print why elsewhere.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests but is a failure all the same.
      if (
        mod.state() === 'failed' &&
        [...mod.children.allTests()].every((t) => t.result().state !== 'failed')
      )
        failed++;
    }
    failed += unhandledErrors.length;
    // Written after the default reporter's summary (reporters run in order).
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
