import { existsSync } from 'node:fs';
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
 * The to-do list of a binary that is missing (or is a prebuild that does not load here):
 * what happened, and how to build it under each package manager (install scripts skipped is
 * the usual cause: with a prebuild for the platform nothing is compiled, so what is missing is
 * a platform without one).
 */
function fixMessage(packageRoot: string, what: string[]): string {
  return [
    ...what,
    `Build it from source (the package ships its C++ sources); this needs python3, make and g++`,
    `(Debian/Ubuntu: apt-get install python3 make g++; Alpine: apk add python3 make g++), then:`,
    `  npm:   npm rebuild @rxipc/native   (install scripts were skipped, e.g. --ignore-scripts)`,
    `  pnpm:  pnpm approve-builds   (pnpm >= 10 runs no install script unless approved), or add`,
    `         "@rxipc/native" to "pnpm": { "onlyBuiltDependencies": [...] } in package.json, then pnpm rebuild @rxipc/native`,
    `  yarn:  yarn rebuild @rxipc/native`,
    `  in the rxipc repository: npm run build`,
    `Bundled with esbuild, webpack or rollup? Keep @rxipc/* external (esbuild --external:'@rxipc/*'):`,
    `the addon is found next to the package's own files.`,
  ].join('\n');
}

function nativeError(code: string, message: string, cause: unknown): Error & { code: string } {
  const err = new Error(message, { cause }) as Error & { code: string };
  err.code = code;
  return err;
}

/**
 * Loads the addon from a package root with node-gyp-build (build/Release, then prebuilds/).
 * A missing binary fails with a to-do list (`ERR_RXIPC_NATIVE_MISSING`): the paths tried and
 * the commands that build it; so does a prebuild that the system cannot load, e.g. a glibc
 * older than the one it was built against (`ERR_RXIPC_NATIVE_INCOMPATIBLE`).
 * The loaded addon gets its error factory (errors.ts `systemError`) before it is returned,
 * so every system error it throws is built by that one function.
 *
 * @example
 * const binding = loadBinding('/path/to/node_modules/@rxipc/native');
 */
export function loadBinding(packageRoot: string): NativeBinding {
  const require = createRequire(import.meta.url);
  const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  const target = `${process.platform}-${process.arch} (${existsSync('/etc/alpine-release') ? 'musl' : 'glibc'}, Node ${process.versions.node})`;
  let path: string;
  try {
    path = nodeGypBuild.resolve(packageRoot);
  } catch (cause) {
    if (!String((cause as Error)?.message).startsWith('No native build was found')) throw cause;
    throw nativeError(
      'ERR_RXIPC_NATIVE_MISSING',
      fixMessage(packageRoot, [
        `rxipc: no native addon for ${target}: no prebuilt binary matches and none was built.`,
        `  looked for: ${join(packageRoot, 'build', 'Release', 'rxipc.node')}`,
        `         and: ${join(packageRoot, 'prebuilds')}/${process.platform}-${process.arch}/*.node`,
      ]),
      cause,
    );
  }
  let binding: NativeBinding;
  try {
    binding = require(path) as NativeBinding;
  } catch (cause) {
    // A binary built here that fails to load says why itself; a prebuild may just not fit.
    if (!path.startsWith(join(packageRoot, 'prebuilds'))) throw cause;
    throw nativeError(
      'ERR_RXIPC_NATIVE_INCOMPATIBLE',
      fixMessage(packageRoot, [
        `rxipc: the prebuilt addon ${path} does not load on ${target}:`,
        `  ${String((cause as Error)?.message).split('\n')[0]}`,
        `(the linux-x64 prebuild needs glibc >= 2.34).`,
      ]),
      cause,
    );
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
