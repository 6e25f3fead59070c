// The packages as an embedder gets them: `npm run pack`'s tarballs installed with plain npm
// into a fresh project outside the monorepo, with no compiler on PATH and install scripts
// skipped, then used from ESM, CommonJS, a worker, RxJS (the lowest version the peer range
// claims), an esbuild bundle, and TypeScript under every module resolution.
//
// Needs the npm registry (rxjs, node-gyp-build, @types/node); skipped, saying so, only when it
// cannot be reached.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { trackChild } from '../support/children.js';
import { queueExists, removeQueueId } from '../support/ipc.js';
import { makeTestTempDir } from '../support/tmp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const packDir = join(root, '.cache', 'pack');
const tsc = join(root, 'node_modules', 'typescript', 'lib', 'tsc.js');
/**
 * The lowest rxjs that @rxipc/rx's peer range (^7.5.5) admits: what the embedder installs. The
 * first with a `types` export condition; before it, node16 / nodenext resolution finds no types
 * for rxjs (TS7016), so neither for @rxipc/rx (runtime alone works from 7.0.0).
 */
const RXJS_LOWEST = '7.5.5';
const TYPES_NODE = '20.19.43';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const shown = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** npm's own entry point: npm runs it under the node that runs this test. */
function npmCli(): string {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm) && existsSync(fromNpm)) return fromNpm;
  return join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

let app = '';
let pnpmApp = '';
let tarballs: Record<'native' | 'core' | 'rx', string>;
let env: NodeJS.ProcessEnv = {};
let offline = '';
const queues = new Set<number>();

/** Runs node on one of the app's files; remembers the queue ids it reports. */
async function node(file: string): Promise<Ran> {
  const r = await run(process.execPath, [file], { cwd: app, env });
  for (const line of r.stdout.split('\n')) {
    const id = (/^\{"queue":(\d+)\}$/.exec(line) ?? [])[1];
    if (id !== undefined) queues.add(Number(id));
  }
  return r;
}

function lastJson(r: Ran): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

beforeAll(async () => {
  // One packed set per run: the release path itself (prebuild + pnpm pack).
  const pack = await run(process.execPath, [join(root, 'scripts', 'dev.mjs'), 'pack'], {
    cwd: root,
    env: { ...process.env, RXIPC_QUIET: '1' },
    timeoutMs: 120_000,
  });
  if (pack.code !== 0) throw new Error(`npm run pack failed\n${shown(pack)}`);
  const packed = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  const tarball = (name: string) => join(packDir, packed.find((f) => f.startsWith(`rxipc-${name}-`))!);
  tarballs = { native: tarball('native'), core: tarball('core'), rx: tarball('rx') };

  app = makeTestTempDir('embed');
  // PATH holds node and the few shell tools that npm's and pnpm's script shims use (sh, sed,
  // dirname, uname, ...) and nothing else: no cc, g++, make or python3.
  const bin = join(app, '.bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['sh', 'sed', 'dirname', 'basename', 'uname', 'cat', 'env']) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found) symlinkSync(found, join(bin, tool));
  }
  const passed = Object.entries(process.env).filter(([k]) => /proxy|^npm_config_registry$/i.test(k));
  env = { PATH: bin, HOME: process.env.HOME, LANG: 'C.UTF-8', ...Object.fromEntries(passed) };

  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'rxipc-embedder',
      private: true,
      dependencies: {
        '@rxipc/native': `file:${tarballs.native}`,
        '@rxipc/core': `file:${tarballs.core}`,
        '@rxipc/rx': `file:${tarballs.rx}`,
        rxjs: RXJS_LOWEST,
        '@types/node': TYPES_NODE,
      },
    }),
  );
  for (const f of ['esm.mjs', 'worker.mjs', 'cjs.cjs']) copyFileSync(join(fixtures, f), join(app, f));
  for (const ext of ['mts', 'cts', 'ts']) copyFileSync(join(fixtures, 'app.ts'), join(app, `app.${ext}`));

  const install = await run(
    process.execPath,
    [npmCli(), 'install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: app, env, timeoutMs: 120_000 },
  );
  if (install.code !== 0 && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH/.test(install.stderr)) {
    offline = `the npm registry is unreachable: ${install.stderr.trim().split('\n')[0]}`;
    return;
  }
  if (install.code !== 0) throw new Error(`npm install of the tarballs failed\n${shown(install)}`);
}, 240_000);

