// The waiter infrastructure: unbounded waits on dedicated threads, cancelled within 5 ms,
// and no thread left behind after cancel or environment teardown.
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { native, nativePath, tasks } from '@rxipc/native';

import {
  Baseline,
  countThreads,
  shortWaiterIdle,
  sleep,
  spawnNode,
  waitUntil,
  warmUpThreads,
} from '../../../../test/support/fs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

let restoreIdle: () => void;
beforeAll(async () => {
  restoreIdle = shortWaiterIdle(20);
  await warmUpThreads();
});
afterAll(() => restoreIdle());

interface Sleeper {
  id: number;
  /** performance.now() of the final dispatch, and its errno. */
  done: Promise<{ at: number; errno: number }>;
}

function startSleeper(): Sleeper {
  let resolve!: (v: { at: number; errno: number }) => void;
  const done = new Promise<{ at: number; errno: number }>((r) => (resolve = r));
  const id = tasks.start(
    () => native.testing.sleepUntilCancelled(),
    (final, errno) => final && resolve({ at: performance.now(), errno }),
  );
  return { id, done };
}

const busy = () => {
  const s = native.testing.waiterStats();
  return s.threads - s.idle;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('waiter tasks', () => {
  it('cancel ends a blocked wait within 5 ms (median of 20 trials; every trial < 50 ms)', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = startSleeper();
      // Half the trials cancel at once (racing the thread's start), half once it is blocked.
      if (i % 2 === 1) await waitUntil(() => busy() >= 1, { message: 'the sleeper to run' });
      if (i % 2 === 1) await sleep(1);
      const t0 = performance.now();
      tasks.cancel(s.id);
      const { at, errno } = await s.done;
      expect(errno).toBe(0);
      latencies.push(at - t0);
    }
    expect(median(latencies), `latencies: ${latencies.map((l) => l.toFixed(2)).join(' ')}`).toBeLessThan(5);
    expect(Math.max(...latencies), `latencies: ${latencies.map((l) => l.toFixed(2)).join(' ')}`).toBeLessThan(50);
    expect(tasks.pending).toBe(0);
  });

  it('each waiting task has a thread of its own; after cancel every thread goes (/proc/self/task and waiterStats agree)', async () => {
    const base = await Baseline.take();
    const sleepers = Array.from({ length: 8 }, startSleeper);
    await waitUntil(() => busy() === 8, { message: () => `8 busy waiter threads (${JSON.stringify(native.testing.waiterStats())})` });
    expect(countThreads()).toBe(base.threads + 8);
    for (const s of sleepers) tasks.cancel(s.id);
    const results = await Promise.all(sleepers.map((s) => s.done));
    expect(results.every((r) => r.errno === 0)).toBe(true);
    expect(tasks.pending).toBe(0);
    await base.expectRestored();
    expect(native.testing.waiterStats()).toEqual({ threads: 0, idle: 0 });
  });

  it('an idle thread is reused by the next task, then times out', async () => {
    const base = await Baseline.take();
    native.testing.setWaiterIdleMs(400);
    try {
      const a = startSleeper();
      await waitUntil(() => busy() === 1);
      tasks.cancel(a.id);
      await a.done;
      await waitUntil(() => native.testing.waiterStats().idle === 1, { message: 'the thread to park' });
      expect(native.testing.waiterStats()).toEqual({ threads: 1, idle: 1 });
      expect(countThreads()).toBe(base.threads + 1);
      const b = startSleeper();
      await waitUntil(() => busy() === 1);
      expect(native.testing.waiterStats()).toEqual({ threads: 1, idle: 0 }); // the same thread, no new one
      expect(countThreads()).toBe(base.threads + 1);
      tasks.cancel(b.id);
      await b.done;
    } finally {
      native.testing.setWaiterIdleMs(20);
    }
    // The parked thread keeps the 400 ms it started waiting with, then exits.
    await base.expectRestored(3000);
  });

  it('cancel of an unknown or finished task, or twice, is harmless', async () => {
    const s = startSleeper();
    tasks.cancel(s.id);
    tasks.cancel(s.id);
    await s.done;
    expect(() => native.cancel(s.id)).not.toThrow();
    expect(() => native.cancel(0x7ffffff0)).not.toThrow();
    expect(() => native.setRef(s.id, false)).not.toThrow();
    expect(() => native.msgrcvCredit(s.id, 5)).not.toThrow();
  });

  it('environment teardown: an unref\'d task lets the process exit at once; a ref\'d one keeps it alive until cancelled', async () => {
    const unref = spawnNode(fixture('waiter-exit.mjs'), { args: [nativePath, 'unref'], timeout: 5000 });
    const ref = spawnNode(fixture('waiter-exit.mjs'), { args: [nativePath, 'ref'], timeout: 5000 });
    const [u, r] = await Promise.all([unref.exited, ref.exited]);
    expect(u, unref.stderr()).toEqual({ code: 0, signal: null, timedOut: false });
    expect(r, ref.stderr()).toEqual({ code: 0, signal: null, timedOut: false });
    // Unref'd: the process did not wait for the (never-cancelled) task.
    expect(unref.stdout()).toMatch(/^exit after \d+ ms\n$/);
    // Ref'd: alive until the 300 ms cancel, then the final dispatch, then exit.
    const m = /^final after (\d+) ms\nexit after \d+ ms\n$/.exec(ref.stdout());
    expect(m, ref.stdout()).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(290);
  });
});
