import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'repo-checks', dir: 'src', environment: 'node' },
});
