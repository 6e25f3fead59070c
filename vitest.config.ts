import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // In-repo tests run against the sources: no build step between an edit and a test.
    alias: [
      { find: /^@rxipc\/native$/, replacement: src('./packages/native/lib/index.ts') },
      { find: /^@rxipc\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@rxipc\/core\/internal$/, replacement: src('./packages/core/src/internal.ts') },
      { find: /^@rxipc\/rx$/, replacement: src('./packages/rx/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Native code and real child processes: one process per test file, never threads.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    globalSetup: ['./test/global-setup.ts'],
    // Children a test started are killed when it ends (also after a timeout): test/support/children.ts.
    setupFiles: ['./test/setup.ts'],
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.test.json',
    },
  },
});
