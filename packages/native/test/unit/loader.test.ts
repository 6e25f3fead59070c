import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadBinding, nativePath } from '@rxipc/native';
import { describe, expect, it } from 'vitest';

import { testRunId } from '../../../../test/support/tmp.js';

describe('loading the addon', () => {
  it('names the paths it tried and the fix per package manager, with the prerequisites, when the binary is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), `rxipc-${testRunId}-noaddon-`));
    try {
      let err: (Error & { code?: string }) | undefined;
      try {
        loadBinding(empty);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code).toBe('ERR_RXIPC_NATIVE_MISSING');
      expect(err?.message).toContain(join(empty, 'build', 'Release', 'rxipc.node'));
      expect(err?.message).toContain(join(empty, 'prebuilds'));
      expect(err?.message).toContain(join(empty, 'prebuilds', `${process.platform}-${process.arch}`));
      for (const fix of ['npm rebuild @rxipc/native', 'pnpm approve-builds', 'onlyBuiltDependencies', 'pnpm rebuild @rxipc/native', 'npm run build']) {
        expect(err?.message).toContain(fix);
      }
      expect(err?.message).toMatch(/python3, make and g\+\+/);
      expect(err?.message).toContain("--external:'@rxipc/*'");
      expect(err?.message).not.toContain('checkout');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('says a prebuild that does not load here is incompatible, with the same fixes', () => {
    const pkg = mkdtempSync(join(tmpdir(), `rxipc-${testRunId}-badprebuild-`));
    try {
      const dir = join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '@rxipc+native.glibc.node'), 'not an ELF file');
      writeFileSync(join(dir, '@rxipc+native.musl.node'), 'not an ELF file');
      let err: (Error & { code?: string }) | undefined;
      try {
        loadBinding(pkg);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code).toBe('ERR_RXIPC_NATIVE_INCOMPATIBLE');
      expect(err?.message).toContain(dir);
      expect(err?.message).toContain('npm rebuild @rxipc/native');
      expect(err?.message).toMatch(/python3, make and g\+\+/);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });

  it('loads the built addon from build/Release', () => {
    expect(nativePath).toMatch(/build\/Release\/rxipc\.node$/);
    const binding = loadBinding(join(nativePath, '..', '..', '..'));
    expect(typeof binding.pipe2).toBe('function');
  });
});
