import { defineProject } from 'vitest/config';

export default defineProject({
  ssr: { resolve: { conditions: ['@genode-ts/source'] } },
  resolve: { conditions: ['@genode-ts/source'] },
  test: { name: 'vmm', dir: 'src', environment: 'node' },
});