afterAll(() => {
  for (const id of queues) if (queueExists(id)) removeQueueId(id);
  for (const dir of [app, pnpmApp]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed packages in a project outside the monorepo, no compiler on PATH', () => {
  it('npm install --ignore-scripts: the prebuild is there, no build directory', (ctx) => {
    if (offline) ctx.skip(offline);
    const native = join(app, 'node_modules', '@rxipc', 'native');
    expect(existsSync(join(native, 'prebuilds', `linux-${process.arch}`, '@rxipc+native.glibc.node'))).toBe(true);
    expect(existsSync(join(native, 'build'))).toBe(false);
    expect(existsSync(join(native, 'src', 'addon.cc'))).toBe(true); // the source-build fallback
    // dist's source maps and declaration maps point into src/: shipped, so both resolve.
    expect(existsSync(join(app, 'node_modules', '@rxipc', 'core', 'src', 'index.ts'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', '@rxipc', 'core', 'dist', 'index.d.ts.map'))).toBe(true);
  });

  it('ships manifests without workspace: ranges, a LICENSE, and READMEs that stand alone', (ctx) => {
    if (offline) ctx.skip(offline);
    for (const name of ['native', 'core', 'rx']) {
      const dir = join(app, 'node_modules', '@rxipc', name);
      const manifest = readFileSync(join(dir, 'package.json'), 'utf8');
      expect(manifest, name).not.toContain('workspace:');
      expect(JSON.parse(manifest)).toMatchObject({ license: 'MIT', publishConfig: { access: 'public' } });
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      expect(readme, name).not.toMatch(/\]\(\.\.\//); // no links out of the package
      for (const must of ['Linux only', 'python3, make and', 'npm rebuild @rxipc/native', 'SIGRTMIN+5', 'CANCEL_SIGNAL']) {
        expect(readme, `${name} README: ${must}`).toContain(must);
      }
    }
  });

  it('runs from ESM: core, an rx subscription on the lowest rxjs claimed, and a worker', async (ctx) => {
    if (offline) ctx.skip(offline);
    const r = await node('esm.mjs');
    expect(r.code, shown(r)).toBe(0);
    expect(lastJson(r)).toEqual({ esm: 'esm', rx: 'rx', worker: 'worker', workerExit: 0, cancelSignal: expect.any(Number) });
  });

  it('runs from CommonJS (require of the ES modules, Node >= 20.19)', async (ctx) => {
    if (offline) ctx.skip(offline);
    const r = await node('cjs.cjs');
    expect(r.code, shown(r)).toBe(0);
    expect(lastJson(r)).toEqual({ cjs: 'cjs' });
  });

  it('runs bundled by esbuild with @rxipc/* external', async (ctx) => {
    if (offline) ctx.skip(offline);
    // As `esbuild esm.mjs --bundle --platform=node --format=esm --external:@rxipc/*`: rxjs is
    // bundled, the addon's packages load from node_modules (the addon sits beside their files).
    const b = await build({
      absWorkingDir: app,
      entryPoints: ['esm.mjs'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['@rxipc/*'],
      outfile: 'esm.bundle.mjs',
      logLevel: 'silent',
    });
    expect(b.errors).toEqual([]);
    const r = await node('esm.bundle.mjs');
    expect(r.code, shown(r)).toBe(0);
    expect(lastJson(r)).toMatchObject({ esm: 'esm', rx: 'rx', worker: 'worker' });
  });

  it('npm rebuild @rxipc/native (the install script) takes the prebuild and compiles nothing', async (ctx) => {
    if (offline) ctx.skip(offline);
    const r = await run(process.execPath, [npmCli(), 'rebuild', '@rxipc/native', '--foreground-scripts'], { cwd: app, env });
    expect(r.code, shown(r)).toBe(0);
    expect(existsSync(join(app, 'node_modules', '@rxipc', 'native', 'build'))).toBe(false);
  });

  it('installs with pnpm (its install scripts run: the prebuild is taken, nothing compiled) and runs', async (ctx) => {
    if (offline) ctx.skip(offline);
    // A project of its own: node resolution must not find the npm project's node_modules.
    pnpmApp = makeTestTempDir('embed-pnpm');
    const deps = { '@rxipc/native': `file:${tarballs.native}`, '@rxipc/core': `file:${tarballs.core}`, '@rxipc/rx': `file:${tarballs.rx}` };
    writeFileSync(
      join(pnpmApp, 'package.json'),
      JSON.stringify({
        name: 'rxipc-embedder-pnpm',
        private: true,
        dependencies: { ...deps, rxjs: RXJS_LOWEST },
        // core's "@rxipc/native": "0.1.0" names the registry; the tarballs stand in for it.
        pnpm: { overrides: deps },
      }),
    );
    for (const f of ['esm.mjs', 'worker.mjs']) copyFileSync(join(fixtures, f), join(pnpmApp, f));
    const pnpm = join(root, '.cache', 'pnpm', 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
    const install = await run(process.execPath, [pnpm, 'install', '--prefer-offline', '--reporter=append-only'], {
      cwd: pnpmApp,
      env,
      timeoutMs: 120_000,
    });
    expect(install.code, shown(install)).toBe(0);
    expect(existsSync(join(pnpmApp, 'node_modules', '@rxipc', 'native', 'build'))).toBe(false);
    const r = await run(process.execPath, ['esm.mjs'], { cwd: pnpmApp, env });
    for (const id of r.stdout.match(/(?<=^\{"queue":)\d+/gm) ?? []) queues.add(Number(id));
    expect(r.code, shown(r)).toBe(0);
    expect(lastJson(r)).toMatchObject({ esm: 'esm', rx: 'rx', worker: 'worker' });
  }, 120_000);

  it('type-checks (strict, skipLibCheck: false) under node16, nodenext (import and require), bundler and node10', async (ctx) => {
    if (offline) ctx.skip(offline);
    // Node's libs only (no DOM), and TypeScript's own lib files not re-checked: the time goes to
    // checking the packages' .d.ts (and @types/node, rxjs), which skipLibCheck: false is about.
    const base = { strict: true, skipLibCheck: false, skipDefaultLibCheck: true, noEmit: true, target: 'ES2022', lib: ['ES2023'], types: ['node'] };
    const configs: Record<string, { compilerOptions: object; files: string[] }> = {
      node16: { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, files: ['app.mts'] },
      // app.cts imports compile to require(): TypeScript >= 5.8 allows that of an ES module
      // under nodenext (Node >= 20.19 does it); under node16 it is TS1479, as Node 16 had no require(esm).
      nodenext: { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['app.mts', 'app.cts'] },
      bundler: { compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, files: ['app.mts'] },
      // No exports map: the top-level "types" fields.
      node10: { compilerOptions: { ...base, module: 'commonjs', moduleResolution: 'node10' }, files: ['app.ts'] },
    };
    const names = Object.keys(configs);
    for (const name of names) writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify(configs[name]));
    // Two at a time: the machine's cores are shared.
    const results: Record<string, Ran> = {};
    for (let i = 0; i < names.length; i += 2) {
      const batch = names.slice(i, i + 2);
      const ran = await Promise.all(batch.map((n) => run(process.execPath, [tsc, '-p', `tsconfig.${n}.json`], { cwd: app, env })));
      batch.forEach((n, j) => (results[n] = ran[j]!));
    }
    for (const name of names) expect(results[name]!.code, `${name}: ${shown(results[name]!)}`).toBe(0);
  }, 90_000);
});
