import { defineConfig } from 'vitest/config';

// A JSON report is written under CI (for .ci/run's plain summary line) and wherever
// WASMUX_TEST_REPORT names a file (scripts/test-runtimes.mjs, one report per runtime).
const report = process.env.WASMUX_TEST_REPORT ?? (process.env.CI === 'true' ? 'test-results.json' : undefined);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: report ? ['default', 'json'] : ['default'],
    outputFile: report ? { json: report } : undefined,
  },
});
