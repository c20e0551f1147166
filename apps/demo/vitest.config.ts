import { defineProject } from 'vitest/config';

export default defineProject({
  ssr: { resolve: { conditions: ['@genode-ts/source'] } },
  resolve: { conditions: ['@genode-ts/source'] },
  // A safety net, not a speed check (speed goes to bench/): CI runs several suites at once on two
  // cores, where a property test that takes 0.5 s alone can take several seconds.
  test: {
    testTimeout: 60_000,
    name: 'demo',
    dir: 'src',
    environment: 'node',
  },
});
