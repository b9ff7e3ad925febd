import { defineConfig } from 'vitest/config';
import { SkipSummaryReporter } from './test/support/skip-summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores here: two forks keep Dawn/lavapipe tests from starving each other.
    pool: 'forks',
    maxWorkers: 2,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    // The last line says how many tests were skipped for lack of a WebGPU adapter or Chromium.
    reporters: ['default', new SkipSummaryReporter()],
  },
});
