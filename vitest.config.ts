import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // In CI a JSON report beside the default one lets .ci/run print the plain 'N passed, N failed' line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
    // Generous: interop tests run the python reference, and CI machines are small (2 cores).
    testTimeout: 240_000,
    hookTimeout: 60_000,
    // Both cores: CLI end-to-end tests spawn processes; keep parallelism modest.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
});
