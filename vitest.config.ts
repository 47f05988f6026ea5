import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  // the public API by its package name, as users' modules import it (bin/loader-hooks.mjs does
  // the same for the CLI)
  resolve: {
    alias: {
      'lazymm/arches': fileURLToPath(new URL('./arches/index.ts', import.meta.url)),
      lazymm: fileURLToPath(new URL('./core/model/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // the CLI's --jobs default (the number of cores) would start worker threads in every test
    // that runs a command in-process; the tests of --jobs and --shard say --jobs themselves
    env: { LAZYMM_JOBS: '1' },
  },
});
