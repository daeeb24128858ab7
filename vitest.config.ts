import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end suites spawn the real claude binary (~200 MB, ~0.4 s CPU each);
    // on a 2-core machine more than two files at once only makes every suite slower.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
