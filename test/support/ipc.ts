// Test support for System V message queues: queues that are always removed, child
// processes (node fixtures and the C peer), and small waiting helpers.
//
// Invariant: every queue a test makes through `useQueues()` is closed and removed after
// that test, whether it passed or failed, and only queues it made are ever removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { IPC_PRIVATE, MessageQueue, type MessageQueueOpenOptions } from '@rxipc/core';
import { native } from '@rxipc/native';
import { afterAll, afterEach } from 'vitest';

import { compileC } from './cc.js';
import { trackChild } from './children.js';
import { makeTestTempDir } from './tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** packages/core/test/fixtures: the node fixtures (msg-*.mjs) and msgpeer.c. */
export const fixturesDir = join(root, 'packages', 'core', 'test', 'fixtures');

/**
 * Removes the queue `id` if it still exists. A queue already removed (EINVAL / EIDRM) is
 * fine: tests remove queues themselves, or have another process do it.
 */
export function removeQueueId(id: number): void {
  try {
    native.msgctlRemove(id);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'EIDRM') throw err;
  }
}

/** Whether the queue `id` exists (IPC_STAT succeeds). */
export function queueExists(id: number): boolean {
  try {
    native.msgctlStat(id);
    return true;
  } catch {
    return false;
  }
}

export interface QueueFixture {
  /** A new IPC_PRIVATE queue (mode 0o600 unless given), removed after the test. */
  create(options?: Omit<MessageQueueOpenOptions, 'create' | 'exclusive'>): MessageQueue;
  /** Opens `key` with the given options; if that creates a queue, it is removed after the test. */
  open(key: number, options?: MessageQueueOpenOptions): MessageQueue;
  /** A fresh empty file in this test's own temp dir (a unique ftok path), removed after the test. */
  keyFile(name?: string): string;
}

/**
 * Registers an afterEach that closes and removes every queue the test made. Call it at the
 * top of a file or a describe block.
 *
 * @example
 * const queues = useQueues();
 * it('round trip', async () => { const q = queues.create(); await q.send(1, 'x'); });
 */
export function useQueues(): QueueFixture {
  let made: MessageQueue[] = [];
  let ids = new Set<number>();
  let dirs: string[] = [];
  const cleanup = () => {
    const [queues, queueIds, tempDirs] = [made, ids, dirs];
    made = [];
    ids = new Set();
    dirs = [];
    for (const q of queues) q.close();
    for (const id of queueIds) removeQueueId(id);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  };
  afterEach(cleanup);
  // A test that timed out may still make queues after its afterEach: sweep once more.
  afterAll(cleanup);
  return {
    create(options = {}) {
      const q = MessageQueue.open(IPC_PRIVATE, { ...options, create: true });
      made.push(q);
      ids.add(q.id);
      return q;
    },
    open(key, options) {
      const existed = new Set(listQueueIds());
      const q = MessageQueue.open(key, options);
      made.push(q);
      if (!existed.has(q.id)) ids.add(q.id);
      return q;
    },
    keyFile(name = 'key') {
      const dir = makeTestTempDir('msg');
      dirs.push(dir);
      const path = join(dir, name);
      writeFileSync(path, '');
      return path;
    },
  };
}

/** The ids of all message queues on the system (/proc/sysvipc/msg). */
export function listQueueIds(): number[] {
  return procQueues().map((r) => r.msqid!);
}

/** The rows of /proc/sysvipc/msg as numbers keyed by their column names (key, msqid, perms, cbytes, qnum, lspid, ...). */
export function procQueues(): Array<Record<string, number>> {
  const [header, ...rows] = readFileSync('/proc/sysvipc/msg', 'utf8').trim().split('\n');
  const names = header!.trim().split(/\s+/);
  return rows.map((row) => {
    const cells = row.trim().split(/\s+/);
    // perms is printed in octal, everything else in decimal.
    return Object.fromEntries(names.map((n, i) => [n, n === 'perms' ? parseInt(cells[i]!, 8) : Number(cells[i])]));
  });
}

// ---- child processes ----

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartedChild {
  child: ChildProcess;
  /** Settles when the child exits (rejects only if it cannot be started). */
  done: Promise<ChildResult>;
  /** Resolves with the first stdout line equal to `text` (e.g. a "waiting" handshake). */
  line(text: string): Promise<void>;
}

/**
 * Starts `command` with `args`; the child is killed if it outlives `timeoutMs` (default
 * 10 s) or the test that started it (children.ts). `input`, if given, is written to its stdin, which is then closed.
 */
export function startChild(
  command: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): StartedChild {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.env !== undefined ? { env: options.env } : {}) });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    const lines = stdout.split('\n');
    for (const w of [...waiters]) {
      if (lines.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  return {
    child,
    done,
    line: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.split('\n').includes(text)) return resolve();
        waiters.push({ text, resolve });
        void done.then((r) => reject(new Error(`child exited (${r.code ?? r.signal}) before printing '${text}': ${r.stderr}`)));
      }),
  };
}

/** Runs a child to completion; rejects if it exits non-zero. */
export async function runChild(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ChildResult> {
  const r = await startChild(command, args, options).done;
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}`);
  return r;
}

/** Starts `node <fixtures>/<name> ...args` (fixtures use the built @rxipc/core). */
export function startNodeFixture(name: string, args: Array<string | number>, options: { input?: string; timeoutMs?: number } = {}): StartedChild {
  return startChild(process.execPath, [join(fixturesDir, name), ...args.map(String)], options);
}

/**
 * The C peer (fixtures/msgpeer.c), compiled with `cc` once for all test processes and runs
 * into .cache/test-bin (see compileC): no temp dir per process.
 */
export function msgPeer(): string {
  return compileC(join(fixturesDir, 'msgpeer.c'));
}

/** Encodes messages as msgpeer's "<type> <hex>" lines ("-" for an empty payload). */
export function peerLines(messages: ReadonlyArray<{ type: number; data: Uint8Array }>): string {
  return messages.map((m) => `${m.type} ${m.data.length === 0 ? '-' : Buffer.from(m.data).toString('hex')}\n`).join('');
}

/** Parses msgpeer's output lines back into messages. */
export function parsePeerLines(text: string): Array<{ type: number; data: Buffer }> {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [type, hex] = l.split(' ');
      return { type: Number(type), data: hex === '-' ? Buffer.alloc(0) : Buffer.from(hex!, 'hex') };
    });
}

// ---- threads and waiting ----

/** Threads of this process right now (/proc/self/task). */
export function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/**
 * Sets the waiter pool's idle timeout for the rest of the file (so finished waiter threads
 * exit quickly); returns a function that restores the default (2000 ms).
 */
export function shortWaiterIdle(ms = 20): () => void {
  native.testing.setWaiterIdleMs(ms);
  return () => native.testing.setWaiterIdleMs(2000);
}

/** Polls `predicate` every few ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The median of some numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Whether `promise` is still pending after the event loop has turned a few times: for
 * "this must still be waiting" checks (a settled promise settles within one turn).
 */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return !settled;
}

/** Multiset of messages as sorted "type:hex" strings, for order-free comparison. */
export function multiset(messages: ReadonlyArray<{ type: number; data: Uint8Array }>): string[] {
  return messages.map((m) => `${m.type}:${Buffer.from(m.data).toString('hex')}`).sort();
}

/** Takes every message left in the queue (type 0, FIFO) without waiting. */
export function drain(q: MessageQueue): Array<{ type: number; data: Buffer }> {
  const out: Array<{ type: number; data: Buffer }> = [];
  for (let m = q.tryReceive(); m !== undefined; m = q.tryReceive()) out.push(m);
  return out;
}
