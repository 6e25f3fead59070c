#!/usr/bin/env node
// The one entry point behind the README's commands (`npm run demo`, `npm test`, ...).
//
// Each command does all of its own set-up and is fast when nothing changed:
//   1. a pinned pnpm, installed through npm into .cache/pnpm (no global pnpm, no corepack);
//   2. `pnpm install --frozen-lockfile` when the lock file or a manifest changed;
//   3. the native addon, rebuilt by node-gyp when a C++ source is newer than the binary;
//   4. TypeScript, built incrementally by `tsc -b`;
// then it runs the requested target. `pack` makes the release tarballs (see `pack` below). Uses only Node built-ins: it runs before any install.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM_VERSION = '9.15.9';
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const quiet = process.env.RXIPC_QUIET === '1';

function log(msg) {
  if (!quiet) process.stderr.write(`[rxipc] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    process.stderr.write(`[rxipc] failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status ?? 1);
  }
}

function ensurePnpm() {
  const dir = join(root, '.cache', 'pnpm');
  const bin = join(dir, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  const pkg = join(dir, 'node_modules', 'pnpm', 'package.json');
  if (existsSync(bin) && JSON.parse(readFileSync(pkg, 'utf8')).version === PNPM_VERSION) return bin;
  log(`bootstrapping pnpm@${PNPM_VERSION} through npm into .cache/pnpm`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  run('npm', ['install', '--no-save', '--no-package-lock', '--ignore-scripts', '--prefix', dir, `pnpm@${PNPM_VERSION}`]);
  return bin;
}

function manifestHash() {
  const h = createHash('sha256');
  const files = ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'];
  for (const ws of ['packages/native', 'packages/core', 'packages/rx', 'packages/cli', 'examples', 'bench']) {
    files.push(`${ws}/package.json`);
  }
  for (const f of files) {
    const p = join(root, f);
    h.update(f).update('\0').update(existsSync(p) ? readFileSync(p) : '').update('\0');
  }
  h.update(process.version);
  return h.digest('hex');
}

function ensureInstall(pnpm) {
  const stamp = join(root, 'node_modules', '.rxipc-install-stamp');
  const want = manifestHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  log('installing dependencies (pnpm install)');
  run(process.execPath, [pnpm, 'install', ...frozen, '--reporter=append-only']);
  writeFileSync(stamp, manifestHash());
}

function newestMtime(dir, filter) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    if (name.isDirectory()) newest = Math.max(newest, newestMtime(p, filter));
    else if (filter(name.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function ensureNative() {
  const nat = join(root, 'packages', 'native');
  const binary = join(nat, 'build', 'Release', 'rxipc.node');
  const sources = Math.max(
    newestMtime(join(nat, 'src'), (n) => /\.(cc|h)$/.test(n)),
    statSync(join(nat, 'binding.gyp')).mtimeMs,
  );
  if (existsSync(binary) && statSync(binary).mtimeMs >= sources) return;
  const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // A changed binding.gyp (a new source file) needs gyp to run again: rebuild, not build.
  const makefile = join(nat, 'build', 'Makefile');
  const configured =
    existsSync(join(nat, 'build', 'config.gypi')) &&
    existsSync(makefile) &&
    statSync(makefile).mtimeMs >= statSync(join(nat, 'binding.gyp')).mtimeMs;
  log(`building the native addon (node-gyp ${configured ? 'build' : 'rebuild'})`);
  run(process.execPath, [gyp, configured ? 'build' : 'rebuild', '-j', '2'], { cwd: nat });
}

function ensureTypeScript() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  run(process.execPath, [tsc, '-b', 'tsconfig.build.json']);
}

function setup() {
  const pnpm = ensurePnpm();
  ensureInstall(pnpm);
  ensureNative();
  ensureTypeScript();
  return pnpm;
}

/**
 * The built addon as a prebuild for this platform, in the layout and under the name that
 * `prebuildify --napi --tag-libc --strip` gives (prebuilds/linux-x64/@rxipc+native.glibc.node)
 * and node-gyp-build >= 4.8 looks for. The addon is N-API (NAPI_VERSION in binding.gyp), so
 * one binary per platform, arch and libc serves every Node >= 20. Copied from the build
 * above rather than rebuilt by prebuildify (which cleans and recompiles every time); other
 * platforms' prebuilds dropped into prebuilds/ (built on their own machines) are kept.
 */
function prebuild() {
  const nat = join(root, 'packages', 'native');
  // node-gyp-build's own test for musl: Alpine.
  const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
  const dir = join(nat, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, `@rxipc+native.${libc}.node`);
  copyFileSync(join(nat, 'build', 'Release', 'rxipc.node'), dest);
  const s = spawnSync('strip', ['--strip-all', dest], { stdio: 'inherit' });
  if (s.error || s.status !== 0) log(`strip unavailable: ${dest} keeps its symbols`);
  log(`prebuild: ${dest}`);
}

/**
 * Release tarballs in .cache/pack/: the prebuild, then `pnpm pack` of each package. Releases
 * go through pnpm (`pnpm pack` / `pnpm publish`), never npm's: pnpm rewrites `workspace:*`
 * to the version and applies `publishConfig`, npm ships `workspace:*` as is.
 */
/**
 * Removes what `tsc -b` left in dist/ of a source file that is gone (it never deletes), so a
 * tarball ships no module that the sources no longer have.
 */
function removeOrphanOutputs(pkg, srcDir) {
  const dist = join(pkg, 'dist');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const base = p.slice(dist.length + 1).replace(/(\.d)?\.js(\.map)?$|\.d\.ts(\.map)?$/, '');
      if (!existsSync(join(pkg, srcDir, `${base}.ts`))) {
        log(`removing ${p}: no ${srcDir}/${base}.ts`);
        rmSync(p);
      }
    }
  };
  if (existsSync(dist)) walk(dist);
}

function pack(pnpm) {
  const out = join(root, '.cache', 'pack');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  prebuild();
  for (const p of ['native', 'core', 'rx', 'cli']) {
    removeOrphanOutputs(join(root, 'packages', p), p === 'native' ? 'lib' : 'src');
    run(process.execPath, [pnpm, 'pack', '--pack-destination', out], {
      cwd: join(root, 'packages', p),
      stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
    });
  }
  log(`packed: ${readdirSync(out).join(', ')} in ${out}`);
}

function exec(args, opts = {}) {
  // Ctrl-C reaches the child too (same process group): wait for it to clean up and exit.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => {});
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  process.exit(r.status ?? (r.signal ? 128 : 1));
}

const [target = 'build', ...rest] = process.argv.slice(2);
switch (target) {
  case 'build':
    setup();
    break;
  case 'test': {
    setup();
    // The tests are TypeScript too: type-check them (vitest itself only strips types).
    run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json']);
    const report = join(root, '.cache', 'vitest-report.json');
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => {});
    const r = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...rest],
      { stdio: 'inherit', cwd: root },
    );
    // One plain closing line that any CI can read.
    try {
      const j = JSON.parse(readFileSync(report, 'utf8'));
      const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
      process.stdout.write(`\nTests: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped\n`);
    } catch {
      /* vitest wrote no report: its own output says why */
    }
    process.exit(r.status ?? 1);
  }
  case 'demo':
    setup();
    exec([join(root, 'examples', 'dist', 'showcase', 'main.js'), ...rest]);
    break;
  case 'example': {
    const [name, ...args] = rest;
    setup();
    if (!name || !existsSync(join(root, 'examples', 'dist', name, 'main.js'))) {
      const names = readdirSync(join(root, 'examples', 'dist'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
      process.stderr.write(`usage: npm run example <name> [-- args]\nexamples: ${names.join(', ')}\n`);
      process.exit(2);
    }
    exec([join(root, 'examples', 'dist', name, 'main.js'), ...args]);
    break;
  }
  case 'pack':
    pack(setup());
    break;
  case 'rxipc':
    // The command line from the repo: `npm run rxipc -- ls`. Built first if anything changed.
    setup();
    exec([join(root, 'packages', 'cli', 'dist', 'main.js'), ...rest], { cwd: process.env.INIT_CWD ?? process.cwd() });
    break;
  case 'bench':
    setup();
    exec([join(root, 'bench', 'dist', 'run.js'), ...rest]);
    break;
  default:
    process.stderr.write(`unknown target '${target}': build | test | pack | demo | example <name> | bench | rxipc\n`);
    process.exit(2);
}
