// Child processes pinned with taskset, and what they print.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled Node peer (bench/peer.ts) and case runner (bench/case.ts). */
export const PEER_JS = fileURLToPath(new URL('../peer.js', import.meta.url));
export const CASE_JS = fileURLToPath(new URL('../case.js', import.meta.url));

/**
 * Spawns `cmd args` pinned to `cpu` (`taskset -c cpu`, which pins every thread the program
 * will start), or unpinned when `cpu` is undefined.
 */
export function spawnPinned(cpu: number | undefined, cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = cpu === undefined ? spawn(cmd, args, options) : spawn('taskset', ['-c', String(cpu), cmd, ...args], options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Children started by spawnPinned() that have not exited yet. */
const live = new Set<ChildProcess>();

/** Sends `signal` to every child this process started that is still running (by pid). */
export function killChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of live) {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** A Node peer role (bench/peer.ts) pinned to `cpu`. */
export function spawnPeer(cpu: number | undefined, role: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawnPinned(cpu, process.execPath, [PEER_JS, role, ...args], options);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/**
 * Resolves when the child has exited (and its stdout is drained, if `collect`); rejects on
 * a spawn error. Call it once per child: 'close' is not emitted twice.
 */
export function exited(child: ChildProcess, collect = false): Promise<Exit> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    if (collect) child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout }));
  });
}

/** Like exited(), but a non-zero exit is an error. */
export async function succeeded(child: ChildProcess, what: string): Promise<Exit> {
  const e = await exited(child);
  if (e.code !== 0) throw new Error(`${what} failed (exit ${e.code ?? e.signal})`);
  return e;
}

/** The last line of `stdout` that parses as a JSON object. */
export function lastJson<T>(stdout: string, what: string): T {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      /* not this one */
    }
  }
  throw new Error(`${what} printed no result: ${JSON.stringify(stdout.slice(-300))}`);
}

/** The CPUs a process may run on (Cpus_allowed_list), e.g. "0" or "0-1". */
export function allowedCpus(pid: number | 'self' = 'self'): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? '?';
  } catch {
    return 'gone';
  }
}
