// Shared test support: unique temp dirs and paths, node child processes, and the /proc
// counts that prove a test left no fd and no thread behind.
//
// Invariants every helper keeps:
// - a temp dir is unique to its caller and removed by `remove()` (also after a failure);
// - a spawned child is killed by pid only if the test that started it is still waiting for it,
//   and at the latest when that test ends (children.ts, driven by test/setup.ts);
// - counts come from /proc/self, so they see every fd and thread of this process, whoever
//   made them (libuv, V8, the addon's waiter threads).
import { spawn, type ChildProcess, type SpawnOptions, type StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { native, tasks } from '@rxipc/native';

import { killAllChildren, trackChild } from './children.js';
import { makeTestTempDir } from './tmp.js';

let counter = 0;

/** A fresh directory under the OS temp dir, owned by one test. */
export interface TempDir {
  readonly path: string;
  /** `path/name`. */
  file(name: string): string;
  /** A path in this dir that nothing has used yet: `path/<prefix>-<n>`. */
  unique(prefix?: string): string;
  /** Removes the dir and everything in it. Idempotent. */
  remove(): void;
}

/**
 * Creates a uniquely named temp dir (mode 0o700).
 *
 * @example
 * const dir = makeTempDir('fifo');
 * try { Fifo.create(dir.unique('f')); } finally { dir.remove(); }
 */
export function makeTempDir(label = 'test'): TempDir {
  const path = makeTestTempDir(label);
  let n = 0;
  let removed = false;
  return {
    path,
    file: (name) => join(path, name),
    unique: (prefix = 'f') => join(path, `${prefix}-${++n}-${++counter}`),
    remove() {
      if (removed) return;
      removed = true;
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Open fds of this process (the readdir's own fd is counted consistently every time). */
export function countFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** What each open fd of this process refers to, for failure messages. */
export function listFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(`${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`);
    } catch {
      /* the readdir's own fd, closed by now */
    }
  }
  return out;
}

/** Whether `fd` is open in this process. */
export function isFdOpen(fd: number): boolean {
  try {
    readlinkSync(`/proc/self/fd/${fd}`);
    return true;
  } catch {
    return false;
  }
}

/** O_CLOEXEC as the kernel prints it in /proc/<pid>/fdinfo (octal 02000000). */
export const FDINFO_O_CLOEXEC = 0o2000000;

/**
 * The `flags:` field of /proc/self/fdinfo/<fd>: the file status flags plus O_CLOEXEC, which
 * the kernel adds there from the fd table. F_GETFL never reports O_CLOEXEC (it is an fd
 * flag, not a file status flag), so this is the one place a test can read both at once.
 */
export function fdInfoFlags(fd: number): number {
  const text = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /^flags:\s*([0-7]+)$/m.exec(text);
  if (!m) throw new Error(`no flags: field in /proc/self/fdinfo/${fd}: ${text}`);
  return parseInt(m[1]!, 8);
}

/** Whether `fd` is close-on-exec (read from /proc/self/fdinfo, not F_GETFD). */
export function isCloseOnExec(fd: number): boolean {
  return (fdInfoFlags(fd) & FDINFO_O_CLOEXEC) !== 0;
}

/** Threads of this process (main, libuv pool, V8 platform, waiter threads, ...). */
export function countThreads(): number {
  return readdirSync('/proc/self/task').length;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `condition` until it holds; rejects with `message` (and the last value seen) after
 * `timeout` ms.
 *
 * @example
 * await waitUntil(() => native.testing.waiterStats().threads === 0, { message: 'waiter threads' });
 */
export async function waitUntil(
  condition: () => boolean,
  { timeout = 3000, interval = 5, message = 'condition' }: { timeout?: number; interval?: number; message?: string | (() => string) } = {},
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (condition()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${typeof message === 'function' ? message() : message}`);
    }
    await sleep(interval);
  }
}

/**
 * Makes idle waiter threads exit after `ms` (process-wide) and returns a function that
 * restores the default. Threads already parked keep the timeout they started with, so call
 * this before the first waiting task of a test file.
 */
export function shortWaiterIdle(ms = 20): () => void {
  native.testing.setWaiterIdleMs(ms);
  return () => native.testing.setWaiterIdleMs(2000);
}

/** Waits until no waiter thread is alive (all tasks done and idle threads timed out). */
export async function waitForNoWaiterThreads(timeout = 3000): Promise<void> {
  await waitUntil(() => native.testing.waiterStats().threads === 0, {
    timeout,
    message: () => `waiter threads to exit (${JSON.stringify(native.testing.waiterStats())})`,
  });
}

/**
 * A baseline of this process's fds and threads, taken when the process is quiet, and the
 * check that it came back. Warm up first whatever creates threads lazily and keeps them
 * (the libuv pool on first fs call, the addon's cancel supervisor on first cancel).
 *
 * @example
 * const base = await Baseline.take();
 * ... // open and close things
 * await base.expectRestored();
 */
export class Baseline {
  private constructor(
    readonly fds: number,
    readonly threads: number,
    private readonly fdList: string[],
  ) {}

  static async take(): Promise<Baseline> {
    await waitForNoWaiterThreads();
    return new Baseline(countFds(), countThreads(), listFds());
  }

  /** Waits (up to `timeout`) for fds and threads to return to the baseline; throws if not. */
  async expectRestored(timeout = 3000): Promise<void> {
    await waitForNoWaiterThreads(timeout);
    await waitUntil(() => countFds() === this.fds && countThreads() === this.threads, {
      timeout,
      message: () => {
        const now = listFds();
        const extra = now.filter((l) => !this.fdList.includes(l));
        return (
          `fds ${countFds()} (baseline ${this.fds}${extra.length ? `; new: ${extra.join(', ')}` : ''}), ` +
          `threads ${countThreads()} (baseline ${this.threads})`
        );
      },
    });
  }
}

/** Warms up the lazily created, long-lived threads so that baselines are stable. */
export async function warmUpThreads(): Promise<void> {
  // libuv's thread pool starts on the first fs request and never shrinks.
  await import('node:fs/promises').then((fsp) => fsp.stat('/'));
  // The addon's cancel supervisor starts on the first cancel of a running task and stays.
  await new Promise<void>((resolve) => {
    const id = tasks.start(() => native.testing.sleepUntilCancelled(), (final) => final && resolve());
    setTimeout(() => tasks.cancel(id), 2);
  });
}

export interface NodeChild {
  readonly child: ChildProcess;
  /** Everything the child wrote to stdout / stderr so far (when piped). */
  stdout(): string;
  stderr(): string;
  /** Resolves when the child exited (never rejects); kills it after `timeout` ms. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>;
  /** Resolves with the first stdout line that matches (rejects if the child exits first). */
  line(match?: RegExp | string): Promise<string>;
  /** Kills the child (SIGKILL) if it is still running. */
  kill(): void;
}

export interface SpawnNodeOptions {
  args?: string[];
  /** Default: ['pipe', 'pipe', 'pipe']; extra entries become fds 3, 4, ... in the child. */
  stdio?: StdioOptions;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child (SIGKILL) after this many ms. Default 15000. */
  timeout?: number;
}

/**
 * Runs `node script ...args` with the same node binary as the test.
 *
 * @example
 * const c = spawnNode(fixture('pipe-echo.mjs'), { stdio: ['pipe', 'pipe', 'pipe', a.readable.fd, b.writable.fd] });
 * expect((await c.exited).code).toBe(0);
 */
export function spawnNode(script: string, opts: SpawnNodeOptions = {}): NodeChild {
  const spawnOpts: SpawnOptions = {
    stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
  };
  const child = spawn(process.execPath, [script, ...(opts.args ?? [])], spawnOpts);
  trackChild(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeout ?? 15_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the stdio streams flush what the child wrote last.
      const pipes = [child.stdout, child.stderr].filter((s) => s && !s.closed);
      if (pipes.length === 0) resolve({ code, signal, timedOut });
      let left = pipes.length;
      for (const s of pipes) s!.once('close', () => --left === 0 && resolve({ code, signal, timedOut }));
    });
    child.once('error', () => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut });
    });
  });
  const line = (match?: RegExp | string): Promise<string> =>
    new Promise((resolve, reject) => {
      const test = (l: string) => match === undefined || (typeof match === 'string' ? l === match : match.test(l));
      const found = () => out.split('\n').slice(0, -1).find(test);
      const onData = () => {
        const l = found();
        if (l === undefined) return;
        child.stdout?.off('data', onData);
        resolve(l);
      };
      child.stdout?.on('data', onData);
      onData();
      void exited.then(() => {
        child.stdout?.off('data', onData);
        const l = found();
        if (l === undefined) reject(new Error(`child exited before printing ${String(match)}; stdout: ${out}; stderr: ${err}`));
        else resolve(l);
      });
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    line,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Kills (SIGKILL, by pid) every child started through test/support that is still running.
 * test/setup.ts already does this for each test's children after the test; calling it in a
 * file's own afterEach is harmless.
 */
export function killChildren(): void {
  killAllChildren();
}
