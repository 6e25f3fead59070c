// Support for the example tests: they run the BUILT programs (examples/dist) as real
// processes, with this Node binary, the way a user runs them.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The path of a built example program: examples/dist/<name>/<file>. */
export function program(name: string, file = 'main.js'): string {
  const path = fileURLToPath(new URL(`../dist/${name}/${file}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`node scripts/dev.mjs build\` first`);
  return path;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the output so far once `pattern` appears in it (rejects after `ms`). */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', ms?: number): Promise<string>;
  /** Resolves when the process has exited and its output is complete. */
  exit: Promise<Exit>;
}

export interface StartOptions extends Pick<SpawnOptions, 'cwd' | 'env' | 'detached'> {
  /** Written to stdin, which is then closed. Without it stdin stays open (see child.stdin). */
  input?: string;
}

/** Starts `node script ...args` with piped stdio. */
export function start(script: string, args: string[] = [], options: StartOptions = {}): Running {
  const { input, ...spawnOptions } = options;
  const child = spawn(process.execPath, [script, ...args], { ...spawnOptions, stdio: 'pipe' });
  const out = { stdout: '', stderr: '' };
  // Pending waitFor() calls: each is re-checked on new output, and failed when the process ends.
  const waits = new Set<{ check: () => void; fail: (why: string) => void }>();
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]!.setEncoding('utf8').on('data', (text: string) => {
      out[stream] += text;
      for (const wait of waits) wait.check();
    });
  }
  if (input !== undefined) child.stdin!.end(input);
  const exit = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      for (const wait of waits) wait.fail(`exited (${code ?? signal})`);
      resolve({ code, signal, ...out });
    });
  });
  return {
    child,
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    exit,
    waitFor(pattern, stream = 'stdout', ms = 5000) {
      return new Promise<string>((resolve, reject) => {
        const wait = {
          check: () => {
            if (!pattern.test(out[stream])) return;
            done();
            resolve(out[stream]);
          },
          fail: (why: string) => {
            done();
            reject(new Error(`${why} before ${pattern} on ${stream}. stdout:\n${out.stdout}\nstderr:\n${out.stderr}`));
          },
        };
        const timer = setTimeout(() => wait.fail(`${ms} ms passed`), ms);
        const done = () => {
          clearTimeout(timer);
          waits.delete(wait);
        };
        waits.add(wait);
        wait.check();
      });
    },
  };
}

/** Runs `node script ...args` to completion. */
export function run(script: string, args: string[] = [], options: StartOptions = {}): Promise<Exit> {
  return start(script, args, { input: '', ...options }).exit;
}

/** The ids of all System V message queues now (from /proc/sysvipc/msg). */
export function queueIds(): Set<number> {
  const rows = readFileSync('/proc/sysvipc/msg', 'utf8').trim().split('\n').slice(1);
  return new Set(rows.map((row) => Number(row.trim().split(/\s+/)[1])));
}
