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
    // CI reports line coverage of the security core (issue: hardening asks for >= 95 %). CLI tests
    // run the built binary in child processes, which in-process coverage does not see, so the report
    // covers the library folders exercised in-process.
    coverage: {
      enabled: !!process.env.CI,
      provider: 'v8',
      include: ['src/verify/**', 'src/rules/**', 'src/encoding/**', 'src/crypto/**'],
      exclude: ['**/*.types.ts', 'src/rules/types.ts', 'src/verify/report.ts'],
      reporter: ['text', 'text-summary', 'json-summary'],
      // The table also when a test failed: CI's log then still shows where coverage stands.
      reportOnFailure: true,
      // Issue: hardening asks for >= 95 % lines in each of these folders; CI fails below it.
      thresholds: {
        'src/verify/**': { lines: 95 },
        'src/rules/**': { lines: 95 },
        'src/encoding/**': { lines: 95 },
        'src/crypto/**': { lines: 95 },
      },
    },
  },
});
