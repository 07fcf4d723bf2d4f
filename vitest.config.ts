import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One vitest run for the whole workspace. Tests resolve workspace packages to
// their TypeScript sources through the `@voicehive/source` export condition,
// so a test never runs against a stale build.
const testing = fileURLToPath(new URL('./packages/testing/src/index.ts', import.meta.url));
const contracts = fileURLToPath(new URL('./packages/testing/src/contracts/index.ts', import.meta.url));

export default defineConfig({
  resolve: {
    conditions: ['@voicehive/source'],
    // db-core's own tests need the harness, but the harness depends on db-core;
    // declaring it would make a package cycle, so core's tests reach it by alias.
    alias: [
      { find: /^@voicehive\/db-testing$/, replacement: testing },
      { find: /^@voicehive\/db-testing\/contracts$/, replacement: contracts },
    ],
  },
  ssr: { resolve: { conditions: ['@voicehive/source'] } },
  test: {
    include: [
      'test/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'bench/test/**/*.test.ts',
    ],
    pool: 'forks',
    // s3rver builds ListObjectsV2 continuation tokens with DES (reference/emulators.md).
    execArgv: ['--openssl-legacy-provider'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
