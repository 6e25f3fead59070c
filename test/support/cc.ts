// C fixtures for tests (the msgpeer peer, LD_PRELOAD shims), compiled with `cc` once per
// source: the output lives in the repository's .cache/test-bin, named by a hash of the
// source and the compiler arguments, and is reused by every test process and every run.
//
// Invariants:
// - nothing is written outside .cache/test-bin (no temp dir per process: vitest may kill its
//   workers before an 'exit' handler could remove one);
// - an output path, once it exists, is complete: each build goes to a unique temporary name
//   in the same directory and is renamed into place (concurrent test processes may build the
//   same source at the same moment; rename is atomic, and both results are identical).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where compiled C fixtures are cached (git-ignored with the rest of .cache). */
export const testBinDir = join(repoRoot, '.cache', 'test-bin');

export interface CompileOptions {
  /** Build a shared object (`-shared -fPIC`), for LD_PRELOAD. Default false: an executable. */
  shared?: boolean;
  /** Extra arguments after the source (libraries: `-ldl`, ...). */
  libs?: string[];
}

const built = new Map<string, string>();

/**
 * Compiles `source` (a .c file) with `cc -O2 -Wall -Werror`, or returns the cached result.
 *
 * @example
 * const peer = compileC(join(fixturesDir, 'msgpeer.c'));
 * const shim = compileC(fixture('slow-msgrcv.c'), { shared: true, libs: ['-ldl'] });
 */
export function compileC(source: string, options: CompileOptions = {}): string {
  const args = ['-O2', '-Wall', '-Werror', ...(options.shared ? ['-shared', '-fPIC'] : [])];
  const libs = options.libs ?? [];
  const hash = createHash('sha256')
    .update(readFileSync(source))
    .update('\0')
    .update([...args, ...libs].join(' '))
    .digest('hex')
    .slice(0, 16);
  const out = join(testBinDir, `${basename(source, '.c')}-${hash}${options.shared ? '.so' : ''}`);
  const known = built.get(out);
  if (known !== undefined) return known;
  if (!existsSync(out)) {
    mkdirSync(testBinDir, { recursive: true });
    const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
    const r = spawnSync('cc', [...args, '-o', tmp, source, ...libs], { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(tmp, { force: true });
      throw new Error(`cc ${basename(source)} failed: ${r.error?.message ?? r.stderr}`);
    }
    renameSync(tmp, out);
  }
  built.set(out, out);
  return out;
}
