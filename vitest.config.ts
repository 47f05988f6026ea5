import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // the CLI's --jobs default (the number of cores) would start worker threads in every test
    // that runs a command in-process; the tests of --jobs and --shard say --jobs themselves
    env: { LAZYMM_JOBS: '1' },
  },
});
