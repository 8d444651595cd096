import { defineConfig } from 'vitest/config';

// Under CI a JSON report is written too, so that .ci/run can print its plain summary line.
const ci = process.env.CI === 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: ci ? ['default', 'json'] : ['default'],
    outputFile: ci ? { json: 'test-results.json' } : undefined,
  },
});
