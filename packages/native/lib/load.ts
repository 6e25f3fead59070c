import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeBinding } from './binding.js';
import { systemError, useErrnoTable } from './errors.js';

/** The package root: one level above both lib/ (sources) and dist/ (built). */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the addon is looked for (node-gyp's output). */
export const nativePath = join(root, 'build', 'Release', 'rxipc.node');

/**
 * Loads the addon from a package root with node-gyp-build (build/Release, then prebuilds/).
 * A missing binary fails with a to-do list: the paths tried and the command that builds it.
 * The loaded addon gets its error factory (errors.ts `systemError`) before it is returned,
 * so every system error it throws is built by that one function.
 *
 * @example
 * const binding = loadBinding('/path/to/node_modules/@rxipc/native');
 */
export function loadBinding(packageRoot: string): NativeBinding {
  const require = createRequire(import.meta.url);
  let binding: NativeBinding;
  try {
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    binding = nodeGypBuild(packageRoot);
  } catch (cause) {
    // Only a missing binary is "not built"; a binary that fails to load says why itself.
    if (!String((cause as Error)?.message).startsWith('No native build was found')) throw cause;
    const err = new Error(
      `rxipc: the native addon is not built (looked for ${join(packageRoot, 'build', 'Release', 'rxipc.node')} ` +
        `and ${join(packageRoot, 'prebuilds')}).\n` +
        `Build it with:  npm run build   (in the rxipc checkout), or:  cd ${packageRoot} && npx node-gyp rebuild`,
      { cause },
    );
    (err as Error & { code: string }).code = 'ERR_RXIPC_NATIVE_MISSING';
    throw err;
  }
  useErrnoTable(binding.errnos);
  binding.setErrorFactory(systemError);
  return binding;
}

/**
 * The raw binding (tasks.ts installs the waiter dispatcher on first import of the package).
 *
 * @example
 * const [readFd, writeFd] = native.pipe2(native.constants.O_CLOEXEC);
 */
export const native: NativeBinding = loadBinding(root);
