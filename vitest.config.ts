import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    globalSetup: ['test/setup/global.ts'],
    // also when vitest is started directly rather than by npm test: onnxruntime-node loaded by the tests stays silent
    // (no telemetry, no files of its own in HOME or the temp folder; docs/commands.md, Environment)
    env: { ORT_DISABLE_TELEMETRY: '1' },
  },
});
