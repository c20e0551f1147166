import { defineConfig } from 'vitest/config';

// For editors and `npx vitest` at the root; CI runs each package's own suite (scripts/ci.mjs).
export default defineConfig({
  test: { projects: ['packages/*', 'apps/*', 'tools/*'] },
});
